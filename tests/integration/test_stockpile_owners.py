"""Stockpiles that know whose and where (issue 17): a marker is one per owner, container and
corporation hangar division at a station, and is filled only by what that owner holds there;
the buy list names and values each deficit by the marker's price rule."""

from __future__ import annotations

import uuid
from typing import Any

from alembic import command
from sqlalchemy import Uuid, column, insert, select, table

from application.settings import Settings
from projections.database import create_read_engine, write_transaction
from projections.notifications import tables
from projections.schema import _alembic_config
from tests.conftest import Api
from tests.integration.test_api_plans import ok, read
from tests.integration.test_auto_production import marker as auto_marker
from tests.integration.test_auto_production import module_plan

JITA, AMARR = 60003760, 60008494
TRITANIUM, PYERITE = 34, 35
ANN, BOB, CORP = 90000001, 90000002, 98000001
FORGE = 10000002


def marker(api: Api, desired: int, **fields: Any) -> dict[str, Any]:
    body = {"typeId": TRITANIUM, "locationId": JITA, "desiredQuantity": desired, **fields}
    return ok(api.post("/v1/stockpiles", json=body))


def held(quantity: int, **fields: Any) -> dict[str, Any]:
    return {"typeId": TRITANIUM, "locationId": JITA, "quantity": quantity, **fields}


def test_two_owners_markers_at_one_station_stay_apart(alice: Api) -> None:
    """Ann wants 100 and Bob 40 Tritanium at Jita; Ann holds 70 and Bob 50 there: Ann is 30
    short, Bob 0 (his surplus of 10 fills nobody else's marker)."""
    ann = marker(alice, 100, ownerType="character", ownerId=ANN)["marker"]
    bob = marker(alice, 40, ownerType="character", ownerId=BOB)["marker"]
    assert ann["id"] != bob["id"]
    assets = [held(70, ownerType="character", ownerId=ANN), held(50, ownerType="character", ownerId=BOB)]
    position = ok(alice.put("/v1/assets", json={"locationId": JITA, "assets": assets}))["position"]
    markers = read(alice, "/v1/stockpiles", position)
    assert [(m["ownerId"], m["desiredQuantity"], m["currentQuantity"], m["deficit"]) for m in markers] == [
        (ANN, 100, 70, 30),
        (BOB, 40, 50, 0),
    ]
    again = marker(alice, 120, ownerType="character", ownerId=ANN)
    assert again["marker"]["id"] == ann["id"] and again["marker"]["deficit"] == 50, "the same marker, updated"


def test_a_corporation_divisions_assets_fill_only_that_divisions_marker(alice: Api) -> None:
    """The corporation holds 300 in division 3, 500 in a container in division 3 and 1,000 in
    division 1; its division-3 hangar marker wants 400 (100 short: the container's units are
    the container's), the container's marker 500 (filled), division 2's 200 (nothing there)."""
    corp = {"ownerType": "corporation", "ownerId": CORP}
    can = 1_000_000_042
    marker(alice, 400, **corp, divisionNumber=3)
    marker(alice, 500, **corp, divisionNumber=3, containerId=can)
    marker(alice, 200, **corp, divisionNumber=2)
    assets = [
        held(300, **corp, divisionNumber=3),
        held(500, **corp, divisionNumber=3, containerId=can),
        held(1_000, **corp, divisionNumber=1),
    ]
    position = ok(alice.put("/v1/assets", json={"assets": assets}))["position"]
    markers = read(alice, "/v1/stockpiles", position)
    assert [(m["divisionNumber"], m["containerId"], m["currentQuantity"], m["deficit"]) for m in markers] == [
        (2, None, 0, 200),
        (3, None, 300, 100),
        (3, can, 500, 0),
    ]
    holdings = read(alice, "/v1/assets", position)
    assert [(h["divisionNumber"], h.get("containerId"), h["quantity"]) for h in holdings] == [
        (1, None, 1_000),
        (3, None, 300),
        (3, can, 500),
    ]


def test_an_unowned_marker_counts_every_owners_units_as_before(alice: Api) -> None:
    marker(alice, 100)
    assets = [held(30, ownerType="character", ownerId=ANN), held(20)]
    position = ok(alice.put("/v1/assets", json={"locationId": JITA, "assets": assets}))["position"]
    (only,) = read(alice, "/v1/stockpiles", position)
    assert (only["ownerType"], only["currentQuantity"], only["deficit"]) == (None, 50, 50)


def test_bad_owner_division_and_price_rule_are_400s_naming_the_field(alice: Api) -> None:
    cases = [
        ({"ownerType": "character", "ownerId": ANN, "divisionNumber": 2}, "divisionNumber"),
        ({"ownerType": "corporation"}, "ownerId"),
        ({"containerId": 5}, "containerId"),
        ({"priceSource": "split", "pricePercentage": 0}, "pricePercentage"),
    ]
    for fields, field in cases:
        answer = alice.post(
            "/v1/stockpiles", json={"typeId": TRITANIUM, "locationId": JITA, "desiredQuantity": 1, **fields}
        )
        assert (answer.status_code, answer.json()["field"]) == (400, field), fields
    assert (
        alice.post(
            "/v1/stockpiles",
            json={"typeId": TRITANIUM, "locationId": JITA, "desiredQuantity": 1, "priceSource": "median"},
        ).status_code
        == 400
    )


def test_the_buy_list_names_values_and_totals_each_deficit_by_its_price_rule(alice: Api) -> None:
    """Forge prices: Tritanium best sell 6.00, best buy 5.00; Pyerite sell 10.00, no buy.
    Ann's Tritanium at Jita, 1,000 short at sell 100%: 6,000.00. The corporation's division-3
    Tritanium at Jita, 200 short at split (5.50) 90%: 4.95 a unit, 990.00. Pyerite at Jita, 50
    short at sell: 500.00. Pyerite at Amarr, 10 short at buy: no buy price, so no value.
    Jita: 3 deficits, 1,250 units, 7,490.00; Amarr: 1, unvalued."""
    ok(alice.put(f"/v1/industry/characters/{ANN}", json={"name": "Ann"}))
    batch = {
        "regionId": FORGE,
        "observedAt": "2026-03-01T12:00:00Z",
        "quotes": [
            {"typeId": TRITANIUM, "lowestSell": 6.0, "highestBuy": 5.0},
            {"typeId": PYERITE, "lowestSell": 10.0},
        ],
    }
    ok(alice.post("/v1/market/prices", json=batch), 201)
    marker(alice, 1_000, ownerType="character", ownerId=ANN, notes="for the Drakes")
    corp = {"ownerType": "corporation", "ownerId": CORP, "divisionNumber": 3}
    marker(alice, 200, **corp, priceSource="split", pricePercentage=90)
    marker(alice, 10, typeId=PYERITE, locationId=AMARR, priceSource="buy")
    last = marker(alice, 50, typeId=PYERITE, autoProductionEnabled=True)  # enabled without a plan: still bought
    answer = read(alice, "/v1/stockpiles/deficits", last["position"])
    items = {(d["typeId"], d["locationId"], d["ownerId"]): d for d in answer["items"]}
    ann = items[(TRITANIUM, JITA, ANN)]
    assert (ann["ownerName"], ann["notes"], ann["deficit"], ann["unitPrice"], ann["value"]) == (
        "Ann",
        "for the Drakes",
        1_000,
        6.0,
        6_000.0,
    )
    assert (ann["priceRegionId"], ann["locationName"], ann["regionName"], ann["containerName"]) == (
        FORGE,
        None,
        None,
        None,
    )
    division = items[(TRITANIUM, JITA, CORP)]
    assert (division["ownerName"], division["divisionNumber"], division["unitPrice"], division["value"]) == (
        None,
        3,
        4.95,
        990.0,
    )
    no_buy = items[(PYERITE, AMARR, None)]
    assert (no_buy["value"], no_buy["valueReason"], no_buy["reason"]) == (None, "no_price", "manual")
    assert items[(PYERITE, JITA, None)]["reason"] == "no_plan"
    totals = {t["locationId"]: t for t in answer["totals"]}
    assert (totals[JITA]["markers"], totals[JITA]["deficit"], totals[JITA]["value"]) == (3, 1_250, 7_490.0)
    assert (totals[AMARR]["markers"], totals[AMARR]["value"], totals[AMARR]["unvalued"]) == (1, 0.0, 1)
    assert answer["total"] == 4 and answer["leftOut"] == []
    page = read(alice, "/v1/stockpiles/deficits", last["position"], limit=1)
    assert len(page["items"]) == 1 and page["total"] == 4 and len(page["totals"]) == 2


def test_without_a_region_the_deficit_has_no_value_and_says_why(alice: Api) -> None:
    last = marker(alice, 5)
    (item,) = read(alice, "/v1/stockpiles/deficits", last["position"])["items"]
    assert (item["value"], item["valueReason"], item["priceRegionId"]) == (None, "no_region", None)


def test_the_upgrade_keeps_the_notification_holdings_as_unowned(database_url: str) -> None:
    """Migration 0017 copies the notifications consumer's holdings into the per-spot table as
    unowned ('' and 0s), what they were."""
    engine = create_read_engine(Settings(database_url=database_url).sqlalchemy_url())
    config = _alembic_config()
    assets = uuid.UUID(int=7)
    try:
        with write_transaction(engine) as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0016")
            old = table(
                "notification_holdings",
                column("assets_id", Uuid),
                column("location_id"),
                column("type_id"),
                column("quantity"),
            )
            connection.execute(insert(old).values(assets_id=assets, location_id=JITA, type_id=TRITANIUM, quantity=12))
            command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(select(tables.holdings)).all()
        assert [tuple(row) for row in rows] == [(assets, JITA, TRITANIUM, "", 0, 0, 0, 12)]
    finally:
        engine.dispose()


def test_a_page_of_the_buy_list_keeps_the_totals_and_counts_of_the_whole_list(alice: Api) -> None:
    """Ten deficits at Jita and Amarr valued at split prices (a midpoint of 5.175, so values
    round at half cents) and four markers auto-production covers: every page (items and
    ``leftOut`` alike) is a slice of the whole list in its order, and each page carries the
    whole list's totals and counts, the numbers the whole list always had."""
    plan_id = module_plan(alice)
    batch = {
        "regionId": FORGE,
        "observedAt": "2026-03-01T12:00:00Z",
        "quotes": [
            {"typeId": TRITANIUM, "lowestSell": 5.35, "highestBuy": 5.0},
            {"typeId": PYERITE, "lowestSell": 7.3},
        ],
    }
    ok(alice.post("/v1/market/prices", json=batch), 201)
    for n, (type_id, location, source, percentage) in enumerate(
        [(TRITANIUM, JITA, "split", 50), (PYERITE, JITA, "sell", 99), (TRITANIUM, AMARR, "buy", 101)] * 3
        + [(PYERITE, AMARR, "buy", 100)]  # no buy price: unvalued
    ):
        owner = {"ownerType": "character", "ownerId": ANN + n}
        marker(
            alice,
            3 + 7 * n,
            typeId=type_id,
            locationId=location,
            priceSource=source,
            pricePercentage=percentage,
            **owner,
        )
    for n in range(4):  # short, but auto-production covers them
        last = ok(auto_marker(alice, 5 + n, plan_id, location=JITA + n))
    whole = read(alice, "/v1/stockpiles/deficits", last["position"], regionId=FORGE)
    assert [(i["deficit"], i["value"]) for i in whole["items"]] == [
        (3, 7.76),  # 2.5875 a unit: 7.7625, rounded half to even
        (24, 62.1),
        (45, 116.44),
        (17, 85.85),
        (38, 191.9),
        (59, 297.95),
        (10, 72.27),
        (31, 224.04),
        (52, 375.8),
        (66, None),
    ]
    assert whole["totals"] == [
        {"locationId": JITA, "locationName": None, "markers": 6, "deficit": 165, "value": 858.41, "unvalued": 0},
        {"locationId": AMARR, "locationName": None, "markers": 4, "deficit": 180, "value": 575.7, "unvalued": 1},
    ]
    assert (whole["total"], whole["leftOutTotal"], len(whole["leftOut"])) == (10, 4, 4)
    pages = [
        read(alice, "/v1/stockpiles/deficits", last["position"], regionId=FORGE, limit=3, offset=offset)
        for offset in (0, 3, 6, 9)
    ]
    assert [(len(page["items"]), len(page["leftOut"])) for page in pages] == [(3, 3), (3, 1), (3, 0), (1, 0)]
    assert [item for page in pages for item in page["items"]] == whole["items"]
    assert [left for page in pages for left in page["leftOut"]] == whole["leftOut"]
    for page in pages:
        assert (page["totals"], page["total"], page["leftOutTotal"]) == (whole["totals"], 10, 4)
