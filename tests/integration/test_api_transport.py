"""Transport profiles, and a plan's hauls routed on the map and queued as transport jobs.

The map is the fixtures' (tests/fixtures/MAP.md), imported with the CSV dump's catalog, plus
one station of the tests' own in New Caldari (the dump has one station, in Jita):

    Jita - Niyabainen - Tama(0.3) - New Caldari
      \\                              /
       +-------- Perimeter ----------+

Rifters are built in Jita and hauled to the hub in New Caldari, packaged (2,500 m³ each, the
game's packaged frigate volume, set in the test's catalog): 160 of them are 400,000 m³. Their
minerals (ME 0: 41,000 units of 0.01 m³ a Rifter) come from the hub.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.integration.test_api_plans import ok, read
from tests.integration.test_api_universe import JITA, NEW_CALDARI, PERIMETER, fixture_catalog

PROFILES = "/v1/transport/profiles"
RIFTER = 587
JITA_STATION, HUB = 60003760, 60099001  # the Caldari Navy Assembly Plant; the tests' station in New Caldari
FREIGHTER = {
    "name": "Charon",
    "method": "freighter",
    "ratePerM3PerJump": 10,
    "collateralRate": 0.01,
    "maxVolume": 330_000,
    "isDefault": True,
}
COURIER = {"name": "Contracts", "method": "courier_contract", "ratePerM3": 200, "routeRule": "secure"}


def add_profile(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    return ok(api.post(PROFILES, json=body), 201)  # type: ignore[no-any-return]


def profiles(api: Api, position: int) -> list[dict[str, Any]]:
    return read(api, PROFILES, position)["profiles"]  # type: ignore[no-any-return]


def test_profiles_are_added_listed_replaced_and_removed_with_one_default(alice: Api, bob: Api) -> None:
    freighter = add_profile(alice, FREIGHTER)["profile"]
    courier = add_profile(alice, {**COURIER, "isDefault": True})
    listed = profiles(alice, courier["position"])
    assert [(p["name"], p["method"], p["isDefault"]) for p in listed] == [
        ("Charon", "freighter", False),  # the new default took over
        ("Contracts", "courier_contract", True),
    ]
    assert listed[0] == {**freighter, "isDefault": False, "ratePerM3": 0.0, "routeRule": "shortest"}

    replaced = ok(alice.put(f"{PROFILES}/{freighter['profileId']}", json={**FREIGHTER, "maxVolume": 435_000}))
    assert replaced["profile"]["maxVolume"] == 435_000 and replaced["profile"]["isDefault"] is True
    assert [p["isDefault"] for p in profiles(alice, replaced["position"])] == [True, False]

    removed = ok(alice.delete(f"{PROFILES}/{freighter['profileId']}"))
    assert [p["name"] for p in profiles(alice, removed["position"])] == ["Contracts"]
    assert profiles(bob, removed["position"]) == []


def test_a_refused_profile_names_its_field_and_anothers_profile_is_not_found(alice: Api, bob: Api) -> None:
    for body, field in (
        ({**FREIGHTER, "maxVolume": None}, "maxVolume"),  # a ship has a hold
        ({**FREIGHTER, "collateralRate": 2}, "collateralRate"),
        ({**COURIER, "ratePerM3": -1}, "ratePerM3"),
        ({**FREIGHTER, "name": " "}, "name"),
    ):
        refused = alice.post(PROFILES, json=body)
        assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
    bad_method = alice.post(PROFILES, json={**FREIGHTER, "method": "titan_bridge"})
    assert bad_method.status_code == 400 and bad_method.json()["field"] == "method"

    mine = add_profile(alice, FREIGHTER)["profile"]["profileId"]
    assert bob.put(f"{PROFILES}/{mine}", json=FREIGHTER).status_code == 404
    assert bob.delete(f"{PROFILES}/{mine}").status_code == 404
    assert alice.delete(f"{PROFILES}/00000000-0000-0000-0000-000000000009").status_code == 404


def rifter_plan(api: Api, transport: dict[str, Any]) -> str:
    catalog = fixture_catalog()
    catalog["items"] = [{**item, "volume": 2500.0} if item["typeId"] == RIFTER else item for item in catalog["items"]]
    catalog["stations"] = [
        *catalog["stations"],
        {"stationId": HUB, "name": "New Caldari test station", "systemId": NEW_CALDARI},
    ]
    ok(api.post("/v1/catalog/imports", json=catalog))
    body = {
        "name": "Rifters",
        "productTypeId": RIFTER,
        "defaults": {"meLevel": 0, "teLevel": 0, "stationId": JITA_STATION},
        "transport": {"hubStationId": HUB, **transport},
    }
    return str(ok(api.post("/v1/industry/plans", json=body), 201)["aggregateId"])


def test_a_400000_m3_haul_by_a_330000_m3_freighter_is_two_trips_along_the_maps_route(alice: Api) -> None:
    freighter = add_profile(alice, FREIGHTER)["profile"]["profileId"]
    plan_id = rifter_plan(alice, {"transportProfileId": freighter})

    preview = ok(alice.post(f"/v1/industry/plans/{plan_id}/preview", json={"quantity": 160}))
    answer = ok(alice.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 160}), 201)

    minerals, rifters = answer["transportJobs"]  # deepest first: the minerals feed the Rifters
    assert (rifters["fromStationId"], rifters["toStationId"], rifters["volume"]) == (JITA_STATION, HUB, 400_000.0)
    assert (rifters["method"], rifters["transportProfileId"]) == ("freighter", freighter)
    assert (rifters["trips"], rifters["jumps"], rifters["route"]) == (2, 2, [JITA, PERIMETER, NEW_CALDARI])
    assert rifters["costEstimate"] == 400_000 * 10 * 2  # moved once in two trips, 2 jumps; no prices: no collateral
    assert (minerals["volume"], minerals["trips"], minerals["route"]) == (65_600.0, 1, [NEW_CALDARI, PERIMETER, JITA])
    assert minerals["missing"] == [] and rifters["missing"] == []

    # the preview shows the same hauls (it records nothing, so no ids)
    recorded_only = {"id", "feedsJobIds", "jobId"}
    assert [{k: v for k, v in haul.items() if k != "feedsJobIndexes"} for haul in preview["transportJobs"]] == [
        {k: v for k, v in haul.items() if k not in recorded_only} for haul in answer["transportJobs"]
    ]


def test_transport_jobs_are_jobs_of_the_queue_and_their_cost_joins_the_runs(alice: Api) -> None:
    ok(alice.put("/v1/industry/characters/7", json={"name": "Hauler"}))
    freighter = add_profile(alice, FREIGHTER)["profile"]["profileId"]
    plan_id = rifter_plan(alice, {"transportProfileId": freighter})
    answer = ok(alice.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 160}), 201)
    run_id, hauls = answer["run"]["id"], answer["transportJobs"]

    queued = read(alice, "/v1/industry/jobs", answer["position"], status="planned")
    transport = [job for job in queued if job["activity"] == "transport"]
    assert sorted((j["id"], j["haulId"], j["runs"], j["totalCost"]) for j in transport) == sorted(
        (h["jobId"], h["id"], h["trips"], h["costEstimate"]) for h in hauls
    )
    assert all(j["kind"] == "transport" and j["planRunId"] == run_id for j in transport)
    minerals, rifters = (next(j for j in transport if j["haulId"] == h["id"]) for h in hauls)

    assigned = ok(alice.put(f"/v1/industry/jobs/{rifters['id']}/character", json={"characterId": 7}))
    assert assigned["job"]["characterId"] == 7
    ok(alice.post(f"/v1/industry/jobs/{rifters['id']}/start", json={}))
    building = answer["created"][0]["id"]
    started = ok(alice.post(f"/v1/industry/jobs/{building}/start", json={"characterId": 7}))

    # a haul holds no industry slot: the board (the game's slots) shows the job building, not it
    board = read(alice, "/v1/industry/board", started["position"])
    assert [job["jobId"] for job in board["jobs"]] == [building]

    ok(alice.post(f"/v1/industry/jobs/{rifters['id']}/complete", json={}))
    ok(alice.post(f"/v1/industry/jobs/{building}/cancel"))
    ok(alice.post(f"/v1/industry/jobs/{minerals['id']}/cancel"))
    edited = alice.patch(f"/v1/industry/jobs/{minerals['id']}", json={"notes": "later"})
    assert edited.status_code == 422 and edited.json()["field"] == "jobId"

    # with the (unpriced) industry jobs cancelled, the run costs what its delivered haul cost
    cancelled = ok(alice.post(f"/v1/industry/plans/runs/{run_id}/cancel"))
    detail = read(alice, f"/v1/industry/plans/{plan_id}/runs/{run_id}", cancelled["position"])
    assert {j["id"]: j["status"] for j in detail["jobs"] if j["kind"] == "transport"} == {
        rifters["id"]: "completed",
        minerals["id"]: "cancelled",
    }
    assert detail["profit"]["totalCost"] == rifters["totalCost"]


def test_a_step_hauls_its_inputs_by_its_own_profile_and_only_yours(alice: Api, bob: Api) -> None:
    freighter = add_profile(alice, FREIGHTER)["profile"]["profileId"]
    courier = add_profile(alice, COURIER)["profile"]["profileId"]
    plan_id = rifter_plan(alice, {"transportProfileId": freighter})
    plan = read(alice, f"/v1/industry/plans/{plan_id}", 0)
    step = plan["steps"][0]["stepId"]

    changed = ok(alice.patch(f"/v1/industry/plans/{plan_id}/steps/{step}", json={"transportProfileId": courier}))
    assert changed["plan"]["steps"][0]["transportProfileId"] == courier
    hauls = ok(alice.post(f"/v1/industry/plans/{plan_id}/preview", json={"quantity": 1}))["transportJobs"]
    assert [(h["toStationId"], h["method"]) for h in hauls] == [(JITA_STATION, "courier_contract"), (HUB, "freighter")]
    assert hauls[0]["costEstimate"] == 410 * 200  # 41,000 units of 0.01 m3 at 200 ISK/m3

    bobs = add_profile(bob, FREIGHTER)["profile"]["profileId"]
    refused = alice.patch(f"/v1/industry/plans/{plan_id}/steps/{step}", json={"transportProfileId": bobs})
    assert refused.status_code == 422 and refused.json()["field"] == "transportProfileId"
    refused = alice.patch(
        f"/v1/industry/plans/{plan_id}", json={"transport": {"hubStationId": HUB, "transportProfileId": bobs}}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "transport.transportProfileId"
