"""Plan-run benchmarks, as ratios against baselines measured in the same run.

    .venv/bin/python -m bench.plans [--backend sqlite|postgres|both] [--runs 10000]

- generate: one run of a 199-step plan (101 jobs after merging) through the command service,
  against a one-event command on the same plan (rename), with the pure generation's share;
- list runs: ``GET /v1/industry/plans/runs`` for 10,000 runs with status and job summary,
  against reading the same rows with a bare ``SELECT``; split into SQL, row mapping and JSON.

Results go to stdout and bench/results/plans.json; BENCHMARKS.md has the write-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.testing import TestClient
from sqlalchemy import select

from application.settings import Settings
from application.system import Manufactory
from bench.run import RESULTS, database, say
from domain.catalog.model import Activity, ActivityKind, CatalogData, Item, Material, Product, Recipe
from domain.events import CommandMeta
from domain.industry.generation import generate
from domain.industry.plan import Source, StepSetup
from interfaces.http.app import create_app
from projections.industry.runs import RUNS, list_runs

RAW = (34, 35, 36)
REACTION, ROOT = 5000, 9000
COMPONENTS = [1000 + i for i in range(90)]
MODULES = [2000 + j for j in range(9)]


def _recipe(recipe_id: int, product: int, materials: dict[int, int], kind: ActivityKind) -> Recipe:
    activity = Activity(
        kind=kind,
        time=3600,
        materials=tuple(Material(type_id=t, quantity=q) for t, q in materials.items()),
        products=(Product(type_id=product, quantity=100 if kind is ActivityKind.REACTION else 1),),
    )
    return Recipe(recipe_id=recipe_id, activities=(activity,))


def catalog() -> CatalogData:
    """Root <- 9 modules <- 10 components each <- a shared reaction: 199 plan steps."""
    manufacturing, reaction = ActivityKind.MANUFACTURING, ActivityKind.REACTION
    recipes = [_recipe(REACTION + 1, REACTION, {34: 100, 35: 50}, reaction)]
    recipes += [_recipe(c + 1, c, {REACTION: 10, 34: 100}, manufacturing) for c in COMPONENTS]
    recipes += [
        _recipe(m + 1, m, {**{c: 2 for c in COMPONENTS[10 * j : 10 * j + 10]}, REACTION: 5}, manufacturing)
        for j, m in enumerate(MODULES)
    ]
    recipes.append(_recipe(ROOT + 1, ROOT, {**dict.fromkeys(MODULES, 1), 36: 1000}, manufacturing))
    ids = [*RAW, REACTION, *COMPONENTS, *MODULES, ROOT]
    return CatalogData(items=tuple(Item(type_id=t, name=f"item {t}", volume=1.0) for t in ids), recipes=tuple(recipes))


def timed(call: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def open_system(url: str) -> tuple[Manufactory, CommandMeta, str]:
    system = Manufactory.open(Settings(database_url=url))
    user = system.users.create_user(f"bench{uuid.uuid4().hex[:6]}")
    meta = CommandMeta(user_id=user.user_id, correlation_id="bench")
    system.catalogs.import_catalog(catalog(), "bench", meta)
    return system, meta, user.token


def generation(url: str, repeats: int) -> dict[str, Any]:
    system, meta, _ = open_system(url)
    with system:
        plan = system.plans.create("big", ROOT, StepSetup(me_level=10, te_level=20), None, meta).aggregate
        steps = len(plan.steps)
        graph = system.catalog_graphs.snapshot(meta.user_id).graph
        jobs = len(system.plans.generate(plan.id, 10, meta)[0].jobs)
        names = iter(range(10**6))
        rename = timed(lambda: system.plans.patch(plan.id, meta, None, name=f"big {next(names)}"), repeats)
        command = timed(lambda: system.plans.generate(plan.id, 10, meta), repeats)
        pure = timed(lambda: generate(system.plans.load(plan.id, meta.user_id).steps, graph, 10), repeats)
        return {
            "steps": steps,
            "jobs": jobs,
            "generate_ms": round(command * 1000, 2),
            "pure_generation_ms": round(pure * 1000, 2),
            "rename_ms": round(rename * 1000, 2),
            "ratio_to_one_event_command": round(command / rename, 1),
            "pure_share": round(pure / command, 3),
        }


def listing(url: str, runs: int, repeats: int) -> dict[str, Any]:
    system, meta, token = open_system(url)
    with system:
        plan = system.plans.create("one job", ROOT, StepSetup(), None, meta).aggregate
        for material in MODULES:  # buy every module: each run is a single job
            system.plans.set_source(plan.id, plan.root.step_id, material, Source.BUY, meta, None)
        started = time.perf_counter()
        for n in range(runs):
            system.plans.generate(plan.id, 1 + n % 7, meta)
            if (n + 1) % 1000 == 0:
                say(f"  {n + 1:,} / {runs:,} runs generated ({(n + 1) / (time.perf_counter() - started):,.0f}/s)")
        system.projections.catch_up()
        table = RUNS.view

        columns = [table.c[name] for name in ("run_id", "plan_id", "quantity", "created_at", "planned", "active")]

        def bare_select() -> object:
            with system.query_engine.connect() as connection:
                return connection.execute(select(*columns).where(table.c.owner_id == meta.user_id)).all()

        def query() -> object:
            with system.query_engine.connect() as connection:
                return list_runs(connection, meta.user_id, None, runs)

        baseline = timed(bare_select, repeats)
        mapped = timed(query, repeats)
        listed = query()
        encode = timed(lambda: msgspec.json.encode(listed), repeats)
        system.projections.catch_up("users")
        with TestClient(create_app(system, run_projections=False)) as client:
            http = _http_listing(client, token, runs, repeats)
        return {
            "runs": runs,
            "bare_select_ms": round(baseline * 1000, 1),
            "list_runs_ms": round(mapped * 1000, 1),
            "json_encode_ms": round(encode * 1000, 1),
            "http_ms": http,
            "ratio_query_to_bare_select": round(baseline / mapped, 2),
        }


def _http_listing(client: TestClient[Any], token: str, runs: int, repeats: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/v1/industry/plans/runs", params={"limit": runs}, headers=headers)
    assert response.status_code == 200 and len(response.json()) == runs, response.text[:200]
    return round(
        timed(lambda: client.get("/v1/industry/plans/runs", params={"limit": runs}, headers=headers), repeats) * 1000,
        1,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for backend in ["sqlite", "postgres"] if args.backend == "both" else [args.backend]:
        say(f"[{backend}] generate a run of a 199-step plan ...")
        with database(backend) as url:
            results[f"{backend}_generate"] = generation(url, args.repeats)
        say(f"[{backend}] {results[f'{backend}_generate']}")
        say(f"[{backend}] list {args.runs:,} runs ...")
        with database(backend) as url:
            results[f"{backend}_list_runs"] = listing(url, args.runs, args.repeats)
        say(f"[{backend}] {results[f'{backend}_list_runs']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "plans.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
