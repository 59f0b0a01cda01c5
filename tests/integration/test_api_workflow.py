"""The production-system seed's workflow API on the shipped sample catalog (the game's real
data: see sample-catalog.SOURCES.md), every expected number worked out by hand.

The Rifter (587) is made by the Rifter Blueprint (691): 6,000 s a run, at most 30 runs a job,
32,000 Tritanium, 6,000 Pyerite, 2,500 Mexallon and 500 Isogen a run, Industry I required. The
market is made up with round numbers: Tritanium 4, Pyerite 10, Mexallon 50, Isogen 100 (sold
and adjusted alike: 363,000 a run), the Rifter sold at 450,000; in Jita manufacturing 5%, at an
NPC station with no facility tax and the 4% SCC surcharge.
"""

from __future__ import annotations

from typing import Any

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api

JOBS = "/v1/production/workflow/jobs"
BUILDABLE = "/v1/production/workflow/buildable"
RIFTER, RIFTER_BLUEPRINT, DRAKE, DRAKE_BLUEPRINT = 587, 691, 24698, 24699
WOLF, WOLF_BLUEPRINT, RAM = 11371, 11372, 11478
TRITANIUM, PYERITE, MEXALLON, ISOGEN = 34, 35, 36, 37
FERNITE_ALLOY, FUEL_BLOCK, REACTIONS_SKILL, INDUSTRY_SKILL = 16656, 4246, 45746, 3380
FORGE, JITA, HUB = 10000002, 30000142, 60003760
JITA_PLANT = "Jita IV - Moon 4 - Caldari Navy Assembly Plant"  # the name of HUB in the catalog's map
ANN, CYD = 2112000001, 2112000003
MINERALS = {TRITANIUM: 4, PYERITE: 10, MEXALLON: 50, ISOGEN: 100}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Any, status: int, field: str) -> None:
    assert (response.status_code, response.json()["field"]) == (status, field), response.text


def imported(api: Api) -> int:
    return int(ok(api.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))["position"])


def priced(api: Api) -> int:
    batch = {
        "regionId": FORGE,
        "observedAt": "2026-03-01T12:00:00Z",
        "quotes": [{"typeId": t, "lowestSell": p} for t, p in {**MINERALS, RIFTER: 450_000}.items()],
        "adjustedPrices": [{"typeId": t, "adjustedPrice": p} for t, p in MINERALS.items()],
        "costIndices": [{"solarSystemId": JITA, "activity": "manufacturing", "costIndex": 0.05}],
        "jobSite": {"solarSystemId": JITA},
    }
    return int(ok(api.post("/v1/market/prices", json=batch), 201)["position"])


def character(api: Api, character_id: int, name: str, **skills: Any) -> None:
    ok(api.put(f"/v1/industry/characters/{character_id}", json={"name": name, "skills": skills}))


def order(api: Api, **fields: Any) -> Any:
    return api.post(JOBS, json={"productTypeId": RIFTER, "blueprintTypeId": RIFTER_BLUEPRINT, "runs": 1, **fields})


def read(api: Api, path: str, position: int, **params: Any) -> Any:
    return ok(api.get(path, params={"minPosition": position, **params}))


def test_an_ordered_job_gets_its_materials_output_and_whole_second_duration_from_the_catalog(alice: Api) -> None:
    imported(alice)
    character(alice, ANN, "Ann", industry=5, advancedIndustry=5)
    answer = ok(order(alice, characterId=ANN, runs=10, meLevel=10, teLevel=20, stationId=HUB), 201)
    job = answer["job"]
    # ME 10 per job: 320,000 x 0.9 Tritanium, 60,000 x 0.9 Pyerite, 25,000 x 0.9 Mexallon, 5,000 x 0.9 Isogen
    assert [(m["typeId"], m["quantity"], m["source"]) for m in job["materials"]] == [
        (TRITANIUM, 288_000, "buy"),
        (PYERITE, 54_000, "buy"),
        (MEXALLON, 22_500, "buy"),
        (ISOGEN, 4_500, "buy"),
    ]
    # 10 x 6,000 s x 0.8 (TE 20) x 0.8 (Industry V) x 0.85 (Advanced Industry V) = 32,640 s, whole
    assert (job["expectedOutput"], job["estimatedDuration"], job["activity"]) == (10, 32_640, "manufacturing")
    assert (job["characterId"], job["status"], job["productName"], answer["missing"]) == (ANN, "planned", "Rifter", [])
    # one job queue: the ordered job is the industry queue's
    assert read(alice, f"/v1/industry/jobs/{job['id']}", answer["position"])["estimatedDuration"] == 32_640


def test_a_character_not_in_the_roster_runs_the_job_untrained(alice: Api) -> None:
    imported(alice)
    job = ok(order(alice, characterId=CYD, runs=10, teLevel=20), 201)["job"]
    assert (job["characterId"], job["estimatedDuration"]) == (CYD, 48_000)  # 10 x 6,000 s x 0.8


def test_each_material_is_made_or_bought_as_decided_and_undecided_ones_are_bought(alice: Api) -> None:
    imported(alice)
    decided = [{"typeId": RIFTER, "decision": "make"}, {"typeId": RAM, "decision": "buy"}]
    job = ok(order(alice, productTypeId=WOLF, blueprintTypeId=WOLF_BLUEPRINT, materials=decided), 201)["job"]
    sources = {m["typeId"]: m["source"] for m in job["materials"]}
    assert (sources[RIFTER], sources[RAM], sources[11399]) == ("make", "buy", "buy")
    assert len(sources) == 11


def test_what_the_catalog_refutes_is_refused_naming_the_field_and_nothing_is_queued(alice: Api) -> None:
    position = imported(alice)
    refused(order(alice, productTypeId=DRAKE), 422, "blueprintTypeId")  # a Drake from the Rifter Blueprint
    refused(order(alice, productTypeId=999_999), 404, "productTypeId")
    refused(order(alice, blueprintTypeId=999_999), 404, "blueprintTypeId")
    refused(order(alice, facilityTax=-1), 400, "facilityTax")
    refused(order(alice, runs=31), 422, "runs")  # the Rifter Blueprint runs at most 30 a job
    refused(order(alice, runs=0), 400, "runs")
    refused(order(alice, meLevel=11), 400, "meLevel")
    refused(
        order(alice, materials=[{"typeId": TRITANIUM, "decision": "buy"}, {"typeId": 38, "decision": "buy"}]),
        400,
        "materials[1].typeId",
    )
    refused(order(alice, materials=[{"typeId": TRITANIUM, "decision": "make"}]), 422, "materials[0].decision")
    refused(order(alice, materials=[{"typeId": TRITANIUM, "decision": "sell"}]), 400, "materials[0].decision")
    refused(order(alice, regionId=FORGE), 404, "regionId")
    assert read(alice, JOBS, position) == []
    drake = ok(order(alice, productTypeId=DRAKE, blueprintTypeId=DRAKE_BLUEPRINT, runs=10), 201)["job"]
    assert drake["expectedOutput"] == 10


def test_an_order_in_a_region_is_priced_and_expects_its_output_to_sell(alice: Api) -> None:
    imported(alice)
    priced(alice)
    answer = ok(order(alice, meLevel=10, regionId=FORGE), 201)
    # bought at ME 10: 28,800 x 4 + 5,400 x 10 + 2,250 x 50 + 450 x 100 = 326,700; installed at
    # the EIV (ME 0) 363,000 x (0.05 index + 0.04 SCC) = 32,670: 359,370; one Rifter sells 450,000
    assert (answer["job"]["totalCost"], answer["job"]["expectedRevenue"], answer["missing"]) == (359_370, 450_000, [])


def test_jobs_are_listed_by_character_and_status(alice: Api) -> None:
    imported(alice)
    ann = ok(order(alice, characterId=ANN), 201)["job"]
    ok(order(alice, characterId=CYD), 201)
    ok(order(alice), 201)
    started = ok(alice.patch(f"{JOBS}/{ann['id']}", json={"status": "active"}))
    position = started["position"]
    assert {j["characterId"] for j in read(alice, JOBS, position, character_id=CYD)} == {CYD}
    assert [j["id"] for j in read(alice, JOBS, position, character_id=ANN, status="active")] == [ann["id"]]
    assert read(alice, JOBS, position, character_id=ANN, status="planned") == []
    assert len(read(alice, JOBS, position)) == 3


def test_a_job_moves_through_its_statuses_and_records_its_revenue_after_completion(alice: Api) -> None:
    imported(alice)
    job_id = ok(order(alice, stationId=HUB), 201)["job"]["id"]
    refused(alice.patch(f"{JOBS}/{job_id}", json={"status": "completed"}), 409, "status")  # planned: start first
    refused(alice.patch(f"{JOBS}/{job_id}", json={"actualRevenue": 1.0}), 409, "status")
    ok(alice.patch(f"{JOBS}/{job_id}", json={"status": "active"}))
    done = ok(alice.patch(f"{JOBS}/{job_id}", json={"status": "completed"}))
    assert (done["job"]["status"], done["job"]["actualRevenue"]) == ("completed", None)
    assert read(alice, "/v1/assets", done["position"], locationId=HUB) == [
        {"typeId": RIFTER, "locationId": HUB, "quantity": 1, "locationName": JITA_PLANT}
    ], "the completion delivers the output once"
    sold = ok(alice.patch(f"{JOBS}/{job_id}", json={"status": "completed", "actualRevenue": 440_000}))
    assert (sold["changed"], sold["job"]["actualRevenue"], sold["version"]) == (True, 440_000, 4)
    again = ok(alice.patch(f"{JOBS}/{job_id}", json={"actualRevenue": 440_000}))
    assert (again["changed"], again["version"]) == (False, 4)
    corrected = ok(alice.patch(f"{JOBS}/{job_id}", json={"actualRevenue": 445_000}))
    assert read(alice, f"/v1/industry/jobs/{job_id}", corrected["position"])["actualRevenue"] == 445_000
    assert read(alice, "/v1/assets", corrected["position"], locationId=HUB)[0]["quantity"] == 1
    refused(alice.patch(f"{JOBS}/{job_id}", json={"actualRevenue": -1}), 400, "actualRevenue")
    refused(alice.patch(f"{JOBS}/{job_id}", json={"status": "cancelled"}), 409, "status")
    refused(alice.patch(f"{JOBS}/{job_id}", json={"status": "planned"}), 400, "status")


def test_runs_and_plans_report_expected_and_realized_profit(alice: Api) -> None:
    imported(alice)
    priced(alice)
    body = {"name": "Rifters", "productTypeId": RIFTER, "defaults": {"meLevel": 0, "teLevel": 0, "stationId": HUB}}
    plan_id = ok(alice.post("/v1/industry/plans", json=body), 201)["aggregateId"]
    generated = ok(alice.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 2, "regionId": FORGE}), 201)
    # one job of 2 runs: 2 x 363,000 bought + 726,000 EIV x 0.09 = 791,340; 2 Rifters sell 900,000
    [job] = generated["created"]
    assert (job["totalCost"], job["expectedRevenue"]) == (791_340, 900_000)
    expected = {
        "totalCost": 791_340,
        "expectedRevenue": 900_000,
        "expectedProfit": 108_660,
        "realizedRevenue": None,
        "realizedProfit": None,
    }
    assert generated["run"]["profit"] == expected
    ok(alice.patch(f"{JOBS}/{job['id']}", json={"status": "active"}))
    sold = ok(alice.patch(f"{JOBS}/{job['id']}", json={"status": "completed", "actualRevenue": 880_000}))
    realized = {**expected, "realizedRevenue": 880_000, "realizedProfit": 88_660}
    run_id = generated["run"]["id"]
    assert read(alice, f"/v1/industry/plans/{plan_id}/runs/{run_id}", sold["position"])["profit"] == realized
    assert read(alice, f"/v1/industry/plans/{plan_id}/profit", sold["position"]) == {
        "planId": plan_id,
        "profit": realized,
    }
    corrected = ok(alice.patch(f"{JOBS}/{job['id']}", json={"actualRevenue": 890_000}))
    [run] = read(alice, "/v1/industry/plans/runs", corrected["position"])
    assert (run["profit"]["realizedRevenue"], run["profit"]["realizedProfit"]) == (890_000, 98_660)


def test_a_run_without_prices_expects_nothing_rather_than_zero(alice: Api) -> None:
    imported(alice)
    body = {"name": "Rifters", "productTypeId": RIFTER, "defaults": {"stationId": HUB}}
    plan_id = ok(alice.post("/v1/industry/plans", json=body), 201)["aggregateId"]
    generated = ok(alice.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 1}), 201)
    assert generated["run"]["profit"] == dict.fromkeys(
        ("totalCost", "expectedRevenue", "expectedProfit", "realizedRevenue", "realizedProfit")
    )


def test_buildable_for_a_character_keeps_the_recipes_it_has_the_skills_for(alice: Api) -> None:
    imported(alice)
    held = {**{t: 1_000_000 for t in MINERALS}, FUEL_BLOCK: 5, 16639: 100, 16642: 100}
    assets = [{"typeId": t, "locationId": HUB, "quantity": q} for t, q in held.items()]
    position = ok(alice.put("/v1/assets", json={"assets": assets}))["position"]
    everything = read(alice, BUILDABLE, position, locationId=HUB)
    assert {RIFTER, FERNITE_ALLOY} <= {r["productTypeId"] for r in everything["recipes"]}
    character(alice, ANN, "Ann", industry=1, reactions=1)
    ann = read(alice, BUILDABLE, position, locationId=HUB, characterId=ANN)
    assert FERNITE_ALLOY not in {r["productTypeId"] for r in ann["recipes"]}
    assert RIFTER in {r["productTypeId"] for r in ann["recipes"]}
    lacking = {r["productTypeId"]: r["missingSkills"] for r in ann["lackingSkills"]}
    assert lacking[FERNITE_ALLOY] == [{"typeId": REACTIONS_SKILL, "level": 2, "trained": 1}]
    character(alice, CYD, "Cyd")  # untrained: not even Industry I
    cyd = read(alice, BUILDABLE, position, locationId=HUB, characterId=CYD)
    assert cyd["recipes"] == [] and cyd["characterId"] == CYD
    assert {"typeId": INDUSTRY_SKILL, "level": 1, "trained": 0} in cyd["lackingSkills"][0]["missingSkills"]
    refused(alice.get(BUILDABLE, params={"characterId": 42}), 404, "characterId")


def test_skills_recipes_require_are_kept_by_type_id(alice: Api) -> None:
    imported(alice)
    wolf_skills = {"11445": 1, "11452": 1, "3395": 1}
    character(alice, ANN, "Ann", industry=5, others=wolf_skills)
    [ann] = ok(alice.get("/v1/industry/characters"))
    assert ann["skills"]["others"] == {"3395": 1, "11445": 1, "11452": 1}
    bad = alice.put(f"/v1/industry/characters/{ANN}", json={"name": "Ann", "skills": {"others": {"3380": 5}}})
    refused(bad, 400, "skills.others")
