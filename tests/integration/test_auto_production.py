"""Stockpiles, assets and the auto-production runner: each key decision and safety
mechanism of the spec, one test each, and the whole story end to end.

The plan makes modules D (400) at the hub station, buying their components, so every run is
a single job of N runs delivering N modules where a marker wants them.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from application.settings import Settings
from application.system import Manufactory
from domain.events import utcnow
from domain.stock.auto_production import MarkerDeficit, triggers
from interfaces.http.app import create_app
from tests.conftest import Api, make_user
from tests.integration.test_api_plans import CATALOG, FACTORY, HUB, C, D, S, ok, race, read
from tests.support import MANUFACTORY, environment

OTHER = 7
FAR = 99  # a station no marker names


def module_plan(api: Api, station: int = HUB) -> str:
    ok(api.post("/v1/catalog/imports", json=CATALOG))
    body = {"name": "Modules", "productTypeId": D, "defaults": {"meLevel": 0, "teLevel": 0, "stationId": station}}
    plan = ok(api.post("/v1/industry/plans", json=body), 201)
    root = plan["plan"]["steps"][0]["stepId"]
    ok(api.put(f"/v1/industry/plans/{plan['aggregateId']}/steps/{root}/materials/{C}", json={"source": "buy"}))
    return plan["aggregateId"]


def marker(
    api: Api,
    desired: int,
    plan_id: str | None,
    *,
    location: int = HUB,
    enabled: bool = True,
    parallelism: int = 0,
    type_id: int = D,
) -> Any:
    body = {
        "typeId": type_id,
        "locationId": location,
        "desiredQuantity": desired,
        "planId": plan_id,
        "autoProductionEnabled": enabled,
        "autoProductionParallelism": parallelism,
    }
    return api.post("/v1/stockpiles", json=body)


def tick(system: Manufactory, after_sec: float = 0.0) -> Any:
    return system.auto_production.tick(utcnow() + timedelta(seconds=after_sec))


def runs_of(api: Api, plan_id: str) -> list[dict[str, Any]]:
    return read(api, f"/v1/industry/plans/{plan_id}/runs", api.system_head())


@pytest.fixture
def alice(system: Manufactory, client: TestClient[Any]) -> Api:
    api = make_user(system, client, "alice")
    api.system_head = system.store.head  # type: ignore[attr-defined]
    return api


def test_a_deficit_generates_a_run_and_pending_output_dedups_the_next_tick(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 10, plan_id))
    first = tick(system)
    assert [(o.action, o.net_deficit) for o in first.outcomes] == [("generated", 10)]
    later = tick(system, after_sec=system.settings.auto_production_interval_sec + 1)
    assert [(o.action, o.gross_deficit, o.pending_output, o.net_deficit) for o in later.outcomes] == [
        ("covered", 10, 10, 0)
    ]
    assert len(runs_of(alice, plan_id)) == 1


def test_the_run_records_why_with_the_ticks_correlation_id(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    placed = ok(marker(alice, 6, plan_id))
    report = tick(system)
    run_id = report.generated[0].run_id
    trail = ok(alice.get(f"/v1/audit/{run_id}"))
    created = trail["events"][0]
    assert created["correlationId"] == report.tick_id
    assert created["payload"]["reason"] == {
        "trigger": "auto-production",
        "markerIds": [placed["marker"]["id"]],
        "grossDeficit": 6,
        "pendingOutput": 0,
        "netDeficit": 6,
    }
    assert runs_of(alice, plan_id)[0]["reason"]["netDeficit"] == 6


def test_the_runner_never_ticks_at_start_up(tmp_path: Any) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/m.sqlite", auto_production_interval_sec=1.0, projection_poll_sec=0.05
    )
    with Manufactory.open(settings) as system, TestClient(create_app(system)) as client:
        api = make_user(system, client, "alice")
        api.system_head = system.store.head  # type: ignore[attr-defined]
        plan_id = module_plan(api)
        ok(marker(api, 5, plan_id))
        assert runs_of(api, plan_id) == [], "nothing generated while the server starts"
        deadline = time.monotonic() + 10
        while not runs_of(api, plan_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [r["quantity"] for r in runs_of(api, plan_id)] == [5], "the first interval's tick generated it"


def test_auto_buy_leaves_out_markers_that_auto_production_covers(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 10, plan_id, enabled=True))
    last = ok(marker(alice, 4, None, type_id=S, enabled=False))
    deficits = read(alice, "/v1/stockpiles/deficits", last["position"])
    assert [(d["typeId"], d["deficit"]) for d in deficits["items"]] == [(S, 4)]
    assert [(d["typeId"], d["deficit"], d["reason"]) for d in deficits["leftOut"]] == [(D, 10, "auto_production")]


def test_markers_of_one_plan_are_grouped_with_summed_deficits_and_the_largest_parallelism(
    alice: Api, system: Manufactory
) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 3, plan_id, parallelism=2))
    ok(marker(alice, 4, plan_id, location=OTHER, parallelism=5))
    report = tick(system)
    assert [(o.action, o.gross_deficit, o.net_deficit) for o in report.outcomes] == [("generated", 7, 7)]
    run = runs_of(alice, plan_id)[0]
    assert (run["quantity"], run["parallelism"]) == (7, 5)


def test_a_plan_triggered_within_the_interval_is_skipped(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 8, plan_id))
    run_id = tick(system).generated[0].run_id
    ok(alice.post(f"/v1/industry/plans/runs/{run_id}/cancel"))  # the deficit is open again
    assert [o.action for o in tick(system).outcomes] == ["cooldown"]
    again = tick(system, after_sec=system.settings.auto_production_interval_sec + 1)
    assert [o.action for o in again.outcomes] == ["generated"]


def test_deleting_the_plan_unlinks_its_markers_and_auto_production_stops(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 8, plan_id))
    gone = ok(alice.delete(f"/v1/industry/plans/{plan_id}"))
    listed = read(alice, "/v1/stockpiles", gone["position"])
    assert (listed[0]["planId"], listed[0]["autoProductionStatus"]) == (None, "no_plan")
    assert tick(system).outcomes == []


def test_disabling_a_marker_stops_auto_production_but_keeps_its_plan(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    off = ok(marker(alice, 8, plan_id, enabled=False))
    assert off["marker"]["planId"] == plan_id and off["marker"]["autoProductionStatus"] == "disabled"
    assert tick(system).outcomes == []


def test_a_markers_plan_must_be_the_users_own_and_make_its_item(alice: Api, bob: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    wrong_item = marker(alice, 1, plan_id, type_id=S)
    assert wrong_item.status_code == 422 and wrong_item.json()["field"] == "planId"
    ok(bob.post("/v1/catalog/imports", json=CATALOG))
    foreign = marker(bob, 1, plan_id)
    assert foreign.status_code == 422 and foreign.json()["field"] == "planId"
    bad = alice.post("/v1/stockpiles", json={"typeId": D, "locationId": HUB, "desiredQuantity": -1})
    assert bad.status_code == 400 and bad.json()["field"] == "desiredQuantity"
    assert read(bob, "/v1/stockpiles", system.store.head()) == []


def test_asset_snapshots_record_only_differences(alice: Api) -> None:
    snapshot = {
        "locationId": HUB,
        "assets": [{"typeId": D, "locationId": HUB, "quantity": 3}, {"typeId": C, "locationId": HUB, "quantity": 50}],
    }
    assert ok(alice.put("/v1/assets", json=snapshot))["changed"] == 2
    assert ok(alice.put("/v1/assets", json=snapshot))["changed"] == 0
    snapshot["assets"] = snapshot["assets"][:1]
    dropped = ok(alice.put("/v1/assets", json=snapshot))
    assert dropped["changed"] == 1
    assert read(alice, "/v1/assets", dropped["position"]) == [{"typeId": D, "locationId": HUB, "quantity": 3}]
    elsewhere = alice.put(
        "/v1/assets", json={"locationId": HUB, "assets": [{"typeId": D, "locationId": 9, "quantity": 1}]}
    )
    assert elsewhere.status_code == 400


def test_the_whole_story_deficit_run_completion_assets_and_a_quiet_next_tick(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    ok(alice.put("/v1/assets", json={"assets": [{"typeId": D, "locationId": HUB, "quantity": 2}]}))
    ok(marker(alice, 10, plan_id))
    report = tick(system)
    assert [(o.action, o.gross_deficit, o.net_deficit) for o in report.outcomes] == [("generated", 8, 8)]
    run = ok(
        alice.get(
            f"/v1/industry/plans/{plan_id}/runs/{report.generated[0].run_id}",
            params={"minPosition": system.store.head()},
        )
    )
    for job in run["jobs"]:
        ok(alice.post(f"/v1/industry/jobs/{job['id']}/start", json={}))
        done = ok(alice.post(f"/v1/industry/jobs/{job['id']}/complete", json={}))
    stock = read(alice, "/v1/stockpiles", done["position"])
    assert (stock[0]["currentQuantity"], stock[0]["deficit"]) == (10, 0)
    quiet = tick(system, after_sec=system.settings.auto_production_interval_sec + 1)
    assert [(o.action, o.gross_deficit) for o in quiet.outcomes] == [("covered", 0)]
    assert len(runs_of(alice, plan_id)) == 1


def test_two_runners_on_one_database_never_generate_the_same_deficit_twice(
    alice: Api, system: Manufactory, settings: Settings
) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 9, plan_id))
    with Manufactory.open(settings) as other:
        reports = race(lambda: tick(system), lambda: tick(other))
    assert sorted(len(r.generated) for r in reports) == [0, 1]
    assert [r["quantity"] for r in runs_of(alice, plan_id)] == [9]


def test_buildable_lists_runnable_recipes_and_covers_a_product_through_its_chain(alice: Api) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    held = [
        {"typeId": 34, "locationId": HUB, "quantity": 1_000},
        {"typeId": 35, "locationId": HUB, "quantity": 95},
        {"typeId": C, "locationId": HUB, "quantity": 5},
    ]
    put = ok(alice.put("/v1/assets", json={"assets": held}))
    answer = read(alice, "/v1/production/workflow/buildable", put["position"], typeId=D, locationId=HUB)
    recipes = {r["productTypeId"]: r["runs"] for r in answer["recipes"]}
    # D needs 2 C + 10 Pyerite per run: 5 C and 95 Pyerite allow 2 runs; B: 100 Tritanium per run.
    assert recipes == {D: 2, 200: 10}
    # Through the chain: the 5 C held are used first, so n modules build 2n - 5 C, each from
    # 100 B (reactions of 45 from 100 Tritanium) and 10 Tritanium; each module takes 10 Pyerite.
    # n = 4: 3 C, 300 B = 7 runs: 700 + 30 = 730 Tritanium (held 1,000), 40 Pyerite (held 95).
    # n = 5: 5 C, 500 B = 12 runs: 1,200 + 50 = 1,250 Tritanium, 250 short.
    product = answer["product"]
    assert (product["runs"], product["units"]) == (4, 4)
    assert product["missingForNext"] == {"34": 250}


def test_two_runner_processes_on_postgres_generate_one_run(postgres_url: str, tmp_path: Any) -> None:
    settings = Settings(database_url=postgres_url)
    with Manufactory.open(settings) as system, TestClient(create_app(system)) as client:
        api = make_user(system, client, "alice")
        api.system_head = system.store.head  # type: ignore[attr-defined]
        plan_id = module_plan(api)
        ok(marker(api, 9, plan_id))
        runners = [
            subprocess.Popen(
                [MANUFACTORY, "auto-production", "tick"],
                cwd=tmp_path,
                env=environment(postgres_url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [runner.communicate(timeout=60) for runner in runners]
        assert [runner.returncode for runner in runners] == [0, 0], outputs
        generated = sorted(int(out.split(" runs generated")[0].rsplit(" ", 1)[1]) for out, _ in outputs)
        assert generated == [0, 1], outputs
        assert [r["quantity"] for r in runs_of(api, plan_id)] == [9]


def hand_job(api: Api, units: int, station: int | None) -> Any:
    body = {"productTypeId": D, "blueprintTypeId": 1400, "runs": units, "expectedOutput": units, "stationId": station}
    return ok(api.post("/v1/industry/jobs", json=body), 201)


def test_deleting_a_run_keeps_its_planned_jobs_as_pending_output_so_the_next_tick_builds_nothing(
    alice: Api, system: Manufactory
) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 10, plan_id))
    run_id = tick(system).generated[0].run_id
    gone = ok(alice.delete(f"/v1/industry/plans/{plan_id}/runs/{run_id}"))
    jobs = read(alice, "/v1/industry/jobs", gone["position"], status="planned")
    assert [(j["productTypeId"], j["expectedOutput"], j["planRunId"]) for j in jobs] == [(D, 10, None)]
    assert read(alice, f"/v1/industry/plans/{plan_id}/pending-output", gone["position"])["pendingOutput"] == 10
    later = tick(system, after_sec=system.settings.auto_production_interval_sec + 1)
    assert [(o.action, o.gross_deficit, o.pending_output, o.net_deficit) for o in later.outcomes] == [
        ("covered", 10, 10, 0)
    ]
    assert runs_of(alice, plan_id) == []


def test_hand_made_jobs_count_wherever_they_deliver(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 20, plan_id))
    hand_job(alice, 4, HUB)  # delivers where the marker wants it
    hand_job(alice, 5, None)  # no station yet
    hand_job(alice, 6, FAR)  # a station no marker names: on its way to where the item is wanted
    report = tick(system)
    assert [(o.action, o.gross_deficit, o.pending_output, o.net_deficit) for o in report.outcomes] == [
        ("generated", 20, 15, 5)
    ]


def test_a_plan_building_away_from_the_marker_is_not_built_again(alice: Api, system: Manufactory) -> None:
    plan_id = module_plan(alice, station=FACTORY)  # built at the factory for the marker at the hub
    ok(marker(alice, 10, plan_id))
    assert [o.action for o in tick(system).outcomes] == ["generated"]
    later = tick(system, after_sec=system.settings.auto_production_interval_sec + 1)
    assert [(o.action, o.pending_output) for o in later.outcomes] == [("covered", 10)]


def test_output_not_at_a_markers_location_fills_open_deficits_once_across_plans() -> None:
    owner, first, second = (uuid.UUID(int=n) for n in (1, 2, 3))
    markers = [
        MarkerDeficit(
            marker_id=uuid.uuid4(), owner_id=owner, plan_id=plan, type_id=D, location_id=loc, deficit=10, parallelism=0
        )
        for plan, loc in ((first, HUB), (second, OTHER))
    ]
    pending = {(owner, D, HUB): 4, (owner, D, OTHER): 20, (owner, D, None): 7, (owner, D, FAR): 2, (owner, S, None): 50}
    produce, covered = triggers(markers, pending)
    assert [(t.plan_id, t.pending_output, t.net_deficit) for t in covered + produce] == [
        (first, 10, 0),  # 4 at its location, 6 of the 9 elsewhere
        (second, 20, -10),  # its own location's 20 (a surplus there fills no other location's deficit)
    ]
    produce, _ = triggers(markers, {(owner, D, OTHER): 20, (owner, D, None): 3, (owner, S, FAR): 50})
    assert [(t.plan_id, t.pending_output, t.net_deficit) for t in produce] == [(first, 3, 7)]


def test_a_marker_auto_production_cannot_serve_stays_on_the_buy_list_with_the_reason(
    alice: Api, system: Manufactory
) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 10, plan_id))  # produced: not bought
    ok(marker(alice, 3, None, location=OTHER))  # enabled, never linked
    ok(marker(alice, 4, None, type_id=S, enabled=False))  # bought by hand
    listed = read(alice, "/v1/stockpiles/deficits", system.store.head())["items"]
    assert [(d["typeId"], d["locationId"], d["deficit"], d["reason"]) for d in listed] == [
        (S, HUB, 4, "manual"),
        (D, OTHER, 3, "no_plan"),
    ]
    gone = ok(alice.delete(f"/v1/industry/plans/{plan_id}"))
    listed = read(alice, "/v1/stockpiles/deficits", gone["position"])["items"]
    assert [(d["typeId"], d["locationId"], d["deficit"], d["reason"]) for d in listed] == [
        (S, HUB, 4, "manual"),
        (D, HUB, 10, "no_plan"),
        (D, OTHER, 3, "no_plan"),
    ]


def test_an_upsert_changes_only_the_fields_it_sends_and_null_unlinks_the_plan(alice: Api) -> None:
    plan_id = module_plan(alice)
    ok(marker(alice, 10, plan_id, parallelism=3))
    quantity_only = ok(alice.post("/v1/stockpiles", json={"typeId": D, "locationId": HUB, "desiredQuantity": 12}))
    kept = quantity_only["marker"]
    assert (kept["desiredQuantity"], kept["planId"], kept["autoProductionParallelism"]) == (12, plan_id, 3)
    assert (kept["autoProductionEnabled"], kept["autoProductionStatus"]) == (True, "active")
    unlinked = ok(
        alice.post("/v1/stockpiles", json={"typeId": D, "locationId": HUB, "desiredQuantity": 12, "planId": None})
    )["marker"]
    assert (unlinked["planId"], unlinked["autoProductionParallelism"], unlinked["autoProductionEnabled"]) == (
        None,
        3,
        True,
    )
    fresh = ok(alice.post("/v1/stockpiles", json={"typeId": D, "locationId": OTHER, "desiredQuantity": 1}))["marker"]
    assert (fresh["planId"], fresh["autoProductionParallelism"], fresh["autoProductionEnabled"]) == (None, 0, False)
    listed = read(alice, "/v1/stockpiles", alice.system_head())
    assert [(m["locationId"], m["planId"], m["autoProductionStatus"]) for m in listed] == [
        (HUB, None, "no_plan"),
        (OTHER, None, "disabled"),
    ]


def test_owned_markers_of_one_plan_each_count_their_owners_units(alice: Api, system: Manufactory) -> None:
    """Ann's marker wants 10 and holds 3 (her 3; the corporation's 50 in division 2 are not
    hers); the corporation's division-2 marker wants 40 and holds 50: gross 7 + 0 = 7."""
    plan_id = module_plan(alice)
    ann = {"ownerType": "character", "ownerId": 90000001}
    corp = {"ownerType": "corporation", "ownerId": 98000001, "divisionNumber": 2}
    for desired, spot in ((10, ann), (40, corp)):
        body = {"typeId": D, "locationId": HUB, "desiredQuantity": desired, "planId": plan_id, **spot}
        ok(alice.post("/v1/stockpiles", json=body | {"autoProductionEnabled": True}))
    assets = [
        {"typeId": D, "locationId": HUB, "quantity": 3, **ann},
        {"typeId": D, "locationId": HUB, "quantity": 50, **corp},
    ]
    ok(alice.put("/v1/assets", json={"locationId": HUB, "assets": assets}))
    report = tick(system)
    assert [(o.action, o.gross_deficit, o.net_deficit) for o in report.outcomes] == [("generated", 7, 7)]
