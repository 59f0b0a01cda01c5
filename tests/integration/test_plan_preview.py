"""``POST /v1/industry/plans/{id}/preview``: what generating would give, and how long the run
takes with 1, 2, … N characters, recording nothing; and the generate answer's assignments.

Rifter numbers (sample catalog, recipe 691): 6,000 s a run, at most 30 runs a job, minerals
only. Untrained characters at TE 0 in an NPC station: 70 Rifters are jobs of 30, 30 and 10
runs (180,000, 180,000 and 60,000 s), each character one manufacturing slot; so one character
takes 420,000 s, two 240,000 s (the 10-run job after a 30-run one), three 180,000 s (see
tests/unit/test_plan_preview.py).

The hauls case is test_api_plans's chain plan (its catalog and numbers).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api
from tests.integration import test_api_plans as chain
from tests.integration.test_api_plans import ok, read, system_position

RIFTER = 587
TRITANIUM, PYERITE, MEXALLON, ISOGEN = 34, 35, 36, 37


def rifter_plan(api: Api) -> str:
    ok(api.post("/v1/catalog/imports", json=json.loads(SAMPLE_CATALOG.read_text())))
    body = {"name": "Rifters", "productTypeId": RIFTER, "defaults": {"meLevel": 0, "teLevel": 0}}
    return str(ok(api.post("/v1/industry/plans", json=body), 201)["aggregateId"])


def characters(api: Api, *names: str) -> None:
    for character_id, name in enumerate(names, start=1):
        ok(api.put(f"/v1/industry/characters/{character_id}", json={"name": name}))


def preview(api: Api, plan_id: str, quantity: Any, **extra: Any) -> Any:
    return api.post(f"/v1/industry/plans/{plan_id}/preview", json={"quantity": quantity, **extra})


def test_a_preview_with_one_and_three_characters_gives_the_hand_computed_durations_and_records_nothing(
    alice: Api,
) -> None:
    plan_id = rifter_plan(alice)
    characters(alice, "Ann")
    before = system_position(alice)
    alone = ok(preview(alice, plan_id, 70))
    assert [(c["characterCount"], c["totalSeconds"]) for c in alone["crews"]] == [(1, 420_000)]
    assert system_position(alice) == before

    characters(alice, "Ann", "Ben", "Cat")
    before = system_position(alice)
    answer = ok(preview(alice, plan_id, 70))
    assert [(c["characterCount"], c["totalSeconds"]) for c in answer["crews"]] == [
        (1, 420_000),
        (2, 240_000),
        (3, 180_000),
    ]
    assert [[m["name"] for m in c["characters"]] for c in answer["crews"]] == [
        ["Ann"],
        ["Ann", "Ben"],
        ["Ann", "Ben", "Cat"],
    ]
    assert [(s["sortOrder"], s["jobs"], s["endsAfterSeconds"]) for s in answer["crews"][1]["stages"]] == [
        (0, 3, 240_000)
    ]
    assert [(a["name"], a["jobIndexes"]) for a in answer["crews"][1]["characterAssignments"]] == [
        ("Ann", [0, 2]),
        ("Ben", [1]),
    ]
    # the run itself is generate's, with every character
    assert [(j["runs"], j["characterId"], j["estimatedDuration"]) for j in answer["jobs"]] == [
        (30, 1, 180_000),
        (30, 2, 180_000),
        (10, 3, 60_000),
    ]
    assert [(a["characterId"], a["name"], a["jobCount"], a["jobIds"]) for a in answer["characterAssignments"]] == [
        (1, "Ann", 1, None),
        (2, "Ben", 1, None),
        (3, "Cat", 1, None),
    ]
    assert answer["unassignedCount"] == 0
    assert [(s["typeId"], s["name"], s["quantity"]) for s in answer["skipped"]] == [
        (TRITANIUM, "Tritanium", 70 * 32_000),
        (PYERITE, "Pyerite", 70 * 6_000),
        (MEXALLON, "Mexallon", 70 * 2_500),
        (ISOGEN, "Isogen", 70 * 500),
    ]
    assert "position" not in answer

    assert system_position(alice) == before  # no event recorded
    assert read(alice, "/v1/industry/plans/runs", before) == []
    assert read(alice, "/v1/industry/jobs", before) == []
    assert ok(alice.get(f"/v1/industry/plans/{plan_id}"))["version"] == 1


def test_without_characters_the_preview_has_no_crews_and_every_job_unassigned(alice: Api) -> None:
    answer = ok(preview(alice, rifter_plan(alice), 70))
    assert answer["crews"] == [] and answer["characterAssignments"] == []
    assert answer["unassignedCount"] == 3 and answer["estimatedFinish"] is None


def test_the_preview_answers_what_generate_then_records(alice: Api) -> None:
    plan_id = rifter_plan(alice)
    characters(alice, "Ann", "Ben")
    previewed = ok(preview(alice, plan_id, 70))
    generated = ok(alice.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 70}), 201)

    def shape(jobs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(j["runs"], j["characterId"], j["estimatedDuration"], j["sortOrder"]) for j in jobs]

    assert shape(previewed["jobs"]) == shape(generated["created"])
    assert previewed["skipped"] == generated["skipped"]
    job_ids = [job["id"] for job in generated["created"]]
    assert [(a["name"], a["jobCount"], a["jobIds"]) for a in generated["characterAssignments"]] == [
        ("Ann", 2, [job_ids[0], job_ids[2]]),
        ("Ben", 1, [job_ids[1]]),
    ]
    assert generated["unassignedCount"] == 0


def test_the_preview_shows_the_hauls_merged_steps_and_leftovers_generate_would_record(alice: Api) -> None:
    plan = chain.at_factory(alice, chain.new_plan(alice, transport={"hubStationId": chain.HUB, "costPerM3": 1000}))
    answer = ok(preview(alice, plan["aggregateId"], 7))
    assert [(j["productTypeId"], j["runs"], j["sortOrder"]) for j in answer["jobs"]] == [
        (chain.B, 125, 6),
        (chain.C, 56, 4),
        (chain.D, 21, 2),
        (chain.S, 5, 0),
        (chain.S, 2, 0),
    ]
    steps = {s["productTypeId"]: s["stepId"] for s in plan["plan"]["steps"] if s["depth"] == 1}
    assert len(answer["jobs"][1]["mergedStepIds"]) == 2 and steps[chain.C] in answer["jobs"][1]["mergedStepIds"]
    assert [(t["fromStationId"], t["toStationId"], t["costEstimate"]) for t in answer["transportJobs"]] == [
        (chain.HUB, chain.FACTORY, 125_000.0),
        (chain.HUB, chain.FACTORY, 5_600.0),
        (chain.FACTORY, chain.HUB, 420_000.0),
        (chain.FACTORY, chain.HUB, 140_000.0),
    ]
    assert answer["transportJobs"][3]["feedsJobIndexes"] == [3, 4]
    assert answer["leftovers"] == [{"typeId": chain.B, "quantity": 125 * 45 - 5_600}]
    assert answer["unassignedCount"] == 5 and answer["crews"] == []


@pytest.mark.parametrize("quantity", [0, -1, 2.5, "7", None])
def test_a_bad_quantity_is_a_400_naming_quantity(alice: Api, quantity: Any) -> None:
    plan_id = rifter_plan(alice)
    before = system_position(alice)
    response = preview(alice, plan_id, quantity)
    assert response.status_code == 400 and response.json()["field"] == "quantity"
    assert system_position(alice) == before


def test_another_users_plan_is_not_found(alice: Api, bob: Api) -> None:
    plan_id = rifter_plan(alice)
    ok(bob.post("/v1/catalog/imports", json=json.loads(SAMPLE_CATALOG.read_text())))
    response = preview(bob, plan_id, 1)
    assert response.status_code == 404


def test_a_preview_for_a_region_costs_the_jobs_as_generate_would(alice: Api) -> None:
    """test_api_plans' priced run: one job of 4 Modules, 820 of bought inputs and 64 to install."""
    ok(alice.post("/v1/catalog/imports", json=chain.CATALOG))
    body = {"name": "Modules", "productTypeId": chain.D, "defaults": {"meLevel": 0, "teLevel": 0, "facilityTax": 0.01}}
    plan = ok(alice.post("/v1/industry/plans", json=body), 201)
    plan_id, root = plan["aggregateId"], plan["plan"]["steps"][0]["stepId"]
    ok(alice.put(f"/v1/industry/plans/{plan_id}/steps/{root}/materials/{chain.C}", json={"source": "buy"}))
    forge, jita = 10000002, 30000142
    batch = {
        "regionId": forge,
        "quotes": [{"typeId": chain.C, "lowestSell": 95, "highestBuy": 90}, {"typeId": chain.PYE, "lowestSell": 1.5}],
        "adjustedPrices": [{"typeId": chain.C, "adjustedPrice": 75}, {"typeId": chain.PYE, "adjustedPrice": 1.0}],
        "costIndices": [{"solarSystemId": jita, "activity": "manufacturing", "costIndex": 0.05}],
        "jobSite": {"solarSystemId": jita},
    }
    ok(alice.post("/v1/market/prices", json=batch), 201)
    before = system_position(alice)
    answer = ok(preview(alice, plan_id, 4, regionId=forge))
    assert [job["totalCost"] for job in answer["jobs"]] == [884.0]
    assert answer["pricing"] == {"regionId": forge, "totalCost": 884.0, "missing": []}
    assert system_position(alice) == before
    unknown = preview(alice, plan_id, 4, regionId=10000030)
    assert unknown.status_code == 404 and unknown.json()["field"] == "regionId"  # the field the body sent


def test_parallelism_caps_the_slots_each_crew_may_use(alice: Api) -> None:
    """With one slot at a time, every crew runs the three jobs one after another: 420,000 s."""
    plan_id = rifter_plan(alice)
    characters(alice, "Ann", "Ben", "Cat")
    answer = ok(preview(alice, plan_id, 70, parallelism=1))
    assert [c["totalSeconds"] for c in answer["crews"]] == [420_000] * 3
    assert answer["parallelism"] == 1 and {j["characterId"] for j in answer["jobs"]} == {1}
    bad = preview(alice, plan_id, 70, parallelism=-1)
    assert bad.status_code == 400 and bad.json()["field"] == "parallelism"
