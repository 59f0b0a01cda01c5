"""Bounded work per request: a valid-looking number never makes a command do unbounded work.

Every bound is worked out by arithmetic before anything is built, answered as a 422 naming
the field and the limit, and leaves the event log where it was. The limits are settings, so
most tests run a system with small ones (``limited``) to reach them with small requests;
the issue's own examples run against the defaults.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from application.settings import Settings
from application.system import Manufactory
from domain.catalog.chains import ProductionGraph
from domain.economics.batch import MAX_DEPTH_LEVELS, MAX_ROWS, MarketBatch
from domain.economics.market import DepthLevel, PriceQuote
from domain.events import CommandMeta
from domain.industry.generation import generate
from domain.industry.jobs import MAX_JOB_RUNS
from domain.industry.plan import Plan, Source, StepSetup, propose_steps
from domain.work_limits import CRAFTING_MAX_DURATION, CRAFTING_MAX_STACK, DEFAULT_LIMITS, WorkLimitExceeded, WorkLimits
from interfaces.http.app import create_app
from tests.conftest import Api, make_user
from tests.integration.test_api_plans import CATALOG, HUB, C, D, S, ok, read
from tests.support import run_cli
from tests.unit.test_chains import recipe

LIMITS = WorkLimits(
    jobs_per_run=20, runs_per_plan=3, steps_per_plan=6, catalog_items=10, catalog_recipes=5, characters_per_roster=2
)
META = CommandMeta(user_id=uuid.uuid4(), correlation_id="test")


@contextmanager
def limited(database_url: str, limits: WorkLimits = LIMITS) -> Iterator[tuple[Manufactory, Api]]:
    settings = Settings(database_url=database_url, projection_poll_sec=0.05, work_limits=limits)
    with Manufactory.open(settings) as system, TestClient(create_app(system)) as client:
        yield system, make_user(system, client, "alice")


def refused(system: Manufactory, request: Any, field: str, limit: int) -> str:
    """Send ``request()``: a 422 naming ``field`` and ``limit``, with nothing recorded."""
    head = system.store.head()
    response = request()
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["error"], body["field"]) == ("rule_violation", field), body
    assert f"limit is {limit:,}" in body["detail"], body
    assert system.store.head() == head, "nothing recorded"
    return str(body["detail"])


def ship_plan(api: Api) -> str:
    """Ships S from bought C and D: one step whose blueprint allows at most 5 runs per job."""
    ok(api.post("/v1/catalog/imports", json=CATALOG))
    body = {"name": "Ships", "productTypeId": S, "defaults": {"meLevel": 0, "teLevel": 0, "stationId": HUB}}
    plan = ok(api.post("/v1/industry/plans", json=body), 201)
    plan_id, root = plan["aggregateId"], plan["plan"]["steps"][0]["stepId"]
    for material in (C, D):
        ok(api.put(f"/v1/industry/plans/{plan_id}/steps/{root}/materials/{material}", json={"source": "buy"}))
    return str(plan_id)


def generating(api: Api, plan_id: str, quantity: int) -> Any:
    return lambda: api.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": quantity})


def test_the_limits_are_settings_of_positive_whole_numbers() -> None:
    limits = Settings.from_env({"MANUFACTORY_MAX_JOBS_PER_RUN": "20"}).work_limits
    assert limits == msgspec.structs.replace(DEFAULT_LIMITS, jobs_per_run=20)
    with pytest.raises(ValueError, match="MANUFACTORY_MAX_STEPS_PER_PLAN"):
        WorkLimits.from_env({"MANUFACTORY_MAX_STEPS_PER_PLAN": "0"})


# ------------------------------------------------------------------ plan runs


def test_one_run_jobs_are_counted_before_any_is_built() -> None:
    """The issue's blueprint (one run per job); bench/adversarial.py sends its 100,000,000."""
    graph = ProductionGraph.from_recipes([recipe(1, 10, 1, (34, 5), max_runs=1)])
    steps = {s.step_id: s for s in propose_steps(graph, 10, StepSetup(), first_id=1)}
    with pytest.raises(WorkLimitExceeded) as refusal:
        generate(steps, graph, 100_001)
    assert refusal.value.field == "quantity"
    assert "100,001" in refusal.value.detail and f"limit is {DEFAULT_LIMITS.jobs_per_run:,}" in refusal.value.detail
    assert len(generate(steps, graph, DEFAULT_LIMITS.jobs_per_run).jobs) == DEFAULT_LIMITS.jobs_per_run


def test_a_blueprint_without_max_runs_splits_at_the_most_a_queued_job_may_run() -> None:
    graph = ProductionGraph.from_recipes([recipe(1, 10, 1, (34, 5))])
    steps = {s.step_id: s for s in propose_steps(graph, 10, StepSetup(), first_id=1)}
    jobs = generate(steps, graph, 2 * MAX_JOB_RUNS + 1).jobs
    assert [job.spec.runs for job in jobs] == [MAX_JOB_RUNS, MAX_JOB_RUNS, 1]


def test_a_run_may_queue_jobs_up_to_the_limit_and_not_one_more(database_url: str) -> None:
    with limited(database_url) as (system, alice):
        plan_id = ship_plan(alice)
        detail = refused(system, generating(alice, plan_id, 101), "quantity", 20)  # 21 jobs of at most 5 runs
        assert "21" in detail
        assert read(alice, "/v1/industry/jobs", system.store.head()) == []
        run = ok(generating(alice, plan_id, 100)(), 201)
        assert len(run["created"]) == 20


def test_a_plan_records_at_most_its_limit_of_runs_and_deleting_one_keeps_the_history(database_url: str) -> None:
    with limited(database_url) as (system, alice):
        plan_id = ship_plan(alice)
        runs = [ok(generating(alice, plan_id, 1)(), 201)["run"]["id"] for _ in range(3)]
        refused(system, generating(alice, plan_id, 1), "planId", 3)
        ok(alice.delete(f"/v1/industry/plans/{plan_id}/runs/{runs[0]}"))
        refused(system, generating(alice, plan_id, 1), "planId", 3)


# ------------------------------------------------------------------ plan steps and chain trees

# A catalog whose items share their inputs: A_i and B_i are each made of one A_(i-1) and one
# B_(i-1). 80 recipes, but the tree below A_40 has 2^40 - 1 steps (the one that would be built).
LEVELS = 40
DOUBLING = {
    "format": "manufactory-catalog",
    "items": [
        {"typeId": base + i, "name": f"{name}{i}"}
        for base, name in ((1000, "A"), (2000, "B"))
        for i in range(LEVELS + 1)
    ],
    "recipes": [
        {
            "recipeId": recipe_base + i,
            "activities": [
                {
                    "kind": "manufacturing",
                    "time": 60,
                    "materials": [{"typeId": 1000 + i - 1, "quantity": 1}, {"typeId": 2000 + i - 1, "quantity": 1}],
                    "products": [{"typeId": product_base + i, "quantity": 1}],
                }
            ],
        }
        for recipe_base, product_base in ((5000, 1000), (6000, 2000))
        for i in range(1, LEVELS + 1)
    ],
}


def test_a_chain_that_doubles_at_every_level_is_refused_before_it_is_walked(database_url: str) -> None:
    limits = msgspec.structs.replace(DEFAULT_LIMITS, steps_per_plan=2_000)
    with limited(database_url, limits) as (system, alice):
        ok(alice.post("/v1/catalog/imports", json=DOUBLING))
        top = 1000 + LEVELS
        body = {"name": "Doubling", "productTypeId": top}
        detail = refused(system, lambda: alice.post("/v1/industry/plans", json=body), "steps", 2_000)
        assert f"{2**LEVELS - 1:,}" in detail
        tree = alice.get(f"/v1/production/chains/{top}", params={"format": "tree"})
        assert tree.status_code == 422 and tree.json()["field"] == "typeId", tree.text
        assert "20,000" in tree.json()["detail"]
        small = ok(alice.get(f"/v1/production/chains/{1003}", params={"format": "tree"}))
        assert small["typeId"] == 1003, "a tree within the limit is answered"


def test_steps_added_to_a_plan_count_against_its_limit() -> None:
    graph = ProductionGraph.from_recipes(
        [
            recipe(1300, S, 1, (C, 2), (D, 3), (34, 100)),
            recipe(1400, D, 1, (C, 2), (35, 10)),
            recipe(1100, C, 1, (34, 10)),
        ]
    )
    plan = Plan.create(uuid.uuid4(), "Ships", S, graph, StepSetup(), None, META, WorkLimits(steps_per_plan=4))
    assert len(plan.steps) == 4  # S, C, D and the C under D
    root = plan.root.step_id
    plan.set_source(root, D, Source.BUY, graph, META)  # S, C
    with pytest.raises(WorkLimitExceeded) as refusal:
        plan.set_source(root, D, Source.MAKE, graph, META, WorkLimits(steps_per_plan=3))  # + D, C
    assert refusal.value.field == "steps" and len(plan.steps) == 2
    plan.set_source(root, D, Source.MAKE, graph, META, WorkLimits(steps_per_plan=4))
    plan.set_source(root, C, Source.BUY, graph, META)  # S, D, C under D
    with pytest.raises(WorkLimitExceeded):
        plan.add_step(root, C, None, {}, graph, META, WorkLimits(steps_per_plan=3))
    assert len(plan.steps) == 3
    with pytest.raises(WorkLimitExceeded):
        Plan.create(uuid.uuid4(), "Ships", S, graph, StepSetup(), None, META, WorkLimits(steps_per_plan=3))


# ------------------------------------------------------------------ imports, rosters, market batches


def test_a_catalog_import_is_bounded_in_items_and_recipes(database_url: str) -> None:
    with limited(database_url) as (system, alice):
        items = [{"typeId": 10_000 + n, "name": f"item {n}"} for n in range(11)]
        refused(system, lambda: alice.post("/v1/catalog/imports", json={**CATALOG, "items": items}), "items", 10)
        recipes = [{**CATALOG["recipes"][0], "recipeId": 9000 + n} for n in range(6)]
        refused(system, lambda: alice.post("/v1/catalog/imports", json={**CATALOG, "recipes": recipes}), "recipes", 5)
        ok(alice.post("/v1/catalog/imports", json=CATALOG))


def test_a_roster_holds_at_most_its_limit_of_characters(database_url: str) -> None:
    with limited(database_url) as (system, alice):
        for character in (9001, 9002):
            ok(alice.put(f"/v1/industry/characters/{character}", json={"name": f"C{character}"}))
        refused(system, lambda: alice.put("/v1/industry/characters/9003", json={"name": "Third"}), "characterId", 2)
        ok(alice.put("/v1/industry/characters/9002", json={"name": "Renamed"}))  # an update is not a new one


def test_a_market_batch_is_bounded_in_rows_and_in_sell_depth() -> None:
    quote = PriceQuote(
        region_id=1, type_id=34, observed_at=None, lowest_sell=1.0, highest_buy=None, sell_volume=1, buy_volume=0
    )
    with pytest.raises(WorkLimitExceeded) as rows:
        MarketBatch.record(
            1, [msgspec.structs.replace(quote, type_id=n) for n in range(MAX_ROWS + 1)], (), (), None, "t", META
        )
    assert rows.value.field == "quotes" and f"{MAX_ROWS:,}" in rows.value.detail
    deep = msgspec.structs.replace(
        quote, sell_depth=tuple(DepthLevel(price=1.0 + n, volume=1) for n in range(MAX_DEPTH_LEVELS + 1))
    )
    with pytest.raises(WorkLimitExceeded) as depth:
        MarketBatch.record(1, [deep], (), (), None, "t", META)
    assert depth.value.field == "quotes" and f"{MAX_DEPTH_LEVELS:,}" in depth.value.detail


# ------------------------------------------------------------------ auto-production


def _auto_produce(api: Api, plan_id: str, desired: int, type_id: int) -> None:
    ok(
        api.post(
            "/v1/stockpiles",
            json={
                "typeId": type_id,
                "locationId": HUB,
                "desiredQuantity": desired,
                "planId": plan_id,
                "autoProductionEnabled": True,
            },
        ),
    )


def test_the_runner_reports_a_deficit_too_big_for_one_run_and_goes_on(database_url: str, tmp_path: Path) -> None:
    with limited(database_url) as (system, alice):
        ships = ship_plan(alice)
        _auto_produce(alice, ships, 105, S)  # 21 jobs of at most 5 runs
        modules = ok(alice.post("/v1/industry/plans", json={"name": "Modules", "productTypeId": D}), 201)
        _auto_produce(alice, modules["aggregateId"], 4, D)
        report = system.auto_production.tick()
        outcomes = {str(o.plan_id): o for o in report.outcomes}
        assert outcomes[modules["aggregateId"]].action == "generated"
        over = outcomes[ships]
        assert (over.action, over.net_deficit, over.run_id) == ("over_limit", 105, None)
        assert over.detail is not None and "limit is 20" in over.detail
        assert read(alice, f"/v1/industry/plans/{ships}/runs", system.store.head()) == []
    printed = run_cli(
        "auto-production", "tick", cwd=tmp_path, database_url=database_url, MANUFACTORY_MAX_JOBS_PER_RUN="20"
    )
    assert printed.returncode == 0, printed.stderr
    assert f"plan {ships}: over_limit" in printed.stdout and "limit is 20" in printed.stdout, printed.stdout


# ------------------------------------------------------------------ crafting

SWORD = {
    "id": "sword",
    "inputs": [{"item": "iron", "quantity": 1}],
    "outputs": [{"item": "sword", "quantity": 1}],
    "duration": 5,
}


def _world(api: Api, *grants: dict[str, Any]) -> str:
    world = ok(api.post("/v1/crafting/worlds", json={"name": "Forge", "seed": 1}), 201)["world"]
    base = f"/v1/crafting/worlds/{world['id']}"
    ok(api.post(base + "/recipe-imports", json={"format": 1, "recipes": [SWORD]}), 201)
    ok(api.post(base + "/inventories", json={"inventoryId": "inv", "items": {"iron": 100}}), 201)
    ok(api.post(base + "/managers", json={"managerId": "forge", "grants": list(grants)}), 201)
    return base


def _start(api: Api, base: str, recipe_id: str = "sword", manager: str = "forge", **extra: Any) -> Any:
    body = {"recipeId": recipe_id, "owner": "p1", "inventoryId": "inv", **extra}
    return api.post(f"{base}/managers/{manager}/jobs", json=body)


def test_crafting_refuses_1e308_and_every_later_job_still_starts(database_url: str) -> None:
    with limited(database_url) as (system, alice):
        base = _world(alice, {"modifiers": {"timeSpeed": 100}})
        head = system.store.head()
        fast = _start(alice, base, modifiers={"timeSpeed": 1e308})
        assert (fast.status_code, fast.json()["field"]) == (400, "modifiers.timeSpeed"), fast.text
        slow = {**SWORD, "id": "slow", "duration": 1e308}
        imported = alice.post(base + "/recipe-imports", json={"format": 1, "recipes": [slow]})
        assert (imported.status_code, imported.json()["field"]) == (400, "recipes[0].duration"), imported.text
        granted = alice.post(
            base + "/managers", json={"managerId": "m2", "grants": [{"modifiers": {"timeSpeed": 1e308}}]}
        )
        assert (granted.status_code, granted.json()["field"]) == (400, "grants[0].modifiers.timeSpeed"), granted.text
        many = alice.post(base + "/inventories/inv/add", json={"items": {"iron": 10**16}})
        # msgspec names a map's value by its path, not its key
        assert (many.status_code, many.json()["field"]) == (400, "items[...]"), many.text
        assert system.store.head() == head, "nothing recorded"
        # A ten-year recipe is within bounds, and so is the manager's 100x: not together.
        decade = {**SWORD, "id": "decade", "duration": CRAFTING_MAX_DURATION}
        ok(alice.post(base + "/recipe-imports", json={"format": 1, "recipes": [decade]}), 201)
        head = system.store.head()
        stacked = _start(alice, base, "decade")
        assert (stacked.status_code, stacked.json()["field"]) == (422, "timeSpeed"), stacked.text
        assert system.store.head() == head
        job = ok(_start(alice, base), 201)["job"]
        assert job["duration"] == 500.0 and job["end"] - job["start"] == 500.0


def test_a_crafting_output_that_would_overfill_a_stack_fails_the_job_not_the_world(database_url: str) -> None:
    with limited(database_url) as (system, alice):
        base = _world(alice)
        instant = {**SWORD, "id": "instant", "duration": 0}
        ok(alice.post(base + "/recipe-imports", json={"format": 1, "recipes": [instant]}), 201)
        full = {"inventoryId": "full", "items": {"iron": 2, "sword": CRAFTING_MAX_STACK}}
        ok(alice.post(base + "/inventories", json=full), 201)
        records = ok(_start(alice, base, "instant", inventoryId="full"), 201)["records"]
        assert [(r["type"], r.get("reason")) for r in records] == [("started", None), ("failed", "inventory_full")]
        assert ok(alice.get(base + "/inventories/full"))["items"] == {"iron": 1, "sword": CRAFTING_MAX_STACK}
