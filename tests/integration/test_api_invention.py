"""Invention through the HTTP API on the shipped sample catalog (the game's real data: see
sample-catalog.SOURCES.md), every expected number worked out by hand.

Hobgoblin II (2456) is invented from the Hobgoblin I Blueprint (2455) at a base chance of 0.34,
into copies of 10 runs; at skills 5/5/5 the chance is 0.34 × (1 + 10/30 + 5/40) = 0.4958333.
The market is made up with round numbers (as in tests/unit/test_invention.py, where the costs
are worked out term by term): datacores 60,000 and 40,000, Accelerant 500,000, Attainment
100,000, the Hobgoblin II's inputs 110,100 a run; adjusted prices giving EIVs of 101,000 (the
Hobgoblin II) and 3,506 (the Hobgoblin I) a run; in Jita invention 5%, copying 2% and
manufacturing 4%, at an NPC station (0.25% tax, 4% SCC surcharge).
"""

from __future__ import annotations

from typing import Any

import pytest

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api

INVENTION = "/v1/production/invention"
HOBGOBLIN_II, WOLF, RIFTER = 2456, 11371, 587
ACCELERANT, ATTAINMENT, PARITY = 34201, 34202, 34204
FORGE, DOMAIN, JITA = 10000002, 10000043, 30000142
SELL = {20419: 60_000, 20418: 40_000, ACCELERANT: 500_000, ATTAINMENT: 100_000}
SELL |= {11399: 11_000, 11688: 21_000, 9834: 16_000, 2454: 6_000, 9848: 55_000, 11481: 1_100}
ADJUSTED = {11399: 10_000, 11688: 20_000, 9834: 15_000, 2454: 5_000, 9848: 50_000, 11481: 1_000}
ADJUSTED |= {34: 4, 35: 10, 37: 100, 38: 500}
INDICES = {"invention": 0.05, "copying": 0.02, "manufacturing": 0.04}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def imported(api: Api) -> int:
    return int(ok(api.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))["position"])


def priced(api: Api, region: int = FORGE, job_site: bool = True) -> int:
    batch: dict[str, Any] = {
        "regionId": region,
        "observedAt": "2026-03-01T12:00:00Z",
        "quotes": [{"typeId": t, "lowestSell": p} for t, p in SELL.items()],
        "adjustedPrices": [{"typeId": t, "adjustedPrice": p} for t, p in ADJUSTED.items()],
        "costIndices": [{"solarSystemId": JITA, "activity": a, "costIndex": i} for a, i in INDICES.items()],
    }
    if job_site:
        batch["jobSite"] = {"solarSystemId": JITA}
    return int(ok(api.post("/v1/market/prices", json=batch), 201)["position"])


def invention(api: Api, type_id: int, position: int, **params: Any) -> Any:
    return ok(api.get(f"{INVENTION}/{type_id}", params={"minPosition": position, **params}))


def test_the_hobgoblin_ii_options_without_prices(alice: Api) -> None:
    answer = invention(alice, HOBGOBLIN_II, imported(alice))

    assert (answer["name"], answer["blueprintTypeId"], answer["inventedBlueprintTypeId"]) == (
        "Hobgoblin II",
        2455,
        2457,
    )
    assert (answer["baseProbability"], answer["baseRunsPerCopy"], answer["secondsPerAttempt"]) == (0.34, 10, 7800)
    assert answer["skills"] == {"encryption": 5, "science1": 5, "science2": 5} and answer["confidence"] == 0.95
    options = answer["options"]
    assert [option["decryptorTypeId"] for option in options] == [None, *range(34201, 34209)]
    plain = options[0]
    assert plain["probability"] == pytest.approx(0.4958333)
    assert (plain["runsPerCopy"], plain["me"], plain["te"]) == (10, 2, 4)
    assert [(m["name"], m["quantity"]) for m in plain["materialsPerAttempt"]] == [
        ("Datacore - Graviton Physics", 1),
        ("Datacore - Electronic Engineering", 1),
        ("Hobgoblin I Blueprint", 1),
    ]
    assert plain["attemptsExpected"] == pytest.approx(240 / 119)
    # 0.5041667^4 = 0.0646 (0.935 reached), ^5 = 0.0326 (0.967)
    assert plain["attemptsForConfidence"] == 5
    assert plain["costPerUnit"] is None
    augmentation = options[3]
    assert augmentation["decryptorName"] == "Augmentation Decryptor"
    assert (augmentation["runsPerCopy"], augmentation["me"], augmentation["te"]) == (19, 0, 6)
    assert augmentation["probability"] == pytest.approx(0.2975)
    assert [m["typeId"] for m in augmentation["materialsPerAttempt"]] == [20419, 20418, 34203, 2455]
    assert (answer["regionId"], answer["best"], answer["missing"]) == (None, None, [])


def test_skills_and_confidence_change_the_chance_and_the_attempts(alice: Api) -> None:
    position = imported(alice)
    answer = invention(alice, HOBGOBLIN_II, position, encryption=4, science1=4, science2=3, confidence=0.99)

    plain = answer["options"][0]
    assert plain["probability"] == pytest.approx(0.4533333)  # 0.34 x (1 + 7/30 + 4/40)
    assert plain["attemptsForConfidence"] == 8  # 0.5466667^7 = 0.0147, ^8 = 0.0080
    untrained = invention(alice, HOBGOBLIN_II, position, encryption=0, science1=0, science2=0, confidence=0.9)
    assert untrained["options"][0]["probability"] == pytest.approx(0.34)
    assert untrained["options"][0]["attemptsForConfidence"] == 6
    wolf = invention(alice, WOLF, position)["options"][0]
    assert (wolf["probability"], wolf["runsPerCopy"]) == (pytest.approx(0.4375), 1)  # 0.3 x 35/24


def test_with_a_region_every_option_is_priced_and_the_cheapest_named(alice: Api) -> None:
    imported(alice)
    answer = invention(alice, HOBGOBLIN_II, priced(alice), region_id=FORGE)

    by_decryptor = {option["decryptorTypeId"]: option for option in answer["options"]}
    plain = by_decryptor[None]
    # datacores 100,000 + invention job 2,020 x 9.25% + copying job 70.12 x 6.25%
    assert plain["costPerAttempt"] == pytest.approx(100_191.2325)
    assert plain["costPerCopy"] == pytest.approx(100_191.2325 * 240 / 119)
    # (the copy + 10 runs' inputs 1,101,000 + their job 83,325) / 10
    assert plain["costPerUnit"] == pytest.approx(138_639.135, abs=0.01)
    assert by_decryptor[ACCELERANT]["costPerUnit"] == pytest.approx(210_134.75, abs=0.01)
    assert by_decryptor[ATTAINMENT]["costPerUnit"] == pytest.approx(134_454.21, abs=0.01)
    assert answer["best"]["decryptorTypeId"] == ATTAINMENT
    assert answer["best"]["costPerUnit"] == pytest.approx(134_454.21, abs=0.01)
    # the other six decryptors have no price in The Forge: their costs are unknown, not 0
    assert by_decryptor[PARITY]["costPerUnit"] is None
    assert {(m["what"], m["id"]) for m in answer["missing"]} == {
        ("sell_price", decryptor) for decryptor in (34203, 34204, 34205, 34206, 34207, 34208)
    }
    assert (answer["regionId"], answer["asOf"]) == (FORGE, "2026-03-01T12:00:00Z")


def test_a_region_without_a_job_site_says_so(alice: Api) -> None:
    imported(alice)
    answer = invention(alice, HOBGOBLIN_II, priced(alice, DOMAIN, job_site=False), region_id=DOMAIN)

    assert answer["options"][0]["costPerAttempt"] is None and answer["best"] is None
    assert ("job_site", DOMAIN) in {(m["what"], m["id"]) for m in answer["missing"]}


def test_decryptors_are_catalog_items_with_their_effects(alice: Api) -> None:
    position = imported(alice)
    item = ok(alice.get("/v1/catalog/items/34201", params={"minPosition": position}))

    assert item["groupName"] == "Generic Decryptor"
    assert item["decryptor"] == {"probabilityMultiplier": 1.2, "meModifier": 2, "teModifier": 10, "runsModifier": 1}


def test_bad_invention_requests_name_the_field(alice: Api, bob: Api) -> None:
    position = imported(alice)
    cases = [
        (alice, HOBGOBLIN_II, {"science1": 6}, 400, "science1"),
        (alice, HOBGOBLIN_II, {"encryption": -1}, 400, "encryption"),
        (alice, HOBGOBLIN_II, {"confidence": 1}, 400, "confidence"),
        (alice, HOBGOBLIN_II, {"confidence": 0}, 400, "confidence"),
        (alice, 999_999, {}, 404, "productTypeId"),
        (alice, RIFTER, {}, 422, "productTypeId"),  # in the catalog, but built, not invented
        (alice, HOBGOBLIN_II, {"region_id": 10000030}, 404, "region_id"),  # no market data there
        (bob, HOBGOBLIN_II, {}, 404, "productTypeId"),  # catalogs are per user
    ]
    for api, type_id, params, status, field in cases:
        response = api.get(f"{INVENTION}/{type_id}", params={"minPosition": position, **params})
        assert response.status_code == status, (type_id, params, response.text)
        assert response.json()["field"] == field, (type_id, params, response.json())
