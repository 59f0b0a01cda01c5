"""Auto-production tick benchmark: one tick over up to 100,000 markers of 10,000 users.

    .venv/bin/python -m bench.auto_production [--backend sqlite|postgres|both] [--users 10000]

Each user has one plan and ten enabled markers linked to it. One user in a hundred has a
deficit, so a tick generates a run for each of them; the others' markers are read, grouped
and found covered. The tick is timed at 10%, 30% and 100% of the markers (how it grows),
twice at each size: the first tick generates runs, the second finds them pending (the
read-and-decide part alone). The baseline, measured in the same run, is a bare SELECT of
the same marker rows.

Results go to stdout and bench/results/auto_production.json; BENCHMARKS.md has the write-up.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from application.settings import Settings
from application.system import Manufactory
from bench.plans import catalog as plan_catalog
from bench.run import RESULTS, database, say
from domain.aggregate import Aggregate
from domain.catalog.chains import ProductionGraph
from domain.events import CommandMeta, utcnow
from domain.industry.plan import Plan, Source, StepSetup
from domain.stock.markers import MarkerSettings, StockpileMarker
from projections.stockpiles import MARKERS

PRODUCT = 1000  # a component of bench.plans' catalog: one manufacturing step from raw materials
MARKERS_PER_USER = 10
SHORT_EVERY = 100  # one user in a hundred has a deficit


def _save_in_chunks(system: Manufactory, aggregates: list[Aggregate], what: str) -> None:
    for start in range(0, len(aggregates), 2000):
        system.store.save_events(*aggregates[start : start + 2000])
    say(f"  saved {len(aggregates):,} {what}")


def add_users(system: Manufactory, graph: ProductionGraph, first: int, count: int) -> None:
    """``count`` users, each with a plan for PRODUCT and ten linked markers; one in a hundred
    with a deficit (and a catalog, which generating a run needs)."""
    plans: list[Aggregate] = []
    markers: list[Aggregate] = []
    for n in range(first, first + count):
        owner = uuid.UUID(int=n + 1)
        meta = CommandMeta(user_id=owner, correlation_id="bench")
        plan = Plan.create(uuid.uuid4(), f"plan {n}", PRODUCT, graph, StepSetup(station_id=1), None, meta)
        plan.set_source(plan.root.step_id, 5000, Source.BUY, graph, meta)
        plans.append(plan)
        short = n % SHORT_EVERY == 0
        if short:
            system.catalogs.import_catalog(plan_catalog(), "bench", meta)
        for location in range(1, MARKERS_PER_USER + 1):
            settings = MarkerSettings(
                type_id=PRODUCT,
                location_id=location,
                desired_quantity=5 if short else 0,
                plan_id=plan.id,
                auto_production_enabled=True,
            )
            markers.append(StockpileMarker.place(settings, meta))
    _save_in_chunks(system, plans, "plans")
    _save_in_chunks(system, markers, "markers")
    started = time.perf_counter()
    system.projections.catch_up()
    say(f"  projections caught up in {time.perf_counter() - started:.1f} s")


def bare_select_seconds(system: Manufactory) -> float:
    table = MARKERS.view
    started = time.perf_counter()
    with system.query_engine.connect() as connection:
        connection.execute(
            select(table.c.marker_id, table.c.owner_id, table.c.plan_id, table.c.desired_quantity).where(
                table.c.enabled.is_(True)
            )
        ).all()
    return time.perf_counter() - started


def measure(url: str, users: int) -> list[dict[str, Any]]:
    settings = Settings(database_url=url, auto_production_interval_sec=1800)
    graph = ProductionGraph.from_recipes(plan_catalog().recipes)
    rows = []
    with Manufactory.open(settings) as system:
        done = 0
        for size in (users // 10, users * 3 // 10, users):
            say(f"[{size:,} users, {size * MARKERS_PER_USER:,} markers]")
            add_users(system, graph, done, size - done)
            done = size
            later = utcnow() + timedelta(hours=done)  # past every earlier tick's cooldown
            started = time.perf_counter()
            first = system.auto_production.tick(later)
            generating = time.perf_counter() - started
            started = time.perf_counter()
            second = system.auto_production.tick(later + timedelta(seconds=1))
            quiet = time.perf_counter() - started
            baseline = min(bare_select_seconds(system) for _ in range(3))
            rows.append(
                {
                    "users": size,
                    "markers": first.markers,
                    "runs_generated": len(first.generated),
                    "tick_with_generation_s": round(generating, 3),
                    "quiet_tick_s": round(quiet, 3),
                    "quiet_tick_per_marker_us": round(quiet / first.markers * 1e6, 2),
                    "bare_select_s": round(baseline, 3),
                    "ratio_bare_select_to_quiet_tick": round(baseline / quiet, 3),
                    "second_tick_generated": len(second.generated),
                }
            )
            say(f"  {rows[-1]}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    results = {}
    for backend in ["sqlite", "postgres"] if args.backend == "both" else [args.backend]:
        say(f"[{backend}] auto-production tick ...")
        with database(backend) as url:
            results[backend] = measure(url, args.users)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "auto_production.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
