"""Plans with places through the HTTP API: default stations per activity, notes, where each
step takes its inputs and puts its output, batches of step updates, and one step's inputs.

The catalog is test_api_plans' (ship S from 2 C, 3 D and 100 Tritanium, at most 5 runs a
job; D from 2 C and 10 Pyerite; C from 100 B and 10 Tritanium; B a reaction, 45 a run from
100 Tritanium), so its steps are 1: S, 2: C and 3: D under S, 4: C under D, 5: B under 4
and 6: B under 2.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.integration.test_api_plans import CATALOG, HUB, PYE, TRIT, B, C, D, S, ok

FACTORY, REACTOR = 1_035_466_617_946, 1_040_000_000_001
CORP_HANGAR = {"ownerKind": "corporation", "ownerId": 98_000_001, "locationId": FACTORY, "division": 3}
CHARACTER_BOX = {"ownerKind": "character", "ownerId": 90_000_001, "locationId": HUB, "containerId": 1_000_000_042}


def placed_plan(api: Api, **extra: Any) -> dict[str, Any]:
    ok(api.post("/v1/catalog/imports", json=CATALOG))
    body = {
        "name": "Ships",
        "productTypeId": S,
        "defaults": {"meLevel": 0, "teLevel": 0, "stationId": HUB},
        "defaultManufacturingStationId": FACTORY,
        "defaultReactionStationId": REACTOR,
        "notes": "build in the home structure",
        **extra,
    }
    return ok(api.post("/v1/industry/plans", json=body), 201)


def read_plan(api: Api, plan_id: str, position: int) -> dict[str, Any]:
    return ok(api.get(f"/v1/industry/plans/{plan_id}", params={"minPosition": position}))


def steps_path(plan: dict[str, Any]) -> str:
    return f"/v1/industry/plans/{plan['aggregateId']}/steps"


def test_a_plans_steps_run_at_its_default_stations_and_its_notes_are_shown(alice: Api) -> None:
    created = placed_plan(alice)
    shown = read_plan(alice, created["aggregateId"], created["position"])
    for plan in (created["plan"], shown):
        assert {(s["productTypeId"], s["stationId"]) for s in plan["steps"]} == {
            (S, FACTORY), (D, FACTORY), (C, FACTORY), (B, REACTOR),
        }  # fmt: skip
        assert plan["defaultManufacturingStationId"] == FACTORY and plan["defaultReactionStationId"] == REACTOR
        assert plan["notes"] == "build in the home structure"
    listed = ok(alice.get("/v1/industry/plans", params={"minPosition": created["position"]}))
    assert listed[0]["notes"] == "build in the home structure"


def test_patching_the_plan_changes_its_defaults_and_notes(alice: Api) -> None:
    created = placed_plan(alice)
    body = {"defaultReactionStationId": None, "notes": "moved"}
    patched = ok(alice.patch(f"/v1/industry/plans/{created['aggregateId']}", json=body))
    shown = read_plan(alice, created["aggregateId"], patched["position"])
    assert (shown["defaultManufacturingStationId"], shown["defaultReactionStationId"], shown["notes"]) == (
        FACTORY,
        None,
        "moved",
    )
    too_long = alice.patch(f"/v1/industry/plans/{created['aggregateId']}", json={"notes": "x" * 2001})
    assert too_long.status_code == 400 and too_long.json()["field"] == "notes"


def test_a_step_names_where_it_takes_its_inputs_and_puts_its_output(alice: Api) -> None:
    created = placed_plan(alice)
    body = {"inputPlace": CHARACTER_BOX, "outputPlace": CORP_HANGAR}
    patched = ok(alice.patch(f"{steps_path(created)}/2", json=body))
    shown = read_plan(alice, created["aggregateId"], patched["position"])
    step = next(s for s in shown["steps"] if s["stepId"] == 2)
    assert step["inputPlace"] == {**CHARACTER_BOX, "division": None}
    assert step["outputPlace"] == {**CORP_HANGAR, "containerId": None}
    wrong = {"ownerKind": "character", "ownerId": 90_000_001, "locationId": HUB, "division": 2}
    refused = alice.patch(f"{steps_path(created)}/2", json={"inputPlace": wrong})
    assert refused.status_code == 400 and refused.json()["field"] == "inputPlace.division"
    unknown = alice.patch(f"{steps_path(created)}/2", json={"outputPlace": {**CORP_HANGAR, "hangar": 1}})
    assert unknown.status_code == 400


def test_a_step_added_by_hand_goes_to_its_activitys_default_station_with_its_places(alice: Api) -> None:
    created = placed_plan(alice)
    plan_id = created["aggregateId"]
    bought = ok(alice.put(f"/v1/industry/plans/{plan_id}/steps/2/materials/{B}", json={"source": "buy"}))
    assert bought["plan"]["version"] == 2
    added = ok(
        alice.post(steps_path(created), json={"parentStepId": 2, "productTypeId": B, "outputPlace": CORP_HANGAR}), 201
    )
    step = next(s for s in added["plan"]["steps"] if s["stepId"] == added["stepId"])
    assert step["stationId"] == REACTOR and step["outputPlace"]["division"] == 3


def test_a_batch_of_step_updates_is_one_version_all_or_nothing(alice: Api) -> None:
    created = placed_plan(alice)
    batch = {
        "steps": [
            {"stepId": 1, "meLevel": 10, "outputPlace": CORP_HANGAR},
            {"stepId": 3, "stationId": HUB},
            {"stepId": 4, "teLevel": 20, "inputPlace": CHARACTER_BOX},
        ]
    }
    changed = ok(alice.patch(steps_path(created), json=batch))
    assert changed["version"] == 2 and changed["changed"]
    shown = {s["stepId"]: s for s in read_plan(alice, created["aggregateId"], changed["position"])["steps"]}
    assert (shown[1]["meLevel"], shown[1]["outputPlace"]["ownerId"]) == (10, 98_000_001)
    assert shown[3]["stationId"] == HUB and shown[4]["teLevel"] == 20 and shown[4]["inputPlace"]["containerId"]
    assert shown[2]["meLevel"] == 0, "steps the batch does not name are untouched"

    refused = alice.patch(
        steps_path(created), json={"steps": [{"stepId": 2, "meLevel": 5}, {"stepId": 3, "blueprintTypeId": 1100}]}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "steps[1].blueprintTypeId"
    missing = alice.patch(steps_path(created), json={"steps": [{"stepId": 2, "meLevel": 5}, {"stepId": 99}]})
    assert missing.status_code == 404 and missing.json()["field"] == "steps[1].stepId"
    malformed = alice.patch(steps_path(created), json={"steps": [{"stepId": 2, "meLevel": "five"}]})
    assert malformed.status_code == 400 and malformed.json()["field"] == "steps[0].meLevel"
    after = read_plan(alice, created["aggregateId"], changed["position"])
    assert after["version"] == 2 and {s["stepId"]: s["meLevel"] for s in after["steps"]}[2] == 0, "nothing applied"
    empty = alice.patch(steps_path(created), json={"steps": []})
    assert empty.status_code == 400


def test_a_steps_inputs_with_make_or_buy_volumes_and_owned_blueprints(alice: Api, bob: Api) -> None:
    """Step 1 builds S at ME 0 in an NPC station: a job of 7 runs takes 2 x 7 = 14 C (10 m³
    each: 140 m³), 3 x 7 = 21 D (5 m³: 105 m³) and 100 x 7 = 700 Tritanium (0.01 m³: 7 m³).
    C and D are made (steps 2 and 3), Tritanium bought; alice owns the C blueprint (1100)."""
    created = placed_plan(alice)
    bpo = {"typeId": 1100, "kind": "bpo", "locationId": HUB, "holderKind": "character", "holderId": 90_000_001}
    owned = ok(alice.post("/v1/blueprints", json=bpo), 201)
    path = f"{steps_path(created)}/1/materials"
    position = max(created["position"], owned["position"])
    answer = ok(alice.get(path, params={"runs": 7, "minPosition": position}))
    assert (answer["stepId"], answer["productTypeId"], answer["productName"], answer["runs"]) == (1, S, "Ship", 7)
    assert [
        (m["typeId"], m["name"], m["quantityPerRun"], m["quantity"], m["source"], m["stepId"],
         m["blueprintTypeId"], m["activity"], m["hasBlueprint"])
        for m in answer["materials"]
    ] == [
        (C, "Component", 2, 14, "make", 2, 1100, "manufacturing", True),
        (D, "Module", 3, 21, "make", 3, 1400, "manufacturing", False),
        (TRIT, "Tritanium", 100, 700, "buy", None, None, None, False),
    ]  # fmt: skip
    assert [m["volume"] for m in answer["materials"]] == [140.0, 105.0, pytest.approx(7.0)]

    per_run = ok(alice.get(f"{steps_path(created)}/3/materials", params={"minPosition": position}))
    assert [(m["typeId"], m["quantityPerRun"], m["quantity"]) for m in per_run["materials"]] == [
        (C, 2, None),
        (PYE, 10, None),
    ]
    reaction = ok(alice.get(f"{steps_path(created)}/6/materials", params={"runs": 2, "minPosition": position}))
    assert reaction["activity"] == "reaction" and [(m["typeId"], m["quantity"]) for m in reaction["materials"]] == [
        (TRIT, 200)
    ]

    missing = alice.get(f"{steps_path(created)}/99/materials")
    assert missing.status_code == 404 and missing.json()["field"] == "stepId"
    assert bob.get(path).status_code == 404, "another user's plan is not found"
