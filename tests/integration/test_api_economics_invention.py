"""The economics row and make-or-buy of an invented item through the HTTP API, on the shipped
sample catalog's real Hobgoblin II (2456) and the made-up market of
``tests/unit/test_economics_invention.py``, where every number is worked out by hand: the row
invents with Attainment (chance 0.8925, 14 runs at ME 1 / TE 8) at 16,021.7073 a copy run, on top
of 104,100 of bought inputs, a Hobgoblin I made for 4,309 + 289.245 and the manufacturing job
8,332.5.
"""

from __future__ import annotations

from typing import Any

import pytest

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api
from tests.integration.test_api_invention import ADJUSTED, INDICES, JITA, SELL

HOBGOBLIN_II, HOBGOBLIN_I, HOBGOBLIN_II_BLUEPRINT, ATTAINMENT = 2456, 2454, 2457, 34202
FORGE, NOON = 10000002, "2026-03-01T12:00:00Z"
MINERALS = {34: 5, 35: 12, 37: 120, 38: 600}
CONSUMED_PER_RUN = 200_000 / 0.8925 / 14  # datacores and Attainment per copy run: 16,006.4026
JOBS_PER_RUN = 191.2325 / 0.8925 / 14  # invention and copying jobs per copy run: 15.3047


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def priced(api: Api, **sell: float) -> int:
    quotes = {**SELL, **MINERALS, HOBGOBLIN_II: 150_000, **{int(t[1:]): p for t, p in sell.items()}}
    batch = {
        "regionId": FORGE,
        "observedAt": NOON,
        "quotes": [{"typeId": t, "lowestSell": p} for t, p in quotes.items()],
        "adjustedPrices": [{"typeId": t, "adjustedPrice": p} for t, p in ADJUSTED.items()],
        "costIndices": [{"solarSystemId": JITA, "activity": a, "costIndex": i} for a, i in INDICES.items()],
        "jobSite": {"solarSystemId": JITA},
    }
    return int(ok(api.post("/v1/market/prices", json=batch), 201)["position"])


def setup(api: Api, **sell: float) -> int:
    ok(api.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))
    return priced(api, **sell)


def test_the_stored_row_of_the_hobgoblin_ii_counts_copy_and_invention(alice: Api) -> None:
    position = setup(alice)
    params = {"region_id": FORGE, "minPosition": position}
    row = ok(alice.get(f"/v1/production/economics/{HOBGOBLIN_II}", params=params))

    assert (row["source"], row["me"], row["te"], row["strategy"], row["scenario"]) == (
        "projection",
        1,
        8,
        "make",
        "base",
    )
    assert row["materialCost"]["value"] == pytest.approx(104_100 + 4_309 + CONSUMED_PER_RUN)
    assert row["jobCost"]["value"] == pytest.approx(8_332.5 + 289.245 + JOBS_PER_RUN)
    assert row["totalCost"]["value"] == pytest.approx(133_052.4523, abs=1e-4)
    assert row["profitSell"]["value"] == pytest.approx(16_947.5477, abs=1e-4)
    (line,) = row["invention"]
    assert (line["typeId"], line["blueprintTypeId"], line["decision"], line["decryptorTypeId"]) == (
        HOBGOBLIN_II,
        HOBGOBLIN_II_BLUEPRINT,
        "make",
        ATTAINMENT,
    )
    assert (line["runs"], line["runsPerCopy"], line["me"], line["te"]) == (1, 14, 1, 8)
    assert line["probability"] == pytest.approx(0.8925)
    assert line["costPerUnit"] == {"value": pytest.approx(16_021.7073, abs=1e-4), "asOf": NOON}
    # an item not invented: no copy, the row as before
    hobgoblin_i = ok(alice.get(f"/v1/production/economics/{HOBGOBLIN_I}", params=params))
    assert hobgoblin_i["invention"] == [] and (hobgoblin_i["me"], hobgoblin_i["te"]) == (0, 0)
    assert hobgoblin_i["totalCost"]["value"] == pytest.approx(4_309 + 289.245)


def test_a_blueprint_copy_has_no_row(alice: Api) -> None:
    position = setup(alice)
    params = {"region_id": FORGE, "minPosition": position}
    refused = ok(alice.get(f"/v1/production/economics/{HOBGOBLIN_II_BLUEPRINT}", params=params), 404)
    assert refused["field"] == "typeId" and "blueprint copy" in refused["detail"]
    ranked = ok(alice.get("/v1/production/economics/opportunities", params={**params, "limit": 100}))
    assert HOBGOBLIN_II_BLUEPRINT not in {item["typeId"] for item in ranked["items"]}


@pytest.mark.parametrize(
    ("copy_price", "decision", "unit_cost"),
    [
        (100_000, "buy", 10_000),  # 10 runs a copy: 10,000 a run against 16,021.7073 to invent
        (200_000, "make", 16_021.7073),  # 20,000 a run: inventing is cheaper
    ],
)
def test_make_or_buy_chooses_between_inventing_and_buying_the_copy(
    alice: Api, copy_price: float, decision: str, unit_cost: float
) -> None:
    position = setup(alice, t2457=copy_price)
    params = {"region_id": FORGE, "minPosition": position}
    answer = ok(alice.get(f"/v1/production/economics/{HOBGOBLIN_II}/make-or-buy", params=params))

    items = {item["typeId"]: item for item in answer["items"]}
    copy = items[HOBGOBLIN_II_BLUEPRINT]
    assert (copy["decision"], copy["name"]) == (decision, "Hobgoblin II Blueprint")
    assert copy["unitCost"] == pytest.approx(unit_cost, abs=1e-4)
    assert copy["price"] == pytest.approx(copy_price / 10)  # per copy run
    assert items[HOBGOBLIN_I]["decision"] == "make"
    assert answer["cost"] == pytest.approx(104_100 + 4_309 + 289.245 + 8_332.5 + unit_cost, abs=1e-4)
    cheapest = ok(alice.get(f"/v1/production/economics/{HOBGOBLIN_II}", params={**params, "strategy": "cheapest"}))
    assert cheapest["invention"][0]["decision"] == decision
    assert cheapest["totalCost"]["value"] == pytest.approx(answer["cost"], abs=1e-4)
