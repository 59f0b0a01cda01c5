"""Plans of an invented item through the HTTP API: the sample catalog's Hobgoblin II, its copy
invented from copied Hobgoblin I Blueprints, and a failed invention batch followed up by more
attempts when the game's job sync reports it.

Numbers (``tests/unit/test_plan_invention.py`` works them out): at skills V one attempt wins a
10-run Hobgoblin II Blueprint copy with chance 0.495833; 15 Hobgoblin IIs take 2 copies, which
on expected value take ceil(2 / 0.495833) = 5 attempts, each on a Tech I copy run.
"""

from __future__ import annotations

from typing import Any

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api

HOBGOBLIN_II, HOBGOBLIN_II_BLUEPRINT, HOBGOBLIN_I_BLUEPRINT = 2456, 2457, 2455
ATTAINMENT, TRITANIUM = 34202, 34
STATION = 60003760


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def read(api: Api, path: str, position: int, **params: Any) -> Any:
    return ok(api.get(path, params={"minPosition": position, **params}))


def drone_plan(api: Api, **extra: Any) -> dict[str, Any]:
    """A Hobgoblin II plan making only the item, its invented copy and the Tech I copies."""
    ok(api.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))
    body = {"name": "Drones", "productTypeId": HOBGOBLIN_II, "defaults": {"stationId": STATION}, **extra}
    plan = ok(api.post("/v1/industry/plans", json=body), 201)
    root = plan["plan"]["steps"][0]
    for material in root["materials"]:
        if material["source"] == "make" and material["typeId"] != HOBGOBLIN_II_BLUEPRINT:
            path = f"/v1/industry/plans/{plan['aggregateId']}/steps/{root['stepId']}/materials/{material['typeId']}"
            plan = ok(api.put(path, json={"source": "buy"}))
    return plan


def game_job(job_id: int, activity: int, runs: int, status: str = "active", **extra: Any) -> dict[str, Any]:
    """An ESI industry job of the character's, on the Hobgoblin I Blueprint."""
    return {
        "job_id": job_id,
        "installer_id": 9,
        "facility_id": STATION,
        "station_id": STATION,
        "activity_id": activity,
        "blueprint_id": 1,
        "blueprint_type_id": HOBGOBLIN_I_BLUEPRINT,
        "runs": runs,
        "status": status,
        "start_date": "2099-01-01T00:00:00Z",
        "end_date": "2099-01-02T00:00:00Z",
        **extra,
    }


def test_a_plan_of_an_invented_item_has_invention_and_copying_steps_with_a_decryptor_choice(alice: Api) -> None:
    plan = drone_plan(alice, inventionConfidence=0.9)
    assert plan["plan"]["inventionConfidence"] == 0.9
    steps = {s["productTypeId"]: s for s in plan["plan"]["steps"]}
    top, invent, copy = steps[HOBGOBLIN_II], steps[HOBGOBLIN_II_BLUEPRINT], steps[HOBGOBLIN_I_BLUEPRINT]
    assert (top["meLevel"], top["teLevel"]) == (2, 4)
    assert (invent["activity"], invent["parentStepId"], invent["decryptorTypeId"]) == ("invention", top["stepId"], None)
    assert (copy["activity"], copy["parentStepId"]) == ("copying", invent["stepId"])
    assert {m["typeId"]: m["source"] for m in invent["materials"]}[HOBGOBLIN_I_BLUEPRINT] == "make"
    path = f"/v1/industry/plans/{plan['aggregateId']}/steps/{invent['stepId']}"
    bad = alice.patch(path, json={"decryptorTypeId": TRITANIUM})
    assert bad.status_code == 422 and bad.json()["field"] == "decryptorTypeId"
    changed = ok(alice.patch(path, json={"decryptorTypeId": ATTAINMENT}))
    steps = {s["productTypeId"]: s for s in changed["plan"]["steps"]}
    assert steps[HOBGOBLIN_II_BLUEPRINT]["decryptorTypeId"] == ATTAINMENT
    assert (steps[HOBGOBLIN_II]["meLevel"], steps[HOBGOBLIN_II]["teLevel"]) == (1, 8)  # ME 2 - 1, TE 4 + 4
    patched = ok(alice.patch(f"/v1/industry/plans/{plan['aggregateId']}", json={"inventionConfidence": None}))
    assert patched["plan"]["inventionConfidence"] is None
    refused = alice.patch(f"/v1/industry/plans/{plan['aggregateId']}", json={"inventionConfidence": 1.0})
    assert refused.status_code == 400 and refused.json()["field"] == "inventionConfidence"


def test_a_failed_invention_sync_queues_more_attempts_for_the_copies_still_missing(alice: Api) -> None:
    plan = drone_plan(alice)
    run = ok(alice.post(f"/v1/industry/plans/{plan['aggregateId']}/generate", json={"quantity": 15}), 201)
    created = [(j["activity"], j["productTypeId"], j["runs"]) for j in run["created"]]
    assert created == [
        ("copying", HOBGOBLIN_I_BLUEPRINT, 5),
        ("invention", HOBGOBLIN_II_BLUEPRINT, 5),
        ("manufacturing", HOBGOBLIN_II, 10),
        ("manufacturing", HOBGOBLIN_II, 5),
    ]
    copying, inventing = run["created"][0], run["created"][1]
    sync = "/v1/industry/jobs/sync"
    started = ok(alice.post(sync, json={"characterId": 9, "jobs": [game_job(71, 5, 5), game_job(72, 8, 5)]}))
    assert sorted(started["started"]) == sorted([copying["id"], inventing["id"]]) and started["toppedUp"] == []

    # The batch ends with 1 copy won of the 2 needed: 1 more on expected value is ceil(1 / 0.495833) = 3 attempts.
    reported = [game_job(71, 5, 5, "delivered"), game_job(72, 8, 5, "delivered", successful_runs=1)]
    failed = ok(alice.post(sync, json={"characterId": 9, "jobs": reported}))
    assert sorted(failed["completed"]) == sorted([copying["id"], inventing["id"]])
    assert len(failed["toppedUp"]) == 2
    path = f"/v1/industry/plans/{plan['aggregateId']}/runs/{run['run']['id']}"
    detail = read(alice, path, failed["position"])
    jobs = {j["id"]: j for j in detail["jobs"]}
    assert jobs[inventing["id"]]["successfulRuns"] == 1 and jobs[inventing["id"]]["status"] == "completed"
    again = [jobs[job_id] for job_id in failed["toppedUp"]]
    assert [(j["activity"], j["runs"], j["status"]) for j in again] == [
        ("copying", 3, "planned"),
        ("invention", 3, "planned"),
    ]
    assert {m["typeId"]: m["quantity"] for m in again[1]["materials"]} == {20419: 3, 20418: 3}
    assert detail["inventions"] == [
        {
            "planStepId": inventing["planStepId"],
            "blueprintTypeId": HOBGOBLIN_II_BLUEPRINT,
            "copiesNeeded": 2,
            "copiesWon": 1,
            "attempts": 8,
            "attemptsPending": 3,
        }
    ]
    assert detail["jobSummary"]["planned"] == 4 and detail["jobSummary"]["total"] == 6
    # Delivered: 5 Tech I copy runs, and the one copy won: 10 runs of Hobgoblin II Blueprint, not the 20 planned.
    held = {(h["locationId"], h["typeId"]): h["quantity"] for h in read(alice, "/v1/assets", failed["position"])}
    assert (held[(STATION, HOBGOBLIN_I_BLUEPRINT)], held[(STATION, HOBGOBLIN_II_BLUEPRINT)]) == (5, 10)

    # The same list again changes nothing; the new attempts winning the copy leave nothing missing.
    assert ok(alice.post(sync, json={"characterId": 9, "jobs": reported}))["toppedUp"] == []
    retry = [game_job(73, 5, 3, "delivered"), game_job(74, 8, 3, "delivered", successful_runs=2)]
    won = ok(alice.post(sync, json={"characterId": 9, "jobs": [*reported, *retry]}))
    assert sorted(won["completed"]) == sorted(failed["toppedUp"]) and won["toppedUp"] == []
    progress = read(alice, path, won["position"])["inventions"][0]
    assert (progress["copiesWon"], progress["attemptsPending"]) == (3, 0)
