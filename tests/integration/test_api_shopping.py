"""Shopping lists through the HTTP API: a chain's on the shipped sample catalog (the game's
real Rifter: 32,000 Tritanium, 6,000 Pyerite, 2,500 Mexallon and 500 Isogen a run, every
mineral 0.01 m3; see sample-catalog.SOURCES.md) and a plan run's on test_api_plans' catalog,
every quantity worked out by hand."""

from __future__ import annotations

import csv
import io
from typing import Any

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api
from tests.integration.test_api_plans import PYE, TRIT, B, C, S, generate, new_plan, ok, read

MEX, ISO = 36, 37
RIFTER, WOLF = 587, 11371
JITA_IV, AMARR_VIII = 60003760, 60008494
FORGE = 10000002
RIFTER_LIST = f"/v1/production/chains/{RIFTER}/shopping-list"


def sample(api: Api) -> int:
    return int(ok(api.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))["position"])


def holding(api: Api, location_id: int, held: dict[int, int]) -> int:
    assets = [{"typeId": t, "locationId": location_id, "quantity": q} for t, q in held.items()]
    return int(ok(api.put("/v1/assets", json={"locationId": location_id, "assets": assets}))["position"])


def lines(answer: dict[str, Any]) -> list[tuple[str, int, int, int]]:
    return [(line["name"], line["required"], line["held"], line["toBuy"]) for line in answer["lines"]]


def test_the_rifters_list_is_the_games_numbers_at_me_0_and_me_10(alice: Api) -> None:
    position = sample(alice)
    at_me_0 = read(alice, RIFTER_LIST, position)
    assert [(line["name"], line["toBuy"], line["volume"]) for line in at_me_0["lines"]] == [
        ("Tritanium", 32_000, 320.0),
        ("Pyerite", 6_000, 60.0),
        ("Mexallon", 2_500, 25.0),
        ("Isogen", 500, 5.0),
    ]
    assert at_me_0["totals"] == {"items": 4, "units": 41_000, "volume": 410.0, "cost": None, "pricesAsOf": None}
    assert (at_me_0["typeId"], at_me_0["name"], at_me_0["runs"], at_me_0["missing"]) == (RIFTER, "Rifter", 1, [])
    # 31 runs at ME 10: jobs of 30 and 1 (at most 30 runs a job), each 0.9 of the base
    at_me_10 = read(alice, RIFTER_LIST, position, runs=31, me=10)
    assert [(line["typeId"], line["toBuy"]) for line in at_me_10["lines"]] == [
        (34, 864_000 + 28_800),
        (PYE, 162_000 + 5_400),
        (MEX, 67_500 + 2_250),
        (ISO, 13_500 + 450),
    ]
    bill = read(alice, f"/v1/production/chains/{RIFTER}/materials", position, runs=31, me=10)
    assert {m["typeId"]: m["quantity"] for m in bill["materials"]} == {
        line["typeId"]: line["toBuy"] for line in at_me_10["lines"]
    }


def test_a_location_lists_only_what_is_still_missing_there_priced_in_a_region(alice: Api) -> None:
    sample(alice)
    holding(alice, JITA_IV, {34: 12_000, PYE: 9_000})
    position = holding(alice, AMARR_VIII, {MEX: 2_500})  # held elsewhere: still to buy
    quotes = [{"typeId": 34, "lowestSell": 4.0}, {"typeId": MEX, "lowestSell": 50.5}]
    batch = {"regionId": FORGE, "observedAt": "2026-03-01T12:00:00Z", "quotes": quotes}
    priced = int(ok(alice.post("/v1/market/prices", json=batch), 201)["position"])
    answer = read(alice, RIFTER_LIST, max(position, priced), locationId=JITA_IV, region_id=FORGE)
    assert lines(answer) == [
        ("Tritanium", 32_000, 12_000, 20_000),
        ("Mexallon", 2_500, 0, 2_500),
        ("Isogen", 500, 0, 500),
    ]
    assert [(line["unitPrice"], line["cost"]) for line in answer["lines"]] == [
        (4.0, 80_000.0),
        (50.5, 126_250.0),
        (None, None),
    ]
    assert (answer["locationId"], answer["regionId"], answer["totals"]["cost"]) == (JITA_IV, FORGE, None)
    assert answer["missing"] == [
        {"what": "sell_price", "id": ISO, "reason": "no market quote for this item in the region"}
    ]
    unknown_region = alice.get(RIFTER_LIST, params={"region_id": 10000043})
    assert (unknown_region.status_code, unknown_region.json()["field"]) == (404, "region_id")


def test_an_intermediate_held_at_the_location_is_not_built_again(alice: Api) -> None:
    position = sample(alice)
    wolf = read(alice, f"/v1/production/chains/{WOLF}/shopping-list", position)
    assert next(line["toBuy"] for line in wolf["lines"] if line["typeId"] == 34) == 32_000 + 556  # hull + R.A.M.
    position = holding(alice, JITA_IV, {RIFTER: 1})
    held = read(alice, f"/v1/production/chains/{WOLF}/shopping-list", position, locationId=JITA_IV)
    assert next(line["toBuy"] for line in held["lines"] if line["typeId"] == 34) == 556  # the R.A.M. only


def test_multibuy_is_the_games_paste_and_csv_a_spreadsheet(alice: Api) -> None:
    position = sample(alice)
    multibuy = alice.get(RIFTER_LIST, params={"minPosition": position, "runs": 10, "format": "multibuy"})
    assert multibuy.status_code == 200 and multibuy.headers["content-type"] == "text/plain; charset=utf-8"
    assert multibuy.text == "Tritanium\t320000\nPyerite\t60000\nMexallon\t25000\nIsogen\t5000\n"
    as_json = read(alice, RIFTER_LIST, position, runs=10)
    pasted = [row.split("\t") for row in multibuy.text.splitlines()]
    assert [(name, int(units)) for name, units in pasted] == [
        (line["name"], line["toBuy"]) for line in as_json["lines"]
    ]
    sheet = alice.get(RIFTER_LIST, params={"minPosition": position, "runs": 10, "format": "csv"})
    assert sheet.headers["content-type"] == "text/csv; header=present; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(sheet.text, newline="")))
    assert [(row["typeId"], row["name"], row["toBuy"], row["volume"], row["cost"]) for row in rows][0] == (
        "34",
        "Tritanium",
        "320000",
        "3200.0",
        "",
    )
    assert [int(row["toBuy"]) for row in rows] == [line["toBuy"] for line in as_json["lines"]]


def test_bad_shopping_list_requests_name_the_field(alice: Api, bob: Api) -> None:
    sample(alice)
    for api, params, status, field in (
        (alice, {"format": "xml"}, 400, "format"),
        (alice, {"runs": 0}, 400, "runs"),
        (alice, {"runs": "many"}, 400, "runs"),
        (alice, {"me": 11}, 400, "me"),
        (alice, {"locationId": 0}, 400, "locationId"),
        (bob, {}, 404, "typeId"),  # catalogs are per user
    ):
        response = api.get(RIFTER_LIST, params=params)
        assert (response.status_code, response.json()["field"]) == (status, field), (params, response.text)


# ------------------------------------------------------------------ a plan run's list


def mixed_run(api: Api) -> dict[str, Any]:
    """7 ships where the components C of the ship itself buy their reagent B: the two C
    steps merge into one job of 56 runs consuming 5,600 B, 1,400 of them bought (for the 14
    C the ship takes) and 4,200 made (94 reaction runs of 45, for the 42 C of the modules)."""
    plan = new_plan(api)
    steps = plan["plan"]["steps"]
    ship_step = next(s["stepId"] for s in steps if s["productTypeId"] == S)
    ship_c = next(s["stepId"] for s in steps if s["productTypeId"] == C and s["parentStepId"] == ship_step)
    ok(api.put(f"/v1/industry/plans/{plan['aggregateId']}/steps/{ship_c}/materials/{B}", json={"source": "buy"}))
    return ok(generate(api, plan["aggregateId"], 7), 201)


def test_a_runs_list_is_what_it_buys_not_what_it_makes_and_drops_what_started_jobs_hold(alice: Api) -> None:
    run = mixed_run(alice)
    shopping = f"/v1/industry/plans/runs/{run['run']['id']}/shopping-list"
    generated = read(alice, shopping, run["position"])
    # Tritanium: ships 500 + 200, C 560, B 94 x 100; Pyerite: modules 21 x 10; B: 1,400 bought
    assert lines(generated) == [
        ("Tritanium", 10_660, 0, 10_660),
        ("Pyerite", 210, 0, 210),
        ("Reagent", 1_400, 0, 1_400),
    ]
    assert {line["typeId"]: line["toBuy"] for line in generated["lines"]} == {
        s["typeId"]: s["quantity"] for s in run["skipped"]
    }
    assert (generated["runId"], generated["planId"]) == (run["run"]["id"], run["run"]["planId"])
    assert generated["totals"]["volume"] == 1_508.7  # 0.01 m3 a mineral, 1 m3 a reagent
    c_job = next(job["id"] for job in run["created"] if job["productTypeId"] == C)
    started = ok(alice.post(f"/v1/industry/jobs/{c_job}/start", json={}))
    after = read(alice, shopping, started["position"])
    assert lines(after) == [("Tritanium", 10_100, 0, 10_100), ("Pyerite", 210, 0, 210)]  # C's 560 and its B with it
    held = holding(alice, 1, {TRIT: 10_000, PYE: 500})
    delta = alice.get(shopping, params={"minPosition": held, "locationId": 1, "format": "multibuy"})
    assert delta.text == "Tritanium\t100\n"  # the Pyerite is all held


def test_another_users_run_is_not_found(alice: Api, bob: Api) -> None:
    run = mixed_run(alice)
    shopping = f"/v1/industry/plans/runs/{run['run']['id']}/shopping-list"
    foreign = bob.get(shopping, params={"minPosition": run["position"]})
    assert (foreign.status_code, foreign.json()["field"]) == (404, "runId")
    bad = alice.get(shopping, params={"format": "pdf"})
    assert (bad.status_code, bad.json()["field"]) == (400, "format")
