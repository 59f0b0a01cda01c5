"""Production economics through the HTTP API, every expected number worked out by hand.

The catalog: the real Rifter (587) from blueprint 691 (32,000 Tritanium, 6,000 Pyerite, 2,500
Mexallon, 500 Isogen; 6,000 s); a ship S (300) from 3 C (100), 2 D (110) and 1,000 Tritanium,
C from 10 Tritanium + 5 Pyerite, D from 20 Pyerite (600 s each); X (901) from one G (900), which
is free; Y (911) from one Z (910), which nobody sells.

The Forge (10000002): Tritanium sells at 4, Pyerite 10, Mexallon 50, Isogen 100 (buy orders at
90%), the Rifter at 450,000 / 400,000 (1,200 a day), C 95, D 260, S 9,000, G 0, X 1,000, Y 500.
Adjusted prices: Tritanium 3.5, Pyerite 8, Mexallon 45, Isogen 90, C 80, D 150, G 0. Jobs in
Jita (30000142), manufacturing index 5%, NPC station: job cost = EIV × (0.05 + 0.0025 tax +
0.04 SCC) = EIV × 0.0925. Stored rows are one run at ME 0 / TE 0 unless a plan says otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest

from projections.economics import plan_for_product, plans_by_product
from tests.conftest import Api
from tests.integration.test_notifications import eventually
from tests.support import RowsRead

TRIT, PYE, MEX, ISO, RIFTER = 34, 35, 36, 37, 587
C, D, S, G, X, Z, Y = 100, 110, 300, 900, 901, 910, 911
FORGE, DOMAIN, JITA = 10000002, 10000043, 30000142
NOON = "2026-03-01T12:00:00Z"


def _recipe(recipe_id: int, product: int, materials: dict[int, int], time: int = 600) -> dict[str, Any]:
    return {
        "recipeId": recipe_id,
        "maxRuns": 30,
        "activities": [
            {
                "kind": "manufacturing",
                "time": time,
                "materials": [{"typeId": t, "quantity": q} for t, q in materials.items()],
                "products": [{"typeId": product, "quantity": 1}],
            }
        ],
    }


NAMES = {TRIT: "Tritanium", PYE: "Pyerite", MEX: "Mexallon", ISO: "Isogen", RIFTER: "Rifter"}
NAMES |= {C: "Component", D: "Module", S: "Ship", G: "Gift", X: "Gadget", Z: "Unobtainium", Y: "Widget"}
CATALOG = {
    "format": "manufactory-catalog",
    "items": [{"typeId": t, "name": n} for t, n in NAMES.items()],
    "recipes": [
        _recipe(691, RIFTER, {TRIT: 32_000, PYE: 6_000, MEX: 2_500, ISO: 500}, time=6_000),
        _recipe(1300, S, {C: 3, D: 2, TRIT: 1_000}),
        _recipe(1100, C, {TRIT: 10, PYE: 5}),
        _recipe(1110, D, {PYE: 20}),
        _recipe(1901, X, {G: 1}),
        _recipe(1911, Y, {Z: 1}),
    ],
}
SELL = {TRIT: 4.0, PYE: 10.0, MEX: 50.0, ISO: 100.0, C: 95.0, D: 260.0, S: 9_000.0, G: 0.0, X: 1_000.0, Y: 500.0}
ADJUSTED = {TRIT: 3.5, PYE: 8.0, MEX: 45.0, ISO: 90.0, C: 80.0, D: 150.0, G: 0.0}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def quotes(sell: dict[int, float], **extra: Any) -> list[dict[str, Any]]:
    return [{"typeId": t, "lowestSell": p, "highestBuy": p * 0.9, **extra} for t, p in sell.items()]


def forge_batch() -> dict[str, Any]:
    rifter = {"typeId": RIFTER, "lowestSell": 450_000, "highestBuy": 400_000, "dailyVolume": 1_200}
    return {
        "regionId": FORGE,
        "observedAt": NOON,
        "quotes": [*quotes(SELL), rifter],
        "adjustedPrices": [{"typeId": t, "adjustedPrice": p} for t, p in ADJUSTED.items()],
        "costIndices": [{"solarSystemId": JITA, "activity": "manufacturing", "costIndex": 0.05}],
        "jobSite": {"solarSystemId": JITA},
    }


def setup(api: Api) -> int:
    """Alice's catalog and The Forge's market; returns the log position to read at."""
    ok(api.post("/v1/catalog/imports", json=CATALOG))
    return ok(api.post("/v1/market/prices", json=forge_batch()), 201)["position"]


def economics(api: Api, type_id: int, position: int, **params: Any) -> dict[str, Any]:
    return ok(
        api.get(f"/v1/production/economics/{type_id}", params={"region_id": FORGE, "minPosition": position, **params})
    )


def figures(answer: dict[str, Any], *names: str) -> list[float | None]:
    return [answer[name]["value"] for name in names]


# ------------------------------------------------------------------ one item


def test_the_stored_row_of_the_rifter_has_the_hand_worked_figures(alice: Api) -> None:
    position = setup(alice)
    rifter = economics(alice, RIFTER, position)
    assert (rifter["source"], rifter["me"], rifter["te"], rifter["strategy"], rifter["version"]) == (
        "projection",
        0,
        0,
        "make",
        1,
    )
    # materials 32,000 x 4 + 6,000 x 10 + 2,500 x 50 + 500 x 100 = 363,000
    # job: EIV 32,000 x 3.5 + 6,000 x 8 + 2,500 x 45 + 500 x 90 = 317,500; x 0.0925 = 29,368.75
    assert figures(rifter, "materialCost", "jobCost", "totalCost") == pytest.approx([363_000, 29_368.75, 392_368.75])
    assert figures(rifter, "sellPrice", "buyPrice") == [450_000, 400_000]
    # profit 450,000 - 392,368.75 = 57,631.25 (ROI 14.6880%); 400,000 - 392,368.75 = 7,631.25 (1.9449%)
    assert figures(rifter, "profitSell", "profitBuy") == pytest.approx([57_631.25, 7_631.25])
    assert figures(rifter, "roiSell", "roiBuy") == pytest.approx([14.6880, 1.9449], abs=1e-4)
    # 6,000 s: 57,631.25 / (6,000 / 3,600) = 34,578.75 an hour
    assert (rifter["baseTime"], rifter["effectiveTime"]) == (6_000, 6_000)
    assert figures(rifter, "profitPerHourSell") == pytest.approx([34_578.75])
    assert rifter["dailyVolume"] == 1_200 and rifter["missing"] == [] and rifter["name"] == "Rifter"
    assert {rifter[name]["asOf"] for name in ("materialCost", "jobCost", "profitSell", "roiBuy")} == {NOON}


def test_other_levels_and_price_choices_are_computed_on_request(alice: Api) -> None:
    position = setup(alice)
    # ME 10: 28,800 x 4 + 5,400 x 10 + 2,250 x 50 + 450 x 100 = 326,700; the EIV ignores ME
    # total 356,068.75; profit 93,931.25 (ROI 26.3801%); TE 20: 4,800 s -> 70,448.4375 an hour
    leveled = economics(alice, RIFTER, position, me=10, te=20)
    assert (leveled["source"], leveled["me"], leveled["te"], leveled["version"]) == ("computed", 10, 20, None)
    assert figures(leveled, "materialCost", "totalCost", "profitSell") == pytest.approx(
        [326_700, 356_068.75, 93_931.25]
    )
    assert figures(leveled, "roiSell") == pytest.approx([26.3801], abs=1e-4)
    assert leveled["effectiveTime"] == 4_800  # whole seconds
    assert figures(leveled, "profitPerHourSell") == pytest.approx([70_448.4375])
    # inputs at the highest buy (90%): 363,000 x 0.9 = 326,700; the product at its highest buy
    bought = economics(alice, RIFTER, position, input="buy", output="buy")
    assert figures(bought, "materialCost", "sellPrice") == pytest.approx([326_700, 400_000])
    # a percentile without order-book depth is the lowest sell, flagged approximate
    assert economics(alice, RIFTER, position, input="percentile", percentile=20)["approximate"] == [TRIT, PYE, MEX, ISO]


def test_a_free_input_gives_no_roi_and_a_missing_price_is_reported_not_zero(alice: Api) -> None:
    position = setup(alice)
    gadget = economics(alice, X, position)
    assert figures(gadget, "materialCost", "jobCost", "totalCost", "profitSell") == [0.0, 0.0, 0.0, 1_000.0]
    assert figures(gadget, "roiSell", "roiBuy") == [None, None]
    assert figures(gadget, "profitPerHourSell") == pytest.approx([6_000])  # 600 s: six an hour
    widget = economics(alice, Y, position)
    assert figures(widget, "materialCost", "jobCost", "totalCost", "profitSell", "roiSell") == [None] * 5
    assert widget["materialCost"]["asOf"] is None and figures(widget, "sellPrice") == [500]
    assert [(m["what"], m["id"]) for m in widget["missing"]] == [("sell_price", Z), ("adjusted_price", Z)]


def test_a_region_without_a_job_site_reports_it_missing(alice: Api) -> None:
    setup(alice)
    batch = {"regionId": DOMAIN, "observedAt": NOON, "quotes": quotes(SELL)}
    position = ok(alice.post("/v1/market/prices", json=batch), 201)["position"]
    gadget = economics(alice, X, position, region_id=DOMAIN)
    assert figures(gadget, "jobCost", "profitSell") == [None, None]
    assert [(m["what"], m["id"]) for m in gadget["missing"]] == [("job_site", DOMAIN)]
    assert figures(economics(alice, X, position, region_id=DOMAIN, solar_system_id=JITA), "jobCost") == [0.0]


# ------------------------------------------------------------------ plans and make-or-buy

# With C bought: 96.9375 to make one (90 + EIV 75 x 0.0925) against 95 to buy; D: 214.8 made
# (200 + 160 x 0.0925) against 260; S's job: EIV 240 + 300 + 3,500 = 4,040 -> 373.7.
#   cheapest 3 x 95 + 2 x 214.8 + 4,000 + 373.7 = 5,088.3
#   all-buy  3 x 95 + 2 x 260 + 4,373.7 = 5,178.7 (saving 90.4)
#   all-make 3 x 96.9375 + 429.6 + 4,373.7 = 5,094.1125 (saving 5.8125)


def test_make_or_buy_for_a_product(alice: Api) -> None:
    position = setup(alice)
    params = {"region_id": FORGE, "minPosition": position}
    answer = ok(alice.get(f"/v1/production/economics/{S}/make-or-buy", params=params))
    assert (answer["method"], answer["planId"], answer["planCost"]) == ("tree", None, None)
    assert answer["cost"] == pytest.approx(5_088.3)
    assert (answer["allBuyCost"], answer["savingVsAllBuy"]) == pytest.approx((5_178.7, 90.4))
    assert (answer["allMakeCost"], answer["savingVsAllMake"]) == pytest.approx((5_094.1125, 5.8125))
    items = {item["typeId"]: item for item in answer["items"]}
    assert {t: item["decision"] for t, item in items.items()} == {C: "buy", D: "make"}
    assert items[C]["unitCost"] == pytest.approx(95) and items[D]["unitCost"] == pytest.approx(214.8)
    assert items[D]["price"] == 260 and items[D]["recipeId"] == 1110 and items[C]["name"] == "Component"


def test_a_plan_sets_the_stored_row_and_its_make_or_buy_compares_against_it(alice: Api) -> None:
    setup(alice)
    defaults = {"meLevel": 0, "teLevel": 0, "facilityTax": 0.0025}  # the NPC station's rates
    plan = ok(alice.post("/v1/industry/plans", json={"name": "Ships", "productTypeId": S, "defaults": defaults}), 201)
    position = plan["position"]
    # the plan makes C and D: C 3 runs (30 Tritanium, 15 Pyerite), D 2 runs (40 Pyerite), S 1,000
    # Tritanium: 1,030 x 4 + 55 x 10 = 4,670; jobs 373.7 + 225 x 0.0925 + 320 x 0.0925 = 424.1125
    ship = economics(alice, S, position)
    assert (ship["strategy"], ship["planId"], ship["source"]) == ("plan", plan["aggregateId"], "projection")
    assert figures(ship, "materialCost", "jobCost", "totalCost") == pytest.approx([4_670, 424.1125, 5_094.1125])
    assert figures(ship, "profitSell", "roiSell") == pytest.approx([3_905.8875, 76.6745], abs=1e-4)
    answer = ok(
        alice.get(
            f"/v1/industry/plans/{plan['aggregateId']}/make-or-buy",
            params={"region_id": FORGE, "minPosition": position},
        )
    )
    assert answer["planCost"] == pytest.approx(5_094.1125) and answer["cost"] == pytest.approx(5_088.3)
    assert answer["savingVsPlan"] == pytest.approx(5.8125)
    assert {i["typeId"]: (i["decision"], i["current"]) for i in answer["items"]} == {
        C: ("buy", "make"),
        D: ("make", "make"),
    }
    # buying C in the plan is what the stored row then prices: 5,088.3
    root = next(step for step in plan["plan"]["steps"] if step["parentStepId"] is None)
    changed = ok(
        alice.put(
            f"/v1/industry/plans/{plan['aggregateId']}/steps/{root['stepId']}/materials/{C}",
            json={"source": "buy"},
        )
    )
    bought = economics(alice, S, changed["position"])
    assert figures(bought, "totalCost") == pytest.approx([5_088.3]) and bought["version"] == ship["version"] + 1


def test_a_plan_adds_its_row_beside_the_base_row_and_rankings_compare_like_with_like(alice: Api) -> None:
    setup(alice)
    defaults = {"meLevel": 0, "teLevel": 0, "facilityTax": 0.0025}
    plan = ok(alice.post("/v1/industry/plans", json={"name": "Ships", "productTypeId": S, "defaults": defaults}), 201)
    root = next(step for step in plan["plan"]["steps"] if step["parentStepId"] is None)
    bought = ok(
        alice.put(
            f"/v1/industry/plans/{plan['aggregateId']}/steps/{root['stepId']}/materials/{C}", json={"source": "buy"}
        )
    )
    position = bought["position"]
    # the plan buys C: 5,088.3; the base case makes everything at ME 0 / TE 0: 5,094.1125
    # The plan's stored row: a read at the position may still compute it (the same figures) while
    # the updater is storing it under load (a known race, in the session note); it is stored soon.
    planned = eventually(lambda: (row := economics(alice, S, position))["source"] == "projection" and row)
    base = economics(alice, S, position, strategy="make")
    assert (planned["scenario"], planned["planId"], planned["source"]) == ("plan", plan["aggregateId"], "projection")
    assert (base["scenario"], base["planId"], base["source"]) == ("base", None, "projection")
    assert (base["me"], base["te"], base["strategy"]) == (0, 0, "make")
    assert figures(planned, "totalCost") + figures(base, "totalCost") == pytest.approx([5_088.3, 5_094.1125])

    def ranked(**params: Any) -> list[tuple[int, str, float]]:
        query = {"region_id": FORGE, "minPosition": position, **params}
        answer = ok(alice.get("/v1/production/economics/opportunities", params=query))
        assert answer["scenario"] == params.get("scenario", "base")
        return [(item["typeId"], item["scenario"], item["totalCost"]) for item in answer["items"]]

    base_ranking = ranked()
    assert [t for t, _, _ in base_ranking] == [RIFTER, S, X, D, C], "every item once, all base rows"
    assert {scenario for _, scenario, _ in base_ranking} == {"base"}
    assert next(cost for t, _, cost in base_ranking if t == S) == pytest.approx(5_094.1125)
    assert ranked(scenario="plan") == [(S, "plan", pytest.approx(5_088.3))]

    gone = ok(alice.delete(f"/v1/industry/plans/{plan['aggregateId']}"))
    position = gone["position"]
    assert ranked(scenario="plan") == []
    after = economics(alice, S, position)
    assert (after["scenario"], after["source"]) == ("base", "projection")
    assert figures(after, "totalCost") == pytest.approx([5_094.1125])
    unknown = alice.get("/v1/production/economics/opportunities", params={"region_id": FORGE, "scenario": "all"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "scenario"


# ------------------------------------------------------------------ many items and regions


def test_of_several_plans_for_an_item_the_most_recently_changed_one_answers(alice: Api) -> None:
    setup(alice)
    plans = [ok(alice.post("/v1/industry/plans", json={"name": name, "productTypeId": S}), 201) for name in "ABC"]
    ids = [plan["aggregateId"] for plan in plans]
    position = plans[-1]["position"]
    assert economics(alice, S, position)["planId"] == ids[2]  # its stored row
    assert economics(alice, S, position, runs=2)["planId"] == ids[2]  # worked out on request
    renamed = ok(alice.patch(f"/v1/industry/plans/{ids[0]}", json={"name": "A again"}))
    assert economics(alice, S, renamed["position"], runs=2)["planId"] == ids[0]
    system = alice.client.app.state.system
    with system.query_engine.connect() as connection:
        reading = RowsRead(connection)
        assert plan_for_product(reading, alice.user_id, S) == {S: plans_by_product(connection, alice.user_id)[S]}
    assert len(reading.rows) == 1  # that plan's row, not every plan of the user


def test_opportunities_filter_and_sort_the_stored_rows(alice: Api) -> None:
    position = setup(alice)

    def listed(**params: Any) -> tuple[list[int], int]:
        query = {"region_id": FORGE, "minPosition": position, **params}
        answer = ok(alice.get("/v1/production/economics/opportunities", params=query))
        return [item["typeId"] for item in answer["items"]], answer["unpriced"]

    # profit at the lowest sell: Rifter 57,631.25; S 3,905.8875; X 1,000; D 45.2; C 95 - 96.9375
    assert listed() == ([RIFTER, S, X, D, C], 1)  # Y's is unknown
    assert listed(min_profit=1000) == ([RIFTER, S, X], 1)
    # ROI: S 76.67%, D 21.04%, the Rifter 14.69%; X costs nothing, so it has none
    assert listed(min_roi=20)[0] == [S, D]
    assert listed(sort="roi", limit=2)[0] == [S, D]
    assert listed(sort="volume")[0][0] == RIFTER  # the only one with a daily volume
    assert listed(price="buy", min_profit=0)[0] == [RIFTER, S, X, D]  # at the highest buy (90%)
    gadgets = {"regionId": FORGE, "quotes": quotes({X: 5_000.0})}  # X now earns 5,000: above S
    position = ok(alice.post("/v1/market/prices", json=gadgets), 201)["position"]
    assert listed(min_profit=1000) == ([RIFTER, X, S], 1)


def test_opportunities_count_every_match_beside_the_page(alice: Api) -> None:
    """``total`` counts the priced rows the filters match, whatever ``limit`` lets into ``items``;
    the profits are those of the test above (Rifter 57,631.25; S 3,905.8875; X 1,000; D 45.2;
    C -1.9375 at the lowest sell; ROI S 76.67%, D 21.04%, Rifter 14.69%, X none)."""
    position = setup(alice)

    def page(**params: Any) -> tuple[list[int], int, int]:
        query = {"region_id": FORGE, "minPosition": position, **params}
        answer = ok(alice.get("/v1/production/economics/opportunities", params=query))
        return [item["typeId"] for item in answer["items"]], answer["total"], answer["unpriced"]

    assert page() == ([RIFTER, S, X, D, C], 5, 1)  # all five priced items; Y's profit is unknown
    assert page(limit=2) == ([RIFTER, S], 5, 1)
    assert page(min_profit=1000, limit=2) == ([RIFTER, S], 3, 1)  # the Rifter, S and X earn 1,000 or more
    assert page(min_roi=20, limit=1) == ([S], 2, 1)  # S and D; X has no ROI, so it never matches one
    assert page(sort="roi", min_profit=0, limit=3) == ([S, D, RIFTER], 4, 1)  # C loses 1.9375
    # at the highest buy (90% of the sell): Rifter 7,631.25, S 3,005.8875, X 900, D 19.2; C -11.4375
    assert page(price="buy", min_profit=0, limit=3) == ([RIFTER, S, X], 4, 1)
    assert page(scenario="plan") == ([], 0, 0)  # no plans, so no plan rows


def test_regions_are_compared_a_page_at_a_time_by_id(alice: Api) -> None:
    setup(alice)
    position = ok(alice.post("/v1/market/prices", json=forge_batch() | {"regionId": DOMAIN}), 201)["position"]

    def page(**params: Any) -> tuple[list[int], int | None]:
        query = {"minPosition": position, **params}
        answer = ok(alice.get(f"/v1/production/economics/{RIFTER}/regions", params=query))
        return [r["regionId"] for r in answer["regions"]], answer["bestRegionId"]

    assert page(limit=1) == ([FORGE], FORGE) and page(limit=1, offset=1) == ([DOMAIN], DOMAIN)
    assert page(limit=1, offset=1, me=10) == ([DOMAIN], DOMAIN)  # worked out on request: the page's alone
    assert page(offset=2) == ([], None)


def test_regions_rank_the_best_first(alice: Api) -> None:
    setup(alice)
    domain = forge_batch() | {"regionId": DOMAIN}
    domain["quotes"] = [*quotes(SELL), {"typeId": RIFTER, "lowestSell": 470_000, "highestBuy": 390_000}]
    position = ok(alice.post("/v1/market/prices", json=domain), 201)["position"]
    answer = ok(alice.get(f"/v1/production/economics/{RIFTER}/regions", params={"minPosition": position}))
    assert [r["regionId"] for r in answer["regions"]] == [DOMAIN, FORGE]
    assert [r["profitSell"]["value"] for r in answer["regions"]] == pytest.approx([77_631.25, 57_631.25])
    assert (answer["bestRegionId"], answer["bestRegionName"]) == (DOMAIN, None)
    # no source names regions yet (no map in the catalog, ids only in market data): null, not guessed
    assert [r["regionName"] for r in answer["regions"]] == [None, None]
    by_buy = ok(alice.get(f"/v1/production/economics/{RIFTER}/regions", params={"price": "buy"}))
    assert [r["regionId"] for r in by_buy["regions"]] == [FORGE, DOMAIN]
    # at the highest buy: Forge 400,000 - 392,368.75 = 7,631.25; Domain 390,000 - ... = -2,368.75
    assert by_buy["bestRegionId"] == FORGE
    by_volume = ok(alice.get(f"/v1/production/economics/{RIFTER}/regions", params={"sort": "volume"}))
    assert by_volume["bestRegionId"] == FORGE  # Domain's quotes carry no daily volume
    widgets = ok(alice.get(f"/v1/production/economics/{Y}/regions"))  # nobody sells Z in either region
    assert len(widgets["regions"]) == 2 and widgets["bestRegionId"] is None and widgets["bestRegionName"] is None
    leveled = ok(alice.get(f"/v1/production/economics/{RIFTER}/regions", params={"me": 10}))
    assert {r["source"] for r in leveled["regions"]} == {"computed"}


# ------------------------------------------------------------------ recomputation


def test_a_price_change_recomputes_only_the_items_whose_chain_uses_it(alice: Api) -> None:
    setup(alice)
    domain = forge_batch() | {"regionId": DOMAIN}
    position = ok(alice.post("/v1/market/prices", json=domain), 201)["position"]
    before = {
        (region, t): economics(alice, t, position, region_id=region) for region in (FORGE, DOMAIN) for t in (X, RIFTER)
    }
    gift = {"regionId": FORGE, "quotes": [{"typeId": G, "lowestSell": 2.0, "highestBuy": 1.0}]}
    position = ok(alice.post("/v1/market/prices", json=gift), 201)["position"]
    after = {key: economics(alice, key[1], position, region_id=key[0]) for key in before}
    assert figures(after[FORGE, X], "materialCost") == [2.0] and after[FORGE, X]["version"] == 2
    assert after[FORGE, X]["updatedAt"] > before[FORGE, X]["updatedAt"]
    for untouched in ((FORGE, RIFTER), (DOMAIN, X), (DOMAIN, RIFTER)):
        assert after[untouched] == before[untouched]  # not rewritten (test_economics_updater counts the work)

    # an adjusted price reaches every region, but only the items whose recipes use Pyerite
    pyerite = {"adjustedPrices": [{"typeId": PYE, "adjustedPrice": 9.0}]}
    position = ok(alice.post("/v1/market/prices", json=pyerite), 201)["position"]
    for region in (FORGE, DOMAIN):
        rifter = economics(alice, RIFTER, position, region_id=region)
        # EIV + 6,000 x (9 - 8) = 323,500; x 0.0925 = 29,923.75
        assert figures(rifter, "jobCost") == pytest.approx([29_923.75]) and rifter["version"] == 2
        assert economics(alice, X, position, region_id=region) == after[region, X]


def test_an_older_batch_does_not_replace_newer_prices(alice: Api) -> None:
    position = setup(alice)
    stale = {"regionId": FORGE, "observedAt": "2026-01-15T00:00:00Z", "quotes": quotes({TRIT: 1.0})}
    position = ok(alice.post("/v1/market/prices", json=stale), 201)["position"]
    assert figures(economics(alice, RIFTER, position), "materialCost") == pytest.approx([363_000])
    prices = ok(alice.get(f"/v1/market/prices/{TRIT}", params={"region_id": FORGE, "minPosition": position}))
    assert prices["latest"]["lowestSell"] == 4.0 and prices["latest"]["observedAt"] == NOON
    assert [point["lowestSell"] for point in prices["history"]] == [4.0]  # 45 days before: beyond the 30 kept


def test_price_history_is_a_page_from_the_newest_listed_oldest_first(alice: Api) -> None:
    setup(alice)
    for hour, sell in ((13, 5.0), (14, 6.0)):
        later = {"regionId": FORGE, "observedAt": f"2026-03-01T{hour}:00:00Z", "quotes": quotes({TRIT: sell})}
        position = ok(alice.post("/v1/market/prices", json=later), 201)["position"]

    def history(**params: int) -> list[float]:
        asked = {"region_id": FORGE, "minPosition": position, **params}
        return [point["lowestSell"] for point in ok(alice.get(f"/v1/market/prices/{TRIT}", params=asked))["history"]]

    assert history() == [4.0, 5.0, 6.0]
    assert history(limit=2) == [5.0, 6.0] and history(limit=2, offset=2) == [4.0]
    too_many = alice.get(f"/v1/market/prices/{TRIT}", params={"region_id": FORGE, "limit": 10_001})
    assert too_many.status_code == 400  # past the cap


def test_market_regions_are_listed_a_page_at_a_time_by_id(alice: Api) -> None:
    setup(alice)
    position = ok(alice.post("/v1/market/prices", json=forge_batch() | {"regionId": DOMAIN}), 201)["position"]

    def regions(**params: int) -> list[int]:
        answer = ok(alice.get("/v1/market/regions", params={"minPosition": position, **params}))
        return [region["regionId"] for region in answer]

    assert regions() == [FORGE, DOMAIN]
    assert regions(limit=1) == [FORGE] and regions(limit=1, offset=1) == [DOMAIN]


def test_the_same_batch_twice_is_recorded_once(alice: Api) -> None:
    setup(alice)
    again = ok(alice.post("/v1/market/prices", json=forge_batch()))
    assert again["changed"] is False and again["batch"]["quotes"] == len(SELL) + 1
    regions = ok(alice.get("/v1/market/regions", params={"minPosition": again["position"]}))
    assert [(r["regionId"], r["batches"], r["items"], r["jobSite"]["solarSystemId"]) for r in regions] == [
        (FORGE, 1, len(SELL) + 1, JITA)
    ]


# ------------------------------------------------------------------ isolation and bad input


def test_users_see_only_their_own_market_and_economics(alice: Api, bob: Api) -> None:
    position = setup(alice)
    plan = ok(alice.post("/v1/industry/plans", json={"name": "Ships", "productTypeId": S}), 201)
    ok(bob.post("/v1/catalog/imports", json=CATALOG))
    params = {"region_id": FORGE, "minPosition": plan["position"]}
    for path in (
        f"/v1/production/economics/{RIFTER}",
        f"/v1/production/economics/{RIFTER}/make-or-buy",
        "/v1/production/economics/opportunities",
        f"/v1/market/prices/{TRIT}",
    ):
        answer = bob.get(path, params=params)
        assert answer.status_code == 404 and answer.json()["field"] == "region_id", (path, answer.text)
    answer = bob.get(f"/v1/industry/plans/{plan['aggregateId']}/make-or-buy", params=params)
    assert answer.status_code == 404 and answer.json()["field"] == "planId"
    assert ok(bob.get(f"/v1/production/economics/{RIFTER}/regions", params={"minPosition": position}))["regions"] == []
    assert ok(bob.get("/v1/market/regions")) == []
    # bob's own data does not reach alice's rows
    cheap = forge_batch() | {"quotes": quotes({TRIT: 0.01})}
    position = ok(bob.post("/v1/market/prices", json=cheap), 201)["position"]
    assert figures(economics(alice, RIFTER, position), "materialCost") == pytest.approx([363_000])
    assert figures(economics(bob, RIFTER, position), "materialCost") == [None]  # bob has no Pyerite price


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 400, "region_id"),
        ({"region_id": FORGE, "me": 11}, 400, "me"),
        ({"region_id": FORGE, "te": -1}, 400, "te"),
        ({"region_id": FORGE, "input": "cheap"}, 400, "input"),
        ({"region_id": FORGE, "input": "percentile", "percentile": 0}, 400, "percentile"),
        ({"region_id": FORGE, "strategy": "magic"}, 400, "strategy"),
        ({"region_id": 1}, 404, "region_id"),
    ],
)
def test_bad_questions_name_their_field(alice: Api, params: dict[str, Any], status: int, field: str) -> None:
    setup(alice)
    answer = alice.get(f"/v1/production/economics/{RIFTER}", params=params)
    assert (answer.status_code, answer.json()["field"]) == (status, field), answer.text


def test_unknown_items_plans_and_sorts(alice: Api) -> None:
    setup(alice)
    for type_id in (999_999, TRIT):  # not in the catalog; no recipe builds it
        answer = alice.get(f"/v1/production/economics/{type_id}", params={"region_id": FORGE})
        assert (answer.status_code, answer.json()["field"]) == (404, "typeId")
    answer = alice.get("/v1/production/economics/opportunities", params={"region_id": FORGE, "sort": "fame"})
    assert (answer.status_code, answer.json()["field"]) == (400, "sort")
    answer = alice.get(
        "/v1/industry/plans/00000000-0000-0000-0000-000000000001/make-or-buy", params={"region_id": FORGE}
    )
    assert (answer.status_code, answer.json()["field"]) == (404, "planId")


@pytest.mark.parametrize(
    ("batch", "field"),
    [
        ({"regionId": FORGE, "quotes": [{"typeId": TRIT, "lowestSell": -1}]}, "quotes[0].lowestSell"),
        ({"regionId": FORGE, "quotes": quotes({TRIT: 4.0}) * 2}, "quotes[1]"),
        ({"quotes": quotes({TRIT: 4.0})}, "regionId"),
        ({"regionId": FORGE}, "quotes"),
        ({"regionId": FORGE, "quotes": quotes({TRIT: 4.0}), "observedAt": "2999-01-01T00:00:00Z"}, "observedAt"),
        ({"regionId": FORGE, "jobSite": {"solarSystemId": JITA, "facilityTax": -0.1}}, "jobSite.facilityTax"),
        ({"regionId": FORGE, "quotes": [{"typeId": 0, "lowestSell": 1}]}, "quotes[0].typeId"),
        ({"regionId": FORGE, "prices": []}, None),
    ],
)
def test_a_bad_batch_is_refused_with_its_field(alice: Api, batch: dict[str, Any], field: str | None) -> None:
    answer = alice.post("/v1/market/prices", json=batch)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field or field is None


def test_opportunities_page_through_every_match_by_offset(alice: Api) -> None:
    """``offset`` skips the first matches of the same order; ``total`` stays the count of all."""
    position = setup(alice)

    def page(**params: Any) -> tuple[list[int], int]:
        query = {"region_id": FORGE, "minPosition": position, "min_profit": 0, "limit": 2, **params}
        answer = ok(alice.get("/v1/production/economics/opportunities", params=query))
        return [item["typeId"] for item in answer["items"]], answer["total"]

    assert [page(offset=offset) for offset in (0, 2, 4)] == [([RIFTER, S], 4), ([X, D], 4), ([], 4)]
    assert page(offset=1, limit=3) == ([S, X, D], 4)
    refused = alice.get("/v1/production/economics/opportunities", params={"region_id": FORGE, "offset": -1})
    assert (refused.status_code, refused.json()["field"]) == (400, "offset")
