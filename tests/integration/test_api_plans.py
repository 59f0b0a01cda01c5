"""Plans, plan runs and the job queue through the HTTP API, as a client sees them.

The catalog is the one of test_plan_generation (ship S from C, D and Tritanium; D from C and
Pyerite; C from the reaction product B and Tritanium), so runs and job counts can be checked
against the same hand-worked numbers.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Api

TRIT, PYE, C, B, S, D = 34, 35, 100, 200, 300, 400
HUB, FACTORY = 1, 2


def _recipe(
    recipe_id: int,
    product: int,
    units: int,
    materials: dict[int, int],
    kind: str = "manufacturing",
    max_runs: int | None = None,
) -> dict[str, Any]:
    recipe: dict[str, Any] = {
        "recipeId": recipe_id,
        "activities": [
            {
                "kind": kind,
                "time": 600,
                "materials": [{"typeId": t, "quantity": q} for t, q in materials.items()],
                "products": [{"typeId": product, "quantity": units}],
            }
        ],
    }
    if max_runs:
        recipe["maxRuns"] = max_runs
    return recipe


CATALOG = {
    "format": "manufactory-catalog",
    "items": [
        {"typeId": TRIT, "name": "Tritanium", "volume": 0.01},
        {"typeId": PYE, "name": "Pyerite", "volume": 0.01},
        {"typeId": C, "name": "Component", "volume": 10},
        {"typeId": B, "name": "Reagent", "volume": 1},
        {"typeId": S, "name": "Ship", "volume": 2500},
        {"typeId": D, "name": "Module", "volume": 5},
    ],
    "recipes": [
        _recipe(1300, S, 1, {C: 2, D: 3, TRIT: 100}, max_runs=5),
        _recipe(1400, D, 1, {C: 2, PYE: 10}),
        _recipe(1100, C, 1, {B: 100, TRIT: 10}),
        _recipe(1200, B, 45, {TRIT: 100}, kind="reaction"),
    ],
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def new_plan(api: Api, **extra: Any) -> dict[str, Any]:
    ok(api.post("/v1/catalog/imports", json=CATALOG))
    body = {"name": "Ships", "productTypeId": S, "defaults": {"meLevel": 0, "teLevel": 0, "stationId": HUB}, **extra}
    return ok(api.post("/v1/industry/plans", json=body), 201)


def at_factory(api: Api, plan: dict[str, Any]) -> dict[str, Any]:
    """Move the C and B steps to the factory station."""
    for step in plan["plan"]["steps"]:
        if step["productTypeId"] in (C, B):
            plan = ok(
                api.patch(
                    f"/v1/industry/plans/{plan['aggregateId']}/steps/{step['stepId']}", json={"stationId": FACTORY}
                )
            )
    return plan


def generate(api: Api, plan_id: str, quantity: Any, **extra: Any) -> Any:
    return api.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": quantity, **extra})


def read(api: Api, path: str, position: int, **params: Any) -> Any:
    return ok(api.get(path, params={"minPosition": position, **params}))


def test_a_new_plan_proposes_the_whole_chain_and_lists_materials_as_make_or_buy(alice: Api) -> None:
    plan = new_plan(alice)["plan"]
    assert [(s["productTypeId"], s["depth"]) for s in plan["steps"]] == [(S, 0), (C, 1), (B, 2), (D, 1), (C, 2), (B, 3)]
    root = plan["steps"][0]
    assert {m["typeId"]: m["source"] for m in root["materials"]} == {C: "make", D: "make", TRIT: "buy"}
    assert plan["productName"] == "Ship" and plan["version"] == 1


def test_generate_answers_the_run_its_jobs_purchases_and_hauls(alice: Api) -> None:
    plan = at_factory(alice, new_plan(alice, transport={"hubStationId": HUB, "costPerM3": 1000}))
    answer = ok(generate(alice, plan["aggregateId"], 7), 201)
    assert answer["run"]["status"] == "pending" and answer["run"]["quantity"] == 7
    # 5 industry jobs, then a transport job per haul (4)
    assert answer["run"]["jobSummary"] == {"total": 9, "planned": 9, "active": 0, "completed": 0, "cancelled": 0}
    created, hauls = answer["created"][:5], answer["created"][5:]
    assert [(j["productTypeId"], j["runs"], j["sortOrder"]) for j in created] == [
        (B, 125, 6),
        (C, 56, 4),
        (D, 21, 2),
        (S, 5, 0),
        (S, 2, 0),
    ]
    assert all(j["planRunId"] == answer["run"]["id"] and j["status"] == "planned" for j in answer["created"])
    assert [(s["typeId"], s["quantity"], s["reason"]) for s in answer["skipped"]] == [
        (TRIT, 13_760, "no_recipe"),
        (PYE, 210, "no_recipe"),
    ]
    assert [(t["fromStationId"], t["toStationId"], t["costEstimate"]) for t in answer["transportJobs"]] == [
        (HUB, FACTORY, 125_000.0),
        (HUB, FACTORY, 5_600.0),
        (FACTORY, HUB, 420_000.0),
        (FACTORY, HUB, 140_000.0),
    ]
    job_ids = [j["id"] for j in created]
    assert answer["transportJobs"][3]["feedsJobIds"] == job_ids[3:]
    # the plan names no profile and its user has none: its own rates, one trip, unrouted
    assert [(t["trips"], t["method"], t["jumps"]) for t in answer["transportJobs"]] == [(1, None, None)] * 4
    assert [(j["activity"], j["fromStationId"], j["stationId"], j["runs"], j["totalCost"]) for j in hauls] == [
        ("transport", t["fromStationId"], t["toStationId"], 1, t["costEstimate"]) for t in answer["transportJobs"]
    ]
    assert [j["id"] for j in hauls] == [t["jobId"] for t in answer["transportJobs"]]

    detail = read(alice, f"/v1/industry/plans/{plan['aggregateId']}/runs/{answer['run']['id']}", answer["position"])
    assert [j["id"] for j in detail["jobs"] if j["kind"] == "industry"] == job_ids
    assert sorted(j["haulId"] for j in detail["jobs"] if j["kind"] == "transport") == sorted(
        t["id"] for t in detail["transportJobs"]
    )
    assert len(detail["transportJobs"]) == 4 and detail["planName"] == "Ships"


@pytest.mark.parametrize("quantity", [0, -1, 2.5, "7", None])
def test_a_bad_quantity_is_refused_and_creates_nothing(alice: Api, quantity: Any) -> None:
    plan = new_plan(alice)
    response = generate(alice, plan["aggregateId"], quantity)
    assert response.status_code == 400 and response.json()["field"] == "quantity"
    runs = read(alice, "/v1/industry/plans/runs", plan["position"])
    assert runs == [] and read(alice, "/v1/industry/jobs", plan["position"]) == []


def test_a_plan_whose_recipe_left_the_catalog_cannot_generate(alice: Api) -> None:
    plan = new_plan(alice)
    smaller = {**CATALOG, "recipes": [r for r in CATALOG["recipes"] if r["recipeId"] != 1200]}
    ok(alice.post("/v1/catalog/imports", json=smaller))
    response = generate(alice, plan["aggregateId"], 1)
    assert response.status_code == 422 and "1200" in response.json()["detail"]


def test_run_status_follows_the_specs_table_at_every_step_of_a_jobs_life(alice: Api) -> None:
    plan = new_plan(alice)
    plan_id = plan["aggregateId"]
    # one job only: buy C and D so the run is a single S job of 1 run
    root = plan["plan"]["steps"][0]["stepId"]
    for material in (C, D):
        ok(alice.put(f"/v1/industry/plans/{plan_id}/steps/{root}/materials/{material}", json={"source": "buy"}))
    two = ok(generate(alice, plan_id, 6), 201)  # 6 runs: jobs of 5 and 1
    first, second = (j["id"] for j in two["created"])

    def status(position: int) -> str:
        runs = read(alice, f"/v1/industry/plans/{plan_id}/runs", position)
        return runs[0]["status"]

    assert status(two["position"]) == "pending"  # all still planned
    started = ok(alice.post(f"/v1/industry/jobs/{first}/start", json={"characterId": 9}))
    assert status(started["position"]) == "in_progress"  # one active
    done = ok(alice.post(f"/v1/industry/jobs/{first}/complete", json={}))
    assert status(done["position"]) == "in_progress"  # one completed, one planned
    cancelled = ok(alice.post(f"/v1/industry/jobs/{second}/cancel"))
    assert status(cancelled["position"]) == "completed"  # completed + cancelled = all
    summary = read(alice, "/v1/industry/plans/runs", cancelled["position"])[0]["jobSummary"]
    assert summary == {"total": 2, "planned": 0, "active": 0, "completed": 1, "cancelled": 1}


def test_a_run_whose_jobs_were_all_cancelled_reads_completed(alice: Api) -> None:
    plan = new_plan(alice)
    run = ok(generate(alice, plan["aggregateId"], 1), 201)
    cancel = ok(alice.post(f"/v1/industry/plans/runs/{run['run']['id']}/cancel"))
    assert cancel["status"] == "cancelled" and cancel["jobsCancelled"] == 4
    runs = read(alice, f"/v1/industry/plans/{plan['aggregateId']}/runs", cancel["position"])
    assert runs[0]["status"] == "completed"


def test_cancelling_a_run_leaves_active_and_completed_jobs_alone(alice: Api) -> None:
    plan = new_plan(alice)
    run = ok(generate(alice, plan["aggregateId"], 1), 201)
    jobs = [j["id"] for j in run["created"]]
    ok(alice.post(f"/v1/industry/jobs/{jobs[0]}/start", json={}))
    cancel = ok(alice.post(f"/v1/industry/plans/runs/{run['run']['id']}/cancel"))
    assert cancel["jobsCancelled"] == 3
    again = ok(alice.post(f"/v1/industry/plans/runs/{run['run']['id']}/cancel"))
    assert again["jobsCancelled"] == 0
    statuses = {j["id"]: j["status"] for j in read(alice, "/v1/industry/jobs", again["position"])}
    assert statuses[jobs[0]] == "active" and sorted(statuses.values()).count("cancelled") == 3


def test_deleting_a_run_or_its_plan_keeps_the_jobs_unlinked(alice: Api) -> None:
    plan = new_plan(alice)
    plan_id = plan["aggregateId"]
    first = ok(generate(alice, plan_id, 1), 201)
    second = ok(generate(alice, plan_id, 2), 201)
    deleted = ok(alice.delete(f"/v1/industry/plans/{plan_id}/runs/{first['run']['id']}"))
    assert deleted["status"] == "deleted"
    assert [r["id"] for r in read(alice, f"/v1/industry/plans/{plan_id}/runs", deleted["position"])] == [
        second["run"]["id"]
    ]
    gone = ok(alice.delete(f"/v1/industry/plans/{plan_id}"))
    assert read(alice, "/v1/industry/plans/runs", gone["position"]) == []
    jobs = read(alice, "/v1/industry/jobs", gone["position"])
    assert len(jobs) == 8 and {j["planRunId"] for j in jobs} == {None}
    assert alice.get(f"/v1/industry/plans/{plan_id}").status_code == 404
    assert generate(alice, plan_id, 1).status_code == 404


def test_illegal_job_transitions_are_409_with_the_current_status(alice: Api) -> None:
    job = ok(alice.post("/v1/industry/jobs", json={"productTypeId": S, "blueprintTypeId": 1300, "runs": 2}), 201)
    job_id = job["aggregateId"]
    premature = alice.post(f"/v1/industry/jobs/{job_id}/complete", json={})
    assert premature.status_code == 409 and "job is planned" in premature.json()["detail"]
    ok(alice.post(f"/v1/industry/jobs/{job_id}/start", json={"esiJobId": 77}))
    ok(alice.post(f"/v1/industry/jobs/{job_id}/complete", json={"actualRevenue": 1e6}))
    late = alice.post(f"/v1/industry/jobs/{job_id}/cancel")
    assert late.status_code == 409 and "job is completed" in late.json()["detail"]


def test_a_game_job_links_to_one_queued_job_only(alice: Api) -> None:
    spec = {"productTypeId": S, "blueprintTypeId": 1300, "runs": 1}
    one = ok(alice.post("/v1/industry/jobs", json=spec), 201)["aggregateId"]
    two = ok(alice.post("/v1/industry/jobs", json=spec), 201)["aggregateId"]
    ok(alice.post(f"/v1/industry/jobs/{one}/start", json={"esiJobId": 5}))
    clash = alice.post(f"/v1/industry/jobs/{two}/start", json={"esiJobId": 5})
    assert clash.status_code == 409 and clash.json()["field"] == "esiJobId"


def esi_job(
    job_id: int,
    blueprint: int,
    runs: int,
    status: str = "active",
    start: str = "2099-01-01T00:00:00Z",
    station: int = HUB,
) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "installer_id": 9,
        "facility_id": 60003760,
        "station_id": station,
        "activity_id": 1,
        "blueprint_id": 1,
        "blueprint_type_id": blueprint,
        "blueprint_location_id": 1,
        "output_location_id": 1,
        "runs": runs,
        "cost": 1.0,
        "licensed_runs": 1,
        "status": status,
        "duration": 600,
        "start_date": start,
        "end_date": "2099-01-02T00:00:00Z",
    }


def test_sync_activates_fitting_planned_jobs_completes_delivered_ones_and_is_idempotent(alice: Api) -> None:
    plan = new_plan(alice)
    run = ok(generate(alice, plan["aggregateId"], 6), 201)
    s_jobs = [j for j in run["created"] if j["productTypeId"] == S]  # 5 runs and 1 run
    game = [
        esi_job(1001, 1300, 1),
        esi_job(1002, 1300, 5),
        esi_job(1003, 1300, 3),
        esi_job(1004, 1400, 18, start="2000-01-01T00:00:00Z"),
    ]
    first = ok(alice.post("/v1/industry/jobs/sync", json={"characterId": 9, "jobs": game}))
    assert sorted(first["started"]) == sorted(j["id"] for j in s_jobs)
    assert first["unmatched"] == [1003, 1004]  # no job of 3 runs; D started before it was queued
    again = ok(alice.post("/v1/industry/jobs/sync", json={"characterId": 9, "jobs": game}))
    assert (again["started"], again["completed"], again["cancelled"]) == ([], [], [])
    game[0]["status"] = "delivered"
    delivered = ok(alice.post("/v1/industry/jobs/sync", json={"characterId": 9, "jobs": game}))
    assert delivered["completed"] == [next(j["id"] for j in s_jobs if j["runs"] == 1)]
    jobs = {j["esiJobId"]: j for j in read(alice, "/v1/industry/jobs", delivered["position"], status="active")}
    assert list(jobs) == [1002] and jobs[1002]["characterId"] == 9


def test_characters_give_slots_and_generation_assigns_them(alice: Api) -> None:
    ok(alice.put("/v1/industry/characters/1", json={"name": "Alice", "skills": {"massProduction": 1}}))
    chars = ok(alice.put("/v1/industry/characters/2", json={"name": "Bob"}))
    assert [(c["name"], c["manufacturingSlots"]) for c in chars["characters"]] == [("Alice", 2), ("Bob", 1)]
    plan = new_plan(alice)
    run = ok(generate(alice, plan["aggregateId"], 7, parallelism=1), 201)
    assert {j["characterId"] for j in run["created"]} == {1}
    bad = alice.put("/v1/industry/characters/3", json={"name": "Eve", "skills": {"massProduction": 6}})
    assert bad.status_code == 400 and bad.json()["field"] == "skills.mass_production"


def test_generated_jobs_say_who_runs_them_and_when_they_can_start_and_the_run_when_it_should_finish(
    alice: Api,
) -> None:
    ok(alice.put("/v1/industry/characters/5", json={"name": "Ann"}))  # one slot of each group
    before = datetime.now(UTC)
    run = ok(generate(alice, new_plan(alice)["aggregateId"], 7), 201)
    jobs = run["created"]
    assert [(j["productTypeId"], j["characterId"]) for j in jobs] == [(B, 5), (C, 5), (D, 5), (S, 5), (S, 5)]
    starts = [datetime.fromisoformat(j["startAfter"]) for j in jobs]
    assert before <= starts[0] <= datetime.now(UTC)
    # one character: each stage waits for the one below, the second ship for the first one's slot
    ends = [start + timedelta(seconds=j["estimatedDuration"]) for start, j in zip(starts, jobs, strict=True)]
    assert starts[1:] == ends[:-1]
    assert datetime.fromisoformat(run["estimatedFinish"]) == ends[-1]
    queued = read(alice, "/v1/industry/jobs", run["position"], status="planned")
    assert sorted(j["startAfter"] for j in queued) == sorted(j["startAfter"] for j in jobs)


def test_a_job_already_running_keeps_its_slot_and_the_next_run_waits_for_it(alice: Api) -> None:
    ok(alice.put("/v1/industry/characters/5", json={"name": "Ann"}))  # one slot of each group
    plan_id = new_plan(alice)["aggregateId"]
    first = ok(generate(alice, plan_id, 7), 201)["created"][0]
    started = ok(alice.post(f"/v1/industry/jobs/{first['id']}/start", json={}))["job"]
    assert started["status"] == "active" and started["endsAt"] is not None
    again = ok(generate(alice, plan_id, 7), 201)
    (same,) = [job for job in again["created"] if job["productTypeId"] == first["productTypeId"]]
    assert same["characterId"] == 5
    assert datetime.fromisoformat(same["startAfter"]) == datetime.fromisoformat(started["endsAt"])


def test_plan_edits_are_versioned_and_readable_as_of_any_version(alice: Api) -> None:
    plan = new_plan(alice)
    plan_id = plan["aggregateId"]
    renamed = ok(alice.patch(f"/v1/industry/plans/{plan_id}", json={"name": "Fleet"}, headers={"If-Match": '"1"'}))
    assert renamed["version"] == 2
    stale = alice.patch(f"/v1/industry/plans/{plan_id}", json={"name": "Other"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["currentVersion"] == 2
    assert ok(alice.get(f"/v1/industry/plans/{plan_id}", params={"version": 1}))["name"] == "Ships"
    listed = read(alice, f"/v1/industry/plans/by-product/{S}", renamed["position"])
    assert [p["name"] for p in listed] == ["Fleet"]
    assert read(alice, f"/v1/industry/plans/by-product/{D}", renamed["position"]) == []


def test_steps_can_be_added_updated_switched_and_removed(alice: Api) -> None:
    plan = new_plan(alice)
    plan_id = plan["aggregateId"]
    root = plan["plan"]["steps"][0]["stepId"]
    bought = ok(alice.put(f"/v1/industry/plans/{plan_id}/steps/{root}/materials/{D}", json={"source": "buy"}))
    assert len(bought["plan"]["steps"]) == 3
    added = ok(
        alice.post(
            f"/v1/industry/plans/{plan_id}/steps",
            json={"parentStepId": root, "productTypeId": D, "settings": {"meLevel": 10}},
        ),
        201,
    )
    step = next(s for s in added["plan"]["steps"] if s["stepId"] == added["stepId"])
    assert step["meLevel"] == 10 and {m["source"] for m in step["materials"]} == {"buy"}
    updated = ok(alice.patch(f"/v1/industry/plans/{plan_id}/steps/{added['stepId']}", json={"teLevel": 4}))
    assert next(s for s in updated["plan"]["steps"] if s["stepId"] == added["stepId"])["teLevel"] == 4
    removed = ok(alice.delete(f"/v1/industry/plans/{plan_id}/steps/{added['stepId']}"))
    assert len(removed["plan"]["steps"]) == 3
    assert alice.delete(f"/v1/industry/plans/{plan_id}/steps/{root}").status_code == 422
    wrong = alice.post(f"/v1/industry/plans/{plan_id}/steps", json={"parentStepId": root, "productTypeId": PYE})
    assert wrong.status_code == 422
    bad_me = alice.patch(f"/v1/industry/plans/{plan_id}/steps/{root}", json={"meLevel": 11})
    assert bad_me.status_code == 400 and bad_me.json()["field"] == "me"


def test_another_users_plans_runs_and_jobs_are_not_found_on_every_route(alice: Api, bob: Api) -> None:
    plan = new_plan(alice)
    plan_id = plan["aggregateId"]
    run = ok(generate(alice, plan_id, 1), 201)
    run_id, job_id = run["run"]["id"], run["created"][0]["id"]
    ok(bob.post("/v1/catalog/imports", json=CATALOG))
    step = plan["plan"]["steps"][0]["stepId"]
    attempts = [
        bob.get(f"/v1/industry/plans/{plan_id}"),
        bob.get(f"/v1/industry/plans/{plan_id}", params={"version": 1}),
        bob.patch(f"/v1/industry/plans/{plan_id}", json={"name": "mine"}),
        bob.delete(f"/v1/industry/plans/{plan_id}"),
        bob.post(f"/v1/industry/plans/{plan_id}/steps", json={"parentStepId": step, "productTypeId": C}),
        bob.patch(f"/v1/industry/plans/{plan_id}/steps/{step}", json={"meLevel": 1}),
        bob.delete(f"/v1/industry/plans/{plan_id}/steps/{step}"),
        bob.put(f"/v1/industry/plans/{plan_id}/steps/{step}/materials/{C}", json={"source": "buy"}),
        generate(bob, plan_id, 1),
        bob.get(f"/v1/industry/plans/{plan_id}/runs"),
        bob.get(f"/v1/industry/plans/{plan_id}/runs/{run_id}"),
        bob.get(f"/v1/industry/plans/{plan_id}/pending-output"),
        bob.delete(f"/v1/industry/plans/{plan_id}/runs/{run_id}"),
        bob.post(f"/v1/industry/plans/runs/{run_id}/cancel"),
        bob.get(f"/v1/industry/jobs/{job_id}"),
        bob.post(f"/v1/industry/jobs/{job_id}/start", json={}),
        bob.post(f"/v1/industry/jobs/{job_id}/complete", json={}),
        bob.post(f"/v1/industry/jobs/{job_id}/cancel"),
        bob.put(f"/v1/industry/jobs/{job_id}/character", json={"characterId": 1}),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    esi = [esi_job(1, 1300, 1)]
    assert ok(bob.post("/v1/industry/jobs/sync", json={"characterId": 9, "jobs": esi}))["started"] == []
    ok(alice.put("/v1/industry/characters/1", json={"name": "Alice"}))
    assert read(bob, "/v1/industry/characters", system_position(alice)) == []
    assert read(bob, "/v1/industry/plans", run["position"]) == []
    assert read(bob, "/v1/industry/plans/runs", run["position"]) == []
    assert read(bob, "/v1/industry/jobs", run["position"]) == []
    assert ok(alice.get(f"/v1/industry/jobs/{job_id}"))["status"] == "planned"


def system_position(api: Api) -> int:
    """The log head: a position at least as new as every command so far."""
    return int(api.client.app.state.system.store.head())


def test_pending_output_counts_planned_and_active_jobs_of_the_plans_product(alice: Api) -> None:
    plan = new_plan(alice)
    plan_id = plan["aggregateId"]
    run = ok(generate(alice, plan_id, 7), 201)
    pending = read(alice, f"/v1/industry/plans/{plan_id}/pending-output", run["position"])
    assert pending["pendingOutput"] == 7
    s_job = next(j for j in run["created"] if j["productTypeId"] == S and j["runs"] == 2)
    ok(alice.post(f"/v1/industry/jobs/{s_job['id']}/start", json={}))
    done = ok(alice.post(f"/v1/industry/jobs/{s_job['id']}/complete", json={}))
    assert read(alice, f"/v1/industry/plans/{plan_id}/pending-output", done["position"])["pendingOutput"] == 5


def test_concurrent_cancel_and_start_of_one_job_let_exactly_one_win(alice: Api) -> None:
    plan = new_plan(alice)
    root = plan["plan"]["steps"][0]["stepId"]
    for material in (C, D):
        ok(
            alice.put(
                f"/v1/industry/plans/{plan['aggregateId']}/steps/{root}/materials/{material}", json={"source": "buy"}
            )
        )
    for _ in range(5):
        run = ok(generate(alice, plan["aggregateId"], 1), 201)
        job_id = run["created"][0]["id"]
        cancel, start = race(
            lambda run_id=run["run"]["id"]: alice.post(f"/v1/industry/plans/runs/{run_id}/cancel"),
            lambda job_id=job_id: alice.post(f"/v1/industry/jobs/{job_id}/start", json={}),
        )
        started = start.status_code == 200
        cancelled = cancel.json()["jobsCancelled"] == 1
        assert started != cancelled, "exactly one of them takes effect"
        final = ok(alice.get(f"/v1/industry/jobs/{job_id}", params={"minPosition": cancel.json()["position"]}))
        assert final["status"] == ("active" if started else "cancelled")


def race(*calls: Any) -> list[Any]:
    """Run the calls at the same moment in threads; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_run_generated_for_a_region_prices_its_jobs_with_the_users_market_data(alice: Api) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    body = {"name": "Modules", "productTypeId": D, "defaults": {"meLevel": 0, "teLevel": 0, "facilityTax": 0.01}}
    plan = ok(alice.post("/v1/industry/plans", json=body), 201)
    root = plan["plan"]["steps"][0]["stepId"]
    ok(alice.put(f"/v1/industry/plans/{plan['aggregateId']}/steps/{root}/materials/{C}", json={"source": "buy"}))
    forge, jita = 10000002, 30000142
    batch = {
        "regionId": forge,
        "quotes": [{"typeId": C, "lowestSell": 95, "highestBuy": 90}, {"typeId": PYE, "lowestSell": 1.5}],
        "adjustedPrices": [{"typeId": C, "adjustedPrice": 75}, {"typeId": PYE, "adjustedPrice": 1.0}],
        "costIndices": [{"solarSystemId": jita, "activity": "manufacturing", "costIndex": 0.05}],
        "jobSite": {"solarSystemId": jita},
    }
    ok(alice.post("/v1/market/prices", json=batch), 201)
    answer = ok(generate(alice, plan["aggregateId"], 4, regionId=forge), 201)
    # One job of 4 runs buys 8 C at 95 and 40 Pyerite at 1.5: 820. Its EIV (2 x 75 + 10 x 1.0) x 4
    # = 640, installed at 640 x (0.05 index + 0.01 tax + 0.04 SCC surcharge) = 64. In all 884.
    assert [job["totalCost"] for job in answer["created"]] == [884.0]
    assert answer["pricing"] == {"regionId": forge, "totalCost": 884.0, "missing": []}
    unpriced = {"regionId": 10000043, "quotes": [{"typeId": C, "lowestSell": 90}]}
    ok(alice.post("/v1/market/prices", json=unpriced), 201)
    partial = ok(generate(alice, plan["aggregateId"], 4, regionId=10000043), 201)
    assert partial["created"][0]["totalCost"] is None and partial["pricing"]["totalCost"] is None
    assert {m["what"] for m in partial["pricing"]["missing"]} == {"sell_price", "job_site"}
    unknown = generate(alice, plan["aggregateId"], 4, regionId=10000030)
    assert unknown.status_code == 404 and unknown.json()["field"] == "regionId"  # the field the body sent


def test_hauls_of_items_without_a_known_volume_say_so_instead_of_costing_nothing(alice: Api) -> None:
    from application.catalog import SAMPLE_CATALOG

    drake = 24698  # the sample catalog has no volume for the Drake; its minerals have one
    ok(alice.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))
    body = {
        "name": "Drakes",
        "productTypeId": drake,
        "defaults": {"meLevel": 0, "teLevel": 0, "stationId": FACTORY},
        "transport": {"hubStationId": HUB, "costPerM3": 1000},
    }
    plan = ok(alice.post("/v1/industry/plans", json=body), 201)
    root = plan["plan"]["steps"][0]
    for material in root["materials"]:  # buy the components: one job, hauls out of and into the hub
        path = f"/v1/industry/plans/{plan['aggregateId']}/steps/{root['stepId']}/materials/{material['typeId']}"
        ok(alice.put(path, json={"source": "buy"}))
    run = ok(generate(alice, plan["aggregateId"], 1), 201)
    hauls = {(t["fromStationId"], t["toStationId"]): t for t in run["transportJobs"]}
    home = hauls[(FACTORY, HUB)]
    assert [(i["typeId"], i["volume"]) for i in home["items"]] == [(drake, None)]
    assert (home["volume"], home["costEstimate"]) == (None, None)
    assert home["missing"] == [{"what": "volume", "id": drake, "reason": "the catalog has no volume for the item"}]
    out = hauls[(HUB, FACTORY)]
    assert out["missing"] == [] and out["volume"] > 0
    assert out["costEstimate"] == round(out["volume"] * 1000, 2)
    detail = read(alice, f"/v1/industry/plans/{plan['aggregateId']}/runs/{run['run']['id']}", run["position"])
    stored = {(t["fromStationId"], t["toStationId"]): t for t in detail["transportJobs"]}
    assert (stored[(FACTORY, HUB)]["volume"], stored[(FACTORY, HUB)]["missing"][0]["id"]) == (None, drake)
