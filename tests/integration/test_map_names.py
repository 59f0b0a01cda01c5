"""Names from the catalog's map where the read models held only ids: the buy list's station,
system and region, and the economics regions. The map: tests/fixtures/MAP.md (The Forge's Jita
with its Caldari Navy Assembly Plant, 60003760; The Citadel, 10000033)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.integration.test_api_economics import CATALOG, RIFTER, forge_batch
from tests.integration.test_api_plans import ok, read
from tests.integration.test_api_universe import fixture_catalog

PLANT, JITA, FORGE, CITADEL = 60003760, 30000142, 10000002, 10000033
UNKNOWN_STRUCTURE = 1035466617946
TRITANIUM = 34


def with_map(catalog: dict[str, Any]) -> dict[str, Any]:
    mapped = fixture_catalog()
    return catalog | {key: mapped[key] for key in ("regions", "systems", "stations")}


def test_the_buy_list_names_a_station_its_system_and_region(alice: Api) -> None:
    ok(alice.post("/v1/catalog/imports", json=fixture_catalog()))
    for location in (PLANT, UNKNOWN_STRUCTURE):
        body = {"typeId": TRITANIUM, "locationId": location, "desiredQuantity": 100}
        last = ok(alice.post("/v1/stockpiles", json=body))

    answer = read(alice, "/v1/stockpiles/deficits", last["position"])

    items = {item["locationId"]: item for item in answer["items"]}
    plant = items[PLANT]
    assert (plant["locationName"], plant["solarSystemId"], plant["solarSystemName"]) == (
        "Jita IV - Moon 4 - Caldari Navy Assembly Plant",
        JITA,
        "Jita",
    )
    assert (plant["regionId"], plant["regionName"]) == (FORGE, "The Forge")
    structure = items[UNKNOWN_STRUCTURE]  # not in the static data: still unnamed
    assert (structure["locationName"], structure["solarSystemName"], structure["regionName"]) == (None, None, None)
    totals = {total["locationId"]: total["locationName"] for total in answer["totals"]}
    assert totals == {PLANT: "Jita IV - Moon 4 - Caldari Navy Assembly Plant", UNKNOWN_STRUCTURE: None}


def test_economics_regions_are_named_from_the_map(alice: Api) -> None:
    """The Forge is in the map and has the market data; a second region's prices (The Citadel)
    name it too; the best region's name follows the ranking."""
    ok(alice.post("/v1/catalog/imports", json=with_map(CATALOG)))
    ok(alice.post("/v1/market/prices", json=forge_batch()), 201)
    citadel = forge_batch() | {"regionId": CITADEL}
    position = ok(alice.post("/v1/market/prices", json=citadel), 201)["position"]

    answer = ok(alice.get(f"/v1/production/economics/{RIFTER}/regions", params={"minPosition": position}))

    names = {region["regionId"]: region["regionName"] for region in answer["regions"]}
    assert names == {FORGE: "The Forge", CITADEL: "The Citadel"}
    assert answer["bestRegionName"] == names[answer["bestRegionId"]]


def test_each_deficit_is_valued_in_its_own_region_when_the_user_has_prices_there(alice: Api) -> None:
    """Two regions with prices: Tritanium sells at 4 in The Forge and 6 in The Citadel. A marker
    at the Jita plant is valued in The Forge, its station's region; one at an unmapped structure
    has no region of its own and, with two regions to choose from, no value; asking for The
    Citadel values both there."""
    ok(alice.post("/v1/catalog/imports", json=fixture_catalog()))
    for region, price in ((FORGE, 4.0), (CITADEL, 6.0)):
        batch = {
            "regionId": region,
            "observedAt": "2026-03-01T12:00:00Z",
            "quotes": [{"typeId": TRITANIUM, "lowestSell": price}],
        }
        ok(alice.post("/v1/market/prices", json=batch), 201)
    for location in (PLANT, UNKNOWN_STRUCTURE):
        last = ok(
            alice.post("/v1/stockpiles", json={"typeId": TRITANIUM, "locationId": location, "desiredQuantity": 100})
        )

    own = {item["locationId"]: item for item in read(alice, "/v1/stockpiles/deficits", last["position"])["items"]}
    assert (own[PLANT]["priceRegionId"], own[PLANT]["value"]) == (FORGE, 400.0)
    assert (own[UNKNOWN_STRUCTURE]["value"], own[UNKNOWN_STRUCTURE]["valueReason"]) == (None, "no_region")
    asked = read(alice, "/v1/stockpiles/deficits", last["position"], regionId=CITADEL)["items"]
    assert {item["locationId"]: (item["priceRegionId"], item["value"]) for item in asked} == {
        PLANT: (CITADEL, 600.0),
        UNKNOWN_STRUCTURE: (CITADEL, 600.0),
    }
