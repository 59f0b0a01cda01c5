"""Invention in the chain routes (tree, flat, direct, materials, shopping list) on the shipped
sample catalog (the game's real data: sample-catalog.SOURCES.md), every number worked out by
hand in tests/unit/test_invention_chains.py, whose docstring has the data: the Hobgoblin II is
invented at 0.34 (0.4958333 at skills V) into 10-run copies from one Graviton Physics and one
Electronic Engineering datacore an attempt; the Wolf at 0.3 (0.4375) into single-run copies from
two Minmatar Starship Engineering and two Mechanical Engineering datacores an attempt."""

from __future__ import annotations

from typing import Any

import pytest

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api

CHAINS = "/v1/production/chains"
HOBGOBLIN_I, HOBGOBLIN_I_BLUEPRINT, HOBGOBLIN_II, HOBGOBLIN_II_BLUEPRINT = 2454, 2455, 2456, 2457
RIFTER, RIFTER_BLUEPRINT, WOLF, WOLF_BLUEPRINT = 587, 691, 11371, 11372
GRAVITON, ELECTRONIC, MINMATAR, MECHANICAL = 20419, 20418, 20172, 20424
ATTAINMENT, TRITANIUM = 34202, 34
JITA_IV = 60003760


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def imported(api: Api) -> int:
    return int(ok(api.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))["position"])


def get(api: Api, path: str, position: int, **params: Any) -> Any:
    return ok(api.get(path, params={"minPosition": position, **params}))


def by_type(rows: list[dict[str, Any]], key: str = "quantity") -> dict[int, Any]:
    return {row["typeId"]: row[key] for row in rows}


def test_the_tree_shows_copying_and_invention_with_the_chance(alice: Api) -> None:
    position = imported(alice)
    tree = get(alice, f"{CHAINS}/{HOBGOBLIN_II}", position)["tree"]
    assert (tree["activity"], tree["probability"]) == ("manufacturing", None)
    copy = next(child for child in tree["children"] if child["typeId"] == HOBGOBLIN_II_BLUEPRINT)
    assert (copy["name"], copy["activity"], copy["probability"], copy["unitsPerRun"], copy["raw"]) == (
        "Hobgoblin II Blueprint",
        "invention",
        0.34,
        10,
        False,
    )
    assert [(c["typeId"], c["quantity"], c["activity"]) for c in copy["children"]] == [
        (GRAVITON, 1, None),
        (ELECTRONIC, 1, None),
        (HOBGOBLIN_I_BLUEPRINT, 1, "copying"),
    ]
    assert copy["children"][2]["probability"] is None


def test_flat_rows_count_the_datacores_at_expected_attempts(alice: Api) -> None:
    position = imported(alice)
    flat = get(alice, f"{CHAINS}/{HOBGOBLIN_II}", position, format="flat")["materials"]
    rows = {row["rawMaterialTypeId"]: row for row in flat}
    # 1 / (10 runs a copy × 0.4958333) = 24/119 a run
    assert rows[GRAVITON]["baseQuantity"] == pytest.approx(24 / 119)
    assert rows[ELECTRONIC]["baseQuantity"] == pytest.approx(24 / 119)
    assert (rows[GRAVITON]["chainDepth"], rows[GRAVITON]["path"]) == (2, "2456->2457->20419")
    assert HOBGOBLIN_I_BLUEPRINT not in rows and HOBGOBLIN_II_BLUEPRINT not in rows


def test_direct_rows_of_the_wolf_and_its_blueprint(alice: Api) -> None:
    position = imported(alice)
    blueprint = get(alice, f"{CHAINS}/{WOLF_BLUEPRINT}/direct", position)
    assert blueprint["name"] == "Wolf Blueprint"
    rows = {(d["materialTypeId"], d["activityId"], d["recipeId"], d["baseQuantity"]) for d in blueprint["dependencies"]}
    # an attempt: two of each datacore and one run of a Rifter Blueprint copy (invention: activity 8)
    assert rows == {
        (MINMATAR, 8, RIFTER_BLUEPRINT, 2),
        (MECHANICAL, 8, RIFTER_BLUEPRINT, 2),
        (RIFTER_BLUEPRINT, 8, 691, 1),
    }
    copied = next(d for d in blueprint["dependencies"] if d["materialTypeId"] == RIFTER_BLUEPRINT)
    assert (copied["isRawMaterial"], copied["unitsPerRun"]) == (False, 1)
    wolf = get(alice, f"{CHAINS}/{WOLF}/direct", position)["dependencies"]
    copy = next(d for d in wolf if d["materialTypeId"] == WOLF_BLUEPRINT)
    assert (copy["activityId"], copy["baseQuantity"], copy["isRawMaterial"]) == (1, 1, False)
    assert get(alice, f"{CHAINS}/{RIFTER_BLUEPRINT}/direct", position)["dependencies"] == [], "copying takes nothing"


def test_materials_without_invention_are_as_before(alice: Api) -> None:
    position = imported(alice)
    bill = get(alice, f"{CHAINS}/{HOBGOBLIN_II}/materials", position, runs=25)
    assert {step["activity"] for step in bill["steps"]} == {"manufacturing"}
    assert GRAVITON not in by_type(bill["materials"])


def test_materials_count_invention_on_expected_value(alice: Api) -> None:
    position = imported(alice)
    bill = get(alice, f"{CHAINS}/{HOBGOBLIN_II}/materials", position, runs=25, invention="expected")
    steps = {step["typeId"]: step for step in bill["steps"]}
    # 3 copies of 10 runs; 3 / 0.4958333 = 6.05 -> 7 attempts, 7 Tech I copy runs
    invention = steps[HOBGOBLIN_II_BLUEPRINT]
    assert (invention["activity"], invention["runs"], invention["produced"], invention["needed"]) == (
        "invention",
        7,
        30,
        25,
    )
    assert invention["leftover"] == 5
    assert (steps[HOBGOBLIN_I_BLUEPRINT]["activity"], steps[HOBGOBLIN_I_BLUEPRINT]["runs"]) == ("copying", 7)
    assert steps[HOBGOBLIN_II]["me"] == 2, "the invented copy's ME"
    materials = by_type(bill["materials"])
    assert (materials[GRAVITON], materials[ELECTRONIC]) == (7, 7)
    assert HOBGOBLIN_I_BLUEPRINT not in materials and HOBGOBLIN_II_BLUEPRINT not in materials
    assert [step["typeId"] for step in bill["steps"]][:1] == [HOBGOBLIN_I_BLUEPRINT], "deepest first"


@pytest.mark.parametrize(("confidence", "attempts"), [(0.9, 9), (0.99, 14)])
def test_materials_at_a_confidence(alice: Api, confidence: float, attempts: int) -> None:
    position = imported(alice)
    params = {"runs": 25, "invention": "confidence", "confidence": confidence}
    bill = get(alice, f"{CHAINS}/{HOBGOBLIN_II}/materials", position, **params)
    assert next(s["runs"] for s in bill["steps"] if s["typeId"] == HOBGOBLIN_II_BLUEPRINT) == attempts
    assert by_type(bill["materials"])[GRAVITON] == attempts


def test_the_default_confidence_is_095_and_skills_and_a_decryptor_change_the_attempts(alice: Api) -> None:
    position = imported(alice)
    wolf = get(alice, f"{CHAINS}/{WOLF}/materials", position, invention="confidence")
    # one copy at 0.4375: 1 - 0.5625^5 = 0.94369, 1 - 0.5625^6 = 0.96832: 6 attempts, 12 of each datacore
    assert (by_type(wolf["materials"])[MINMATAR], by_type(wolf["materials"])[MECHANICAL]) == (12, 12)
    low = get(
        alice,
        f"{CHAINS}/{HOBGOBLIN_II}/materials",
        position,
        runs=25,
        invention="expected",
        encryption=0,
        science1=0,
        science2=0,
    )
    assert by_type(low["materials"])[GRAVITON] == 9  # 3 / 0.34 = 8.8
    decrypted = get(
        alice, f"{CHAINS}/{HOBGOBLIN_II}/materials", position, runs=25, invention="expected", decryptor=ATTAINMENT
    )
    # Attainment: 14-run copies (2 copies), chance 0.8925: 2.24 -> 3 attempts, each one decryptor; ME 2 - 1
    materials = by_type(decrypted["materials"])
    assert (materials[GRAVITON], materials[ELECTRONIC], materials[ATTAINMENT]) == (3, 3, 3)
    steps = {step["typeId"]: step for step in decrypted["steps"]}
    assert (steps[HOBGOBLIN_II_BLUEPRINT]["produced"], steps[HOBGOBLIN_II]["me"]) == (28, 1)


def test_the_shopping_list_buys_datacores_and_decryptors_not_copies(alice: Api) -> None:
    position = imported(alice)
    path = f"{CHAINS}/{HOBGOBLIN_II}/shopping-list"
    params = {"runs": 25, "invention": "expected", "decryptor": ATTAINMENT}
    answer = get(alice, path, position, **params)
    to_buy = by_type(answer["lines"], "toBuy")
    assert (to_buy[GRAVITON], to_buy[ELECTRONIC], to_buy[ATTAINMENT]) == (3, 3, 3)
    assert HOBGOBLIN_I_BLUEPRINT not in to_buy and HOBGOBLIN_II_BLUEPRINT not in to_buy
    assert GRAVITON not in by_type(get(alice, path, position, runs=25)["lines"], "toBuy"), "none: as before"
    multibuy = alice.get(path, params={"minPosition": position, **params, "format": "multibuy"})
    pasted = dict(line.split("\t") for line in multibuy.text.splitlines())
    assert (pasted["Datacore - Graviton Physics"], pasted["Attainment Decryptor"]) == ("3", "3")
    held = ok(
        alice.put(
            "/v1/assets",
            json={"locationId": JITA_IV, "assets": [{"typeId": GRAVITON, "locationId": JITA_IV, "quantity": 2}]},
        )
    )
    missing = get(alice, path, int(held["position"]), **params, locationId=JITA_IV)
    assert by_type(missing["lines"], "toBuy")[GRAVITON] == 1


def test_bad_invention_parameters_are_refused_naming_the_field(alice: Api) -> None:
    position = imported(alice)
    cases = [
        ({"invention": "always"}, "invention"),
        ({"invention": "confidence", "confidence": 1}, "confidence"),
        ({"invention": "confidence", "confidence": 0}, "confidence"),
        ({"invention": "expected", "science1": 6}, "science1"),
        ({"invention": "expected", "science2": -1}, "science2"),
        ({"invention": "expected", "encryption": 9}, "encryption"),
        ({"invention": "expected", "decryptor": TRITANIUM}, "decryptor"),  # in the catalog, not a decryptor
        ({"invention": "expected", "decryptor": 424242}, "decryptor"),  # not in the catalog
        ({"invention": "expected", "decryptor": "x"}, "decryptor"),
        ({"decryptor": ATTAINMENT}, "decryptor"),  # a decryptor with no invention counted would change nothing
    ]
    for route in ("materials", "shopping-list"):
        for params, field in cases:
            response = alice.get(f"{CHAINS}/{HOBGOBLIN_II}/{route}", params={"minPosition": position, **params})
            assert response.status_code == 400, (route, params, response.text)
            assert response.json()["field"] == field, (route, params, response.json())
