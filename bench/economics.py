"""Production economics benchmarks (``python -m bench.run --only economics``), and the storage
a region's market data costs.

- full recomputation: every stored row of the SDE-sized synthetic catalog (~10,000 products) in
  5 regions through the updater (read the market read models, work each row out, write the rows
  whose figures changed), against the same computation on data already in memory (the baseline:
  what the rows cost without any database). Ratio = baseline time / updater time (goal >= 0.5:
  reading and writing at most double it). Also timed: the second pass (nothing changed) and the
  recomputation after one raw material's price changes.
- opportunities: ``GET /v1/production/economics/opportunities`` requests/s through the real
  server against the trivial ``GET /v1/version`` of the same server (goal >= 0.3).
- storage: bytes of the event and of the read-model rows one 15,000-item batch of a region adds.
- shared economics (``--only shared-economics``): the Nth user's economics rows and updater time
  following the shared catalog and shared market data, against the Nth user with a private
  import of the same data and the same prices (``shared_economics``).
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from application.market import MarketImport
from application.settings import Settings
from application.system import Manufactory
from bench.loadgen import load, request_bytes
from bench.synthetic_catalog import synthetic_catalog
from domain.catalog.catalog import SHARED_CATALOG_OWNER
from domain.catalog.model import ActivityKind
from domain.economics.market import AdjustedPrice, CostIndex, DepthLevel, PriceQuote
from domain.economics.settings import JobSite
from domain.events import CommandMeta
from projections.economics import ECONOMICS
from projections.economics_service import STORED, Builds, compute
from tests.support import serving

REGIONS = (10000002, 10000043, 10000032, 10000030, 10000042)
SYSTEM = 30000142
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def say(message: str) -> None:
    print(message, flush=True)


def synthetic_market(
    region: int, types: range, when: datetime, seed: int, depth: int = 0, quoted: float = 0.98
) -> tuple[list[PriceQuote], list[AdjustedPrice], list[CostIndex]]:
    """A region's quotes for a share ``quoted`` of ``types`` (a real market misses a few),
    adjusted prices and one system's cost indices; prices grow with the type id, so products are
    worth more than raw materials. ``depth`` sell levels per quote where asked."""
    rng = random.Random(seed)
    quotes, adjusted = [], []
    for type_id in types:
        value = (10 + type_id) * rng.uniform(0.5, 2.0)
        adjusted.append(AdjustedPrice(type_id=type_id, adjusted_price=round(value, 2), observed_at=when))
        if rng.random() >= quoted:
            continue
        sell = round(value * rng.uniform(0.9, 1.3), 2)
        quotes.append(
            PriceQuote(
                region_id=region,
                type_id=type_id,
                observed_at=when,
                lowest_sell=sell,
                highest_buy=round(sell * rng.uniform(0.7, 0.95), 2),
                sell_volume=rng.randint(1, 10**7),
                buy_volume=rng.randint(1, 10**7),
                daily_volume=round(rng.uniform(0, 10_000), 1) if rng.random() < 0.8 else None,
                sell_depth=tuple(
                    DepthLevel(price=round(sell * (1 + level / 50), 2), volume=rng.randint(1, 10**5))
                    for level in range(depth)
                ),
            )
        )
    indices = [
        CostIndex(solar_system_id=SYSTEM, activity=kind, cost_index=round(rng.uniform(0.001, 0.1), 4), observed_at=when)
        for kind in ActivityKind
    ]
    return quotes, adjusted, indices


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def recomputation(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    data = synthetic_catalog()
    types = range(1, max(p.type_id for r in data.recipes for a in r.activities for p in a.products) + 1)
    system = Manufactory.open(Settings(database_url=url))
    issued = system.users.create_user("bench")
    owner = issued.user_id
    meta = CommandMeta(user_id=owner, correlation_id="bench")
    try:
        system.catalogs.import_catalog(data, "synthetic", meta)
        for seed, region in enumerate(REGIONS):
            quotes, adjusted, indices = synthetic_market(region, types, T0, seed)
            batch = MarketImport(quotes, adjusted if seed == 0 else [], indices if seed == 0 else [])
            system.market.record(region, batch, JobSite(solar_system_id=SYSTEM), "bench", meta, T0)
        system.projections.catch_up()
        snapshot = system.economics.catalog(owner)
        markets = {region: system.economics.region(owner, region) for region in REGIONS}
        products = sorted(snapshot.graph.products())
        say(f"  {len(products)} products x {len(REGIONS)} regions; computing in memory ...")

        def in_memory() -> int:
            builds: Builds = {}
            rows = 0
            for market in markets.values():
                for product in products:
                    compute(snapshot, product, market, STORED, {}, builds)
                    rows += 1
            return rows

        rows, baseline = _timed(in_memory)
        say(f"  in memory: {rows} rows in {baseline:.1f}s")
        first, first_seconds = _timed(system.economics_updater.update_pending)
        say(f"  updater, first pass: {first.computed} rows worked out, {first.changed} written in {first_seconds:.1f}s")
        again, again_seconds = _timed(lambda: system.economics_updater.refresh(None))
        say(f"  updater, every row again: {again.changed} changed of {again.computed} in {again_seconds:.1f}s")
        raw = snapshot.graph.products()[0]  # a first-layer product's first input: a raw material
        material = next(iter(snapshot.graph.step(raw).materials)).type_id  # type: ignore[union-attr]
        quote = PriceQuote(region_id=REGIONS[0], type_id=material, observed_at=T0 + timedelta(hours=1), lowest_sell=1.0)
        system.market.record(REGIONS[0], MarketImport([quote]), None, "bench", meta)
        one, one_seconds = _timed(system.economics_updater.update_pending)
        say(f"  one raw material's price: {one.computed} rows worked out ({one.changed} changed) in {one_seconds:.2f}s")
    finally:
        system.close()
    rates = opportunities_rate(url, issued.token, seconds, concurrency)
    return {
        "products": len(products),
        "regions": len(REGIONS),
        "rows": rows,
        "in_memory_seconds": baseline,
        "updater_first_seconds": first_seconds,
        "updater_again_seconds": again_seconds,
        "one_price_rows": one.computed,
        "one_price_seconds": one_seconds,
        "ratio": baseline / first_seconds,
        "goal": 0.5,
        **rates,
    }


def opportunities_rate(url: str, token: str, seconds: float, concurrency: int) -> dict[str, Any]:
    path = f"/v1/production/economics/opportunities?region_id={REGIONS[0]}&min_roi=10&limit=50&sort=profit"
    requests = {"opportunities": request_bytes("GET", path, token), "trivial": request_bytes("GET", "/v1/version")}
    with tempfile.TemporaryDirectory() as cwd, serving(Path(cwd), url) as server:
        port = int(server.url.rsplit(":", 1)[1])
        load(port, lambda c, n: requests["opportunities"], concurrency=concurrency, seconds=1)  # warm-up
        rates: dict[str, list[float]] = {name: [] for name in requests}
        for _ in range(2):
            for name, request in requests.items():
                result = load(port, lambda c, n, r=request: r, concurrency=concurrency, seconds=seconds)
                assert result.ok() == result.requests, result.statuses
                rates[name].append(result.per_second)
    best = {name: sorted(found)[len(found) // 2] for name, found in rates.items()}
    say(f"  opportunities {best['opportunities']:.0f}/s, trivial {best['trivial']:.0f}/s")
    return {
        "opportunities_per_sec": best["opportunities"],
        "trivial_per_sec": best["trivial"],
        "opportunities_ratio": best["opportunities"] / best["trivial"],
        "opportunities_goal": 0.3,
    }


# ----------------------------------------------------------------------- storage


def _sizes(system: Manufactory) -> tuple[int, int]:
    """(bytes of event payloads, bytes of the market read-model tables)."""
    if system.settings.is_sqlite:
        with sqlite3.connect(system.settings.sqlite_path) as store:
            events = store.execute("SELECT COALESCE(SUM(LENGTH(state)), 0) FROM stored_events").fetchone()[0]
        return events, _sqlite_tables(system.read_engine)
    with system.read_engine.connect() as connection:  # pg_column_size: as stored, after TOAST compression
        table = system.store.recorder.events_table_name  # type: ignore[attr-defined]
        events = connection.execute(text(f"SELECT COALESCE(SUM(pg_column_size(state)), 0) FROM {table}"))
        tables = connection.execute(
            text(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "WHERE c.relkind = 'r' AND c.relname LIKE 'market_%'"
            )
        )
        return int(events.scalar_one()), int(tables.scalar_one())


def _sqlite_tables(engine: Engine) -> int:
    """Pages of the market tables and their indexes (SQLite's dbstat), in bytes."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE '%market_%'")
            ).scalar_one()
        )


def storage(url: str, items: int = 15_000, depth: int = 0) -> dict[str, Any]:
    """What a batch of one region's ``items`` quotes adds, as events and read-model rows: when
    every price moved since the last batch (the latest table replaces its rows, the history gains
    a point per item) and when none did (the same prices observed again: no history point)."""
    with Manufactory.open(Settings(database_url=url)) as system:
        meta = CommandMeta(user_id=uuid.uuid4(), correlation_id="bench")
        added: list[tuple[int, int]] = []
        for n, seed in enumerate((0, 1, 1)):  # the first fills the latest table; then moved; then unmoved
            before = _sizes(system)
            when = T0 + timedelta(minutes=30 * n)
            quotes, _, _ = synthetic_market(REGIONS[0], range(1, items + 1), when, seed, depth=depth, quoted=1.0)
            system.market.record(REGIONS[0], MarketImport(quotes), None, "bench", meta, when)
            system.projections.catch_up("market")
            after = _sizes(system)
            added.append((after[0] - before[0], after[1] - before[1]))
    (event, moved), (_, unmoved) = added[1], added[2]
    say(
        f"  {items} quotes (depth {depth}): event {event / 1e6:.2f} MB; read models {moved / 1e6:.2f} MB "
        f"when every price moved, {unmoved / 1e6:.2f} MB when none did"
    )
    return {"items": items, "depth": depth, "event_bytes": event, "moved_bytes": moved, "unmoved_bytes": unmoved}


def economics(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    result = recomputation(url, seconds, concurrency)
    for depth in (0, 10):
        with tempfile.TemporaryDirectory() as directory:
            scratch = url if not url.startswith("sqlite") else f"sqlite:///{directory}/storage.sqlite"
            result[f"storage_depth_{depth}"] = storage(scratch, depth=depth)
    return result


def _economics_rows(system: Manufactory, owner: uuid.UUID) -> int:
    with system.query_engine.connect() as connection:
        table = ECONOMICS.view
        return int(connection.execute(select(func.count()).where(table.c.owner_id == owner)).scalar() or 0)


def shared_economics(url: str, users: int = 3, products: int = 1_000, types: int = 5_000) -> dict[str, Any]:
    """The Nth user's economics with shared public market data and the shared catalog, against
    the same user with a private import of the same catalog and the same prices posted as their
    own (the baseline: what every user cost before). Per user: the economics rows stored under
    them and the updater's time for them (what their arrival queues, worked out); the shared
    rows themselves are computed once, when the data arrives, and reported beside.
    ``products`` scales the SDE-sized catalog down to a tenth (its 10,000 products in 5 regions
    take ~25 s per user on a quiet machine), the same six layers and recipe shapes."""
    data = synthetic_catalog(types=types, manufacturable=products)
    top = max(p.type_id for r in data.recipes for a in r.activities for p in a.products)
    markets = []
    for seed, region in enumerate(REGIONS):
        quotes, adjusted, indices = synthetic_market(region, range(1, top + 1), T0, seed)
        markets.append((region, MarketImport(quotes, adjusted if seed == 0 else [], indices if seed == 0 else [])))
    system = Manufactory.open(Settings(database_url=url))
    updater = system.economics_updater
    try:
        admin = system.users.create_user("admin", admin=True).user_id
        admin_meta = CommandMeta(user_id=admin, correlation_id="bench")
        system.catalogs.import_shared(data, "synthetic", admin_meta)
        for region, batch in markets:
            system.market.record(region, batch, JobSite(solar_system_id=SYSTEM), "bench", admin_meta, T0, shared=True)
        system.projections.catch_up()
        shared_pass, shared_seconds = _timed(updater.update_pending)
        shared_rows = _economics_rows(system, SHARED_CATALOG_OWNER)
        say(f"  shared rows: {shared_rows} worked out once in {shared_seconds:.1f}s")
        follower_seconds, follower_rows, private_seconds, private_rows = [], [], [], []
        for n in range(1, users + 1):
            follower = system.users.create_user(f"follower{n}").user_id
            opportunities, query_seconds = _timed(partial(system.economics.opportunities, follower, REGIONS[0]))
            report, seconds = _timed(partial(updater.update_pending, follower))
            follower_seconds.append(seconds)
            follower_rows.append(_economics_rows(system, follower))
            assert opportunities.total > 0 and report.computed == 0
            private = system.users.create_user(f"private{n}").user_id
            meta = CommandMeta(user_id=private, correlation_id="bench")
            system.catalogs.import_catalog(data, "synthetic", meta)  # the shared catalog's benchmark: not here
            for region, batch in markets:
                system.market.record(region, batch, JobSite(solar_system_id=SYSTEM), "bench", meta, T0)
            system.projections.catch_up()
            report, seconds = _timed(partial(updater.update_pending, private))
            private_seconds.append(seconds)
            private_rows.append(_economics_rows(system, private))
            say(
                f"  user {n}: follower {follower_rows[-1]} rows, {follower_seconds[-1]:.3f}s "
                f"(first ranking {query_seconds * 1000:.0f} ms); private {private_rows[-1]} rows, "
                f"{private_seconds[-1]:.1f}s"
            )
    finally:
        system.close()
    follower_time = max(follower_seconds[-1], 1e-6)
    return {
        "products": products,
        "regions": len(REGIONS),
        "shared_rows": shared_rows,
        "shared_seconds": shared_seconds,
        "shared_computed": shared_pass.computed,
        "follower_rows": follower_rows,
        "follower_seconds": follower_seconds,
        "private_rows": private_rows,
        "private_seconds": private_seconds,
        "ratio": private_seconds[-1] / follower_time,  # the Nth user: private time / follower time
        "rows_ratio": private_rows[-1] / max(follower_rows[-1], 1),
        "goal": 100,
    }
