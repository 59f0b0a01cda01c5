"""Public market data shared by everyone: recorded once by an admin (or the server's own ESI
fetch), read by every user beneath their own private prices, which win for their (region,
item) and nobody else sees; base economics rows worked out once for the shared catalog with
the shared data, equal to those of a private import with the same prices."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from application.system import Manufactory
from domain.catalog.catalog import SHARED_CATALOG_OWNER
from projections.economics import ECONOMICS
from projections.market import PRICES
from tests.conftest import Api
from tests.integration import test_api_economics as econ
from tests.integration.test_api_shared_catalog import economics_answers, rows_under, shared_imported
from tests.integration.test_notifications import eventually


def shared_prices(api: Api, batch: dict[str, Any]) -> int:
    return int(econ.ok(api.post("/v1/market/shared/prices", json=batch), 201)["position"])


def forge_price(api: Api, type_id: int, position: int) -> dict[str, Any]:
    params = {"region_id": econ.FORGE, "minPosition": position}
    return dict(econ.ok(api.get(f"/v1/market/prices/{type_id}", params=params)))


def test_only_an_admin_records_shared_market_data_and_others_are_told_why(
    system: Manufactory, operator: Api, alice: Api
) -> None:
    refused = alice.post("/v1/market/shared/prices", json=econ.forge_batch())
    assert refused.status_code == 403 and refused.json()["field"] == "shared", refused.text
    assert rows_under(system, PRICES.view, SHARED_CATALOG_OWNER) == 0
    shared_prices(operator, econ.forge_batch())
    system.projections.catch_up("market")
    assert rows_under(system, PRICES.view, SHARED_CATALOG_OWNER) == len(econ.SELL) + 1
    assert rows_under(system, PRICES.view, operator.user_id) == 0  # everyone's, not the admin's


def test_a_followers_economics_from_shared_data_equal_a_private_import_with_the_same_prices(
    system: Manufactory, operator: Api, alice: Api, bob: Api
) -> None:
    shared_imported(operator, econ.CATALOG)
    shared_position = shared_prices(operator, econ.forge_batch())
    private_position = econ.setup(alice)  # her own catalog, the same prices as her own
    assert economics_answers(bob, shared_position) == economics_answers(alice, private_position)
    # Bob's answers are the shared rows, worked out once: he has none of his own
    assert rows_under(system, ECONOMICS.view, bob.user_id) == 0
    assert rows_under(system, ECONOMICS.view, SHARED_CATALOG_OWNER) == rows_under(system, ECONOMICS.view, alice.user_id)
    regions = econ.ok(bob.get("/v1/market/regions"))
    assert [(region["regionId"], region["items"]) for region in regions] == [(econ.FORGE, len(econ.SELL) + 1)]


def test_a_users_own_prices_beat_the_shared_ones_and_nobody_else_sees_them(
    system: Manufactory, operator: Api, alice: Api, bob: Api
) -> None:
    shared_imported(operator, econ.CATALOG)
    shared_prices(operator, econ.forge_batch())
    # Alice buys Pyerite at 20 and values it at 16 (the shared data: 10 and 8), observed before the
    # shared data, without a job site of her own (the shared one's stays hers)
    own = {
        "regionId": econ.FORGE,
        "observedAt": "2026-03-01T11:00:00Z",
        "quotes": econ.quotes({econ.PYE: 20.0}),
        "adjustedPrices": [{"typeId": econ.PYE, "adjustedPrice": 16.0}],
    }
    position = econ.ok(alice.post("/v1/market/prices", json=own), 201)["position"]
    for user, price, shared in ((alice, 20.0, False), (bob, 10.0, True)):
        answer = forge_price(user, econ.PYE, position)
        assert (answer["latest"]["lowestSell"], answer["shared"]) == (price, shared)
    assert forge_price(alice, econ.TRIT, position)["latest"]["lowestSell"] == 4.0  # the shared quote beneath
    # C from 10 Tritanium + 5 Pyerite: 40 + 5 x 20 = 140 for Alice, 40 + 50 = 90 for everyone else;
    # its job at Jita: EIV 35 + 5 x 16 = 115 for Alice, 35 + 40 = 75 for the others, x 0.0925
    mine, theirs = econ.economics(alice, econ.C, position), econ.economics(bob, econ.C, position)
    assert econ.figures(mine, "materialCost", "jobCost") == pytest.approx([140.0, 10.6375])
    assert econ.figures(theirs, "materialCost", "jobCost") == pytest.approx([90.0, 6.9375])
    assert rows_under(system, ECONOMICS.view, alice.user_id) > 0  # her rows are her own now
    assert rows_under(system, ECONOMICS.view, bob.user_id) == 0


def test_a_new_shared_price_reaches_followers_and_users_with_prices_of_their_own(
    operator: Api, alice: Api, bob: Api
) -> None:
    shared_imported(operator, econ.CATALOG)
    shared_prices(operator, econ.forge_batch())
    own = {"regionId": econ.FORGE, "observedAt": econ.NOON, "quotes": econ.quotes({econ.MEX: 60.0})}
    econ.ok(alice.post("/v1/market/prices", json=own), 201)
    cheaper = {"regionId": econ.FORGE, "observedAt": "2026-03-01T13:00:00Z", "quotes": econ.quotes({econ.PYE: 6.0})}
    position = shared_prices(operator, cheaper)
    for user in (alice, bob):  # C: 40 + 5 x 6 = 70
        assert econ.figures(econ.economics(user, econ.C, position), "materialCost") == pytest.approx([70.0])


def test_a_followers_plan_is_the_only_row_of_their_own(system: Manufactory, operator: Api, bob: Api) -> None:
    shared_imported(operator, econ.CATALOG)
    shared_prices(operator, econ.forge_batch())
    defaults = {"meLevel": 0, "teLevel": 0, "facilityTax": 0.0025}
    body = {"name": "Ships", "productTypeId": econ.S, "defaults": defaults}
    plan = econ.ok(bob.post("/v1/industry/plans", json=body), 201)
    position = plan["position"]
    planned = econ.economics(bob, econ.S, position)
    base = econ.economics(bob, econ.S, position, strategy="make")
    assert (planned["scenario"], planned["planId"], base["scenario"]) == ("plan", plan["aggregateId"], "base")
    # the plan makes C and D as the base case does, and pays the NPC station's tax too: 5,094.1125
    assert econ.figures(planned, "totalCost") + econ.figures(base, "totalCost") == pytest.approx([5_094.1125] * 2)
    ranked = econ.ok(
        bob.get(
            "/v1/production/economics/opportunities",
            params={"region_id": econ.FORGE, "minPosition": position, "scenario": "plan"},
        )
    )
    assert [(item["typeId"], item["planId"]) for item in ranked["items"]] == [(econ.S, plan["aggregateId"])]

    def bobs_rows() -> list[tuple[int, str]]:
        with system.query_engine.connect() as connection:
            table = ECONOMICS.view
            query = select(table.c.type_id, table.c.scenario).where(table.c.owner_id == bob.user_id)
            return [(type_id, scenario) for type_id, scenario in connection.execute(query)]

    assert eventually(lambda: bobs_rows() == [(econ.S, "plan")])
