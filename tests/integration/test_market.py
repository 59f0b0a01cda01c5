"""Market data as events and its read models: batches, latest per item, bounded history,
rebuilds, the migrated schema, and `manufactory market import` on files laid out like ESI's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import inspect, select

from application.market import MarketImport, split
from application.settings import Settings
from application.system import Manufactory
from domain.catalog.model import ActivityKind, CatalogData, CatalogFile
from domain.economics.batch import MAX_ROWS, MarketBatchRecorded
from domain.economics.market import AdjustedPrice, CostIndex, PriceQuote
from domain.economics.settings import JobSite
from domain.errors import InvalidInput
from domain.events import CommandMeta
from projections.economics import ECONOMICS, EconomicsProjection
from projections.market import HISTORY, PRICES, MarketProjection, item_prices, list_regions
from tests.integration.test_api_economics import CATALOG, forge_batch
from tests.support import RowsRead, run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures" / "market"
FORGE, JITA, TRIT, PYE = 10000002, 30000142, 34, 35
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def meta(user_id: uuid.UUID) -> CommandMeta:
    return CommandMeta(user_id=user_id, correlation_id=f"c-{uuid.uuid4().hex[:8]}")


def quote(type_id: int, sell: float, when: datetime) -> PriceQuote:
    return PriceQuote(region_id=FORGE, type_id=type_id, observed_at=when, lowest_sell=sell, highest_buy=sell * 0.9)


def record(system: Manufactory, user: uuid.UUID, when: datetime, **prices: float) -> bool:
    quotes = [quote({"trit": TRIT, "pye": PYE}[name], price, when) for name, price in prices.items()]
    return system.market.record(FORGE, MarketImport(quotes), None, "test", meta(user), when).changed


def history(system: Manufactory, user: uuid.UUID, type_id: int) -> list[tuple[datetime, float | None]]:
    with system.query_engine.connect() as connection:
        found = item_prices(connection, user, FORGE, type_id)
    assert found is not None
    return [(point.observed_at, point.lowest_sell) for point in found.history]


def test_the_newest_observation_wins_and_history_keeps_the_retention(system: Manufactory) -> None:
    user = system.users.create_user("trader").user_id
    record(system, user, T0, trit=4.0, pye=10.0)
    record(system, user, T0 + timedelta(days=20), trit=4.5)
    record(system, user, T0 + timedelta(days=40), trit=5.0)  # 30 days kept: T0 falls out
    record(system, user, T0 + timedelta(days=5), trit=9.0)  # late and old: neither latest nor kept
    record(system, user, T0 + timedelta(days=41), trit=5.0)  # the same price again: the latest's time only
    system.projections.catch_up("market")
    assert history(system, user, TRIT) == [(T0 + timedelta(days=20), 4.5), (T0 + timedelta(days=40), 5.0)]
    assert history(system, user, PYE) == []  # its only quote is older than the retention
    with system.query_engine.connect() as connection:
        latest = item_prices(connection, user, FORGE, TRIT)
        regions = list_regions(connection, user)
    assert latest is not None and latest.latest is not None
    assert (latest.latest.lowest_sell, latest.latest.observed_at) == (5.0, T0 + timedelta(days=41))
    assert [(r.region_id, r.batches, r.items, r.last_observed_at) for r in regions] == [
        (FORGE, 5, 2, T0 + timedelta(days=41))
    ]


def test_a_page_of_regions_reads_only_those_regions(system: Manufactory) -> None:
    user = system.users.create_user("trader").user_id
    for region in (FORGE + 2, FORGE + 1, FORGE):
        quotes = [PriceQuote(region_id=region, type_id=item, observed_at=T0, lowest_sell=4.0) for item in (TRIT, PYE)]
        system.market.record(region, MarketImport(quotes), None, "test", meta(user), T0)
    system.projections.catch_up("market")
    with system.query_engine.connect() as connection:
        reading = RowsRead(connection)
        first = list_regions(reading, user, limit=1)
        rest = list_regions(connection, user, limit=2, offset=1)
    assert [(r.region_id, r.items) for r in first + rest] == [(FORGE, 2), (FORGE + 1, 2), (FORGE + 2, 2)]
    assert len(reading.rows) == 2  # the page's region row and its item count, nothing of the others


def test_a_batch_is_one_event_and_the_same_batch_is_recorded_once(system: Manufactory) -> None:
    user = system.users.create_user("trader").user_id
    head = system.store.head()
    assert record(system, user, T0, trit=4.0, pye=10.0)
    assert not record(system, user, T0, trit=4.0, pye=10.0)
    events = [system.store.mapper.to_domain_event(n) for n in system.store.recorder.select_notifications(head + 1, 10)]
    assert [type(event) for event in events] == [MarketBatchRecorded]
    assert [row.type_id for row in events[0].quotes] == [TRIT, PYE]


def test_an_import_is_cut_into_batches_of_at_most_max_rows() -> None:
    quotes = [quote(t, 1.0, T0) for t in range(1, 6)]
    parts = split(MarketImport(quotes, [AdjustedPrice(type_id=1, adjusted_price=1.0, observed_at=T0)]), size=2)
    assert [(len(p.quotes), len(p.adjusted)) for p in parts] == [(2, 1), (2, 0), (1, 0)]
    assert len(split(MarketImport())) == 1 and MAX_ROWS == 50_000


def test_batches_are_checked_before_anything_is_recorded(system: Manufactory) -> None:
    user = system.users.create_user("trader").user_id
    index = CostIndex(solar_system_id=JITA, activity=ActivityKind.MANUFACTURING, cost_index=-0.1, observed_at=T0)
    with pytest.raises(InvalidInput) as refused:
        system.market.record(None, MarketImport(indices=[index]), None, "test", meta(user), T0)
    assert refused.value.field == "cost_indices[0].cost_index"
    naive = datetime(2026, 3, 1, 12)
    with pytest.raises(InvalidInput, match="UTC offset"):
        system.market.record(FORGE, MarketImport([quote(TRIT, 1.0, T0)]), None, "test", meta(user), naive)
    with pytest.raises(InvalidInput) as refused:
        system.market.record(FORGE, MarketImport(), JobSite(solar_system_id=0), "test", meta(user), T0)
    assert refused.value.field == "job_site.solar_system_id"


def _rows(system: Manufactory, *tables: Any, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    with system.read_engine.connect() as connection:
        return {
            table.name: [
                tuple(value for column, value in row._mapping.items() if column not in skip)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in tables
        }


def test_rebuilt_market_and_economics_read_models_equal_the_live_ones(settings: Settings) -> None:
    with Manufactory.open(msgspec.structs.replace(settings, projection_batch_size=2)) as system:
        user = system.users.create_user("trader").user_id
        catalog = msgspec.convert(CATALOG, CatalogFile)
        system.catalogs.import_catalog(CatalogData(items=catalog.items, recipes=catalog.recipes), "test", meta(user))
        batch = forge_batch()
        for shift in range(3):
            when = T0 + timedelta(days=shift)
            data = MarketImport(
                [quote(q["typeId"], q["lowestSell"] + shift, when) for q in batch["quotes"]],
                [
                    AdjustedPrice(type_id=a["typeId"], adjusted_price=a["adjustedPrice"], observed_at=when)
                    for a in batch["adjustedPrices"]
                ],
                [
                    CostIndex(
                        solar_system_id=JITA, activity=ActivityKind.MANUFACTURING, cost_index=0.05, observed_at=when
                    )
                ],
            )
            system.market.record(FORGE, data, JobSite(solar_system_id=JITA), "test", meta(user), when)
        system.economics_updater.update_pending()
        market_views = [table.view for table in MarketProjection.tables]
        stamps = ("version", "updated_at")
        live = _rows(system, *market_views)
        live_economics = _rows(system, ECONOMICS.view, skip=stamps)
        assert len(live["market_price_history"]) == 3 * len(batch["quotes"])
        assert len(live_economics["production_economics"]) == 6
        assert system.projections.rebuild("market") == 2
        assert _rows(system, *market_views) == live
        assert system.projections.rebuild("economics") == 2
        assert system.economics_updater.update_pending().computed == 6  # the rebuild marks every row stale
        assert _rows(system, ECONOMICS.view, skip=stamps) == live_economics


def test_the_migrated_schema_matches_the_projections_tables(system: Manufactory) -> None:
    inspector = inspect(system.read_engine)
    for projection_table in (*MarketProjection.tables, *EconomicsProjection.tables):
        expected = projection_table.physical(1)
        actual = {c["name"]: c for c in inspector.get_columns(expected.name)}
        assert list(actual) == [c.name for c in expected.columns]
        for column in expected.columns:
            assert actual[column.name]["nullable"] == column.nullable, (expected.name, column.name)
        pk = inspector.get_pk_constraint(expected.name)["constrained_columns"]
        assert pk == [c.name for c in expected.primary_key.columns]
        indexes = {index["name"] for index in inspector.get_indexes(expected.name)}
        assert indexes == {index.name for index in expected.indexes}


def test_market_import_reads_esi_files_and_records_them(database_url: str, tmp_path: Path) -> None:
    def cli(*args: str) -> Any:
        return run_cli(*args, cwd=tmp_path, database_url=database_url)

    assert cli("users", "create", "trader").returncode == 0
    sample = Path(__file__).parents[2] / "domain" / "catalog" / "sample-catalog.json"
    assert cli("catalog", "import", str(sample), "--user", "trader").returncode == 0
    files = (
        str(FIXTURES / "orders_10000002.json"),
        "--region",
        str(FORGE),
        "--prices",
        str(FIXTURES / "prices.json"),
        "--systems",
        str(FIXTURES / "industry_systems.json"),
        "--observed-at",
        "2026-03-01T12:00:00Z",
        "--user",
        "trader",
    )
    first = cli("market", "import", *files)
    assert first.returncode == 0, first.stderr
    assert "read 3 quotes, 5 adjusted prices, 7 cost indices" in first.stderr
    assert "1 of 1 batches recorded" in first.stdout and "no job site" in first.stdout
    again = cli("market", "import", *files)
    assert "0 of 1 batches recorded (1 seen before)" in again.stdout
    with_site = cli("market", "import", *files, "--job-system", str(JITA))
    assert "1 of 1 batches recorded" in with_site.stdout and "no job site" not in with_site.stdout
    refused = cli(
        "market", "import", "--region", str(FORGE), "--user", "nobody", "--prices", str(FIXTURES / "prices.json")
    )
    assert refused.returncode == 1 and refused.stderr.strip().startswith("error (user): no user named 'nobody'")
    not_admin = cli("market", "import", *files, "--shared")  # everyone's data: an admin's to record
    assert not_admin.returncode == 1 and not_admin.stderr.strip().startswith("error (shared): shared market data")
    update = cli("economics", "update", "--all")
    assert update.returncode == 0 and "1 users, 1 regions" in update.stdout
    with Manufactory.open(Settings(database_url=database_url)) as system:
        system.projections.catch_up()
        with system.query_engine.connect() as connection:
            prices = connection.execute(select(PRICES.view.c.type_id, PRICES.view.c.lowest_sell)).all()
            kept = connection.execute(select(HISTORY.view.c.type_id)).all()
    assert sorted(prices) == [(34, 4.0), (35, None), (587, 450_000.0)]
    assert len(kept) == 3
