"""The shared catalog: imported once by an admin, followed by every user without a private
catalog, each with their own overlay (bought marks) that nobody else sees; and answers equal
to those of a user who imported the same data privately."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from application.system import Manufactory
from domain.catalog.catalog import SHARED_CATALOG_ID, SHARED_CATALOG_OWNER
from domain.catalog.overlay import overlay_aggregate_id
from domain.errors import RuleViolation
from domain.events import CommandMeta
from projections.catalog import CATALOG_ITEMS, CHAINS
from tests.conftest import Api
from tests.integration import test_api_economics as econ
from tests.integration.test_api_catalog import CATALOG, get, imported
from tests.integration.test_api_universe import NEW_CALDARI, NIYABAINEN, fixture_catalog, route

CHAIN_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("/v1/production/chains/587", {}),
    ("/v1/production/chains/587", {"format": "flat"}),
    ("/v1/production/chains/100", {"format": "flat"}),
    ("/v1/production/chains/587/materials", {"me": 10, "runs": 7}),
    ("/v1/production/chains/587/materials", {"recipe": "100:1101", "buy": "200"}),
    ("/v1/production/chains/587/shopping-list", {"runs": 3}),
    ("/v1/production/chains/587/direct", {}),
    ("/v1/production/chains/100/direct", {}),
    ("/v1/catalog/items", {"search": "it"}),
    ("/v1/catalog/items/100/recipes", {"role": "producing"}),
    ("/v1/catalog/bought", {}),
]


def shared_imported(api: Api, catalog: dict[str, Any] = CATALOG) -> int:
    response = api.post("/v1/catalog/shared/imports", json=catalog)
    assert response.status_code == 200, response.text
    return int(response.json()["position"])


def marked(api: Api, *type_ids: int) -> int:
    response = api.put("/v1/catalog/bought", json={"typeIds": list(type_ids)})
    assert response.status_code == 200, response.text
    return int(response.json()["position"])


def answers(api: Api, position: int) -> list[tuple[int, Any]]:
    """Every chain query's status and body (a refusal must be the same refusal)."""
    found = []
    for path, params in CHAIN_QUERIES:
        response = api.get(path, params={"minPosition": position, **params})
        found.append((response.status_code, response.json()))
    return found


def rows_under(system: Manufactory, table: Any, key: Any) -> int:
    with system.query_engine.connect() as connection:
        return int(connection.execute(select(func.count()).where(table.c.owner_id == key)).scalar() or 0)


def test_only_an_admin_imports_the_shared_catalog_and_others_are_told_why(operator: Api, alice: Api) -> None:
    refused = alice.post("/v1/catalog/shared/imports", json=CATALOG)
    assert refused.status_code == 403
    assert refused.json()["field"] == "shared" and "only an admin" in refused.json()["detail"]
    position = shared_imported(operator)
    again = operator.post("/v1/catalog/shared/imports", json=CATALOG).json()
    assert (again["changed"], again["catalogId"]) == (False, str(SHARED_CATALOG_ID))
    assert [v["catalogVersion"] for v in get(alice, "/v1/catalog/versions", position)["versions"]] == [1]


def test_a_user_without_a_catalog_follows_the_shared_one_read_once_for_everyone(
    system: Manufactory, operator: Api, alice: Api, bob: Api
) -> None:
    assert alice.get("/v1/production/chains/587").status_code == 404, "no catalog at all yet"
    position = shared_imported(operator)
    assert answers(alice, position) == answers(bob, position)
    assert get(alice, "/v1/production/chains/587/materials", position)["catalogVersion"] == 1
    for user in (alice, bob, operator):
        assert rows_under(system, CHAINS.view, user.user_id) == 0, "no per-user chain rows"
    assert rows_under(system, CATALOG_ITEMS.view, SHARED_CATALOG_OWNER) == 5


def test_the_shared_catalogs_audit_names_who_imported_each_version(operator: Api, alice: Api) -> None:
    shared_imported(operator)
    changed = copy.deepcopy(CATALOG)
    changed["items"][2]["name"] = "Heavy Armor Plate"
    shared_imported(operator, changed)
    trail = alice.get(f"/v1/audit/{SHARED_CATALOG_ID}")
    assert trail.status_code == 200, trail.text
    versions = [e for e in trail.json()["events"] if e["type"].endswith("CatalogVersionRecorded")]
    assert [(e["payload"]["summary"]["catalogVersion"], e["userId"]) for e in versions] == [
        (1, str(operator.user_id)),
        (2, str(operator.user_id)),
    ]


def test_a_follower_with_an_overlay_gets_the_answers_of_the_same_data_imported_privately(
    operator: Api, alice: Api, bob: Api
) -> None:
    """alice imports the catalog as her own, bob follows the shared copy: with the same bought
    marks, every chain, bill, shopping list and direct dependency reads the same."""
    imported(alice)
    shared_imported(operator)
    unmarked = answers(bob, marked(bob))
    assert all(status == 200 for status, _ in unmarked)
    assert answers(alice, marked(alice)) == unmarked
    assert answers(alice, marked(alice, 100)) == answers(bob, marked(bob, 100))
    assert answers(alice, marked(alice, 200, 100)) == answers(bob, marked(bob, 200, 100))
    flat = get(bob, "/v1/production/chains/587", marked(bob, 100), format="flat")["materials"]
    assert {m["name"]: m["baseQuantity"] for m in flat} == {"Armor Plate": 3.0, "Tritanium": 1000.0}


def test_one_followers_overlay_is_never_seen_by_another(operator: Api, alice: Api, bob: Api) -> None:
    position = shared_imported(operator)
    untouched = answers(alice, position)
    position = marked(bob, 100)
    assert get(bob, "/v1/catalog/bought", position) == {"typeIds": [100]}
    assert get(alice, "/v1/catalog/bought", position) == {"typeIds": []}
    assert answers(alice, position) == untouched
    assert get(operator, "/v1/catalog/bought", position) == {"typeIds": []}
    overlay = bob.put("/v1/catalog/bought", json={"typeIds": [100]}).json()
    assert overlay["changed"] is False
    unknown = bob.put("/v1/catalog/bought", json={"typeIds": [424242]})
    assert unknown.status_code == 422 and unknown.json()["field"] == "typeIds"
    overlay = overlay_aggregate_id(bob.user_id)
    assert bob.get(f"/v1/audit/{overlay}").status_code == 200
    assert alice.get(f"/v1/audit/{overlay}").json() == alice.get(f"/v1/audit/{uuid.uuid4()}").json()


def test_a_private_catalog_is_used_as_before_whatever_the_shared_one_holds(operator: Api, alice: Api, bob: Api) -> None:
    shared_imported(operator)
    mine = copy.deepcopy(CATALOG)
    mine["items"][4]["name"] = "My Rifter"
    position = imported(alice, mine)
    assert get(alice, "/v1/catalog/items/587", position)["name"] == "My Rifter"
    assert get(bob, "/v1/catalog/items/587", position)["name"] == "Rifter"
    position = marked(alice, 100)
    assert get(bob, "/v1/catalog/bought", position) == {"typeIds": []}
    versions = get(alice, "/v1/catalog/versions", position)["versions"]
    assert [v["source"] for v in versions] == ["api"] and len(versions) == 1


def test_a_private_catalog_equal_to_the_shared_one_moves_onto_it_keeping_its_marks(
    system: Manufactory, operator: Api, alice: Api
) -> None:
    imported(alice)
    marked(alice, 100)
    before = answers(alice, shared_imported(operator))
    position = system.catalogs.move_to_shared(alice.user_id, CommandMeta(user_id=alice.user_id, correlation_id="t"))
    assert answers(alice, position) == before
    assert rows_under(system, CATALOG_ITEMS.view, alice.user_id) == 0, "the private rows are gone"
    assert rows_under(system, CHAINS.view, alice.user_id) == 0


def test_a_private_catalog_that_differs_from_the_shared_one_stays_private(
    system: Manufactory, operator: Api, alice: Api
) -> None:
    mine = copy.deepcopy(CATALOG)
    mine["items"][4]["name"] = "My Rifter"
    imported(alice, mine)
    position = shared_imported(operator)
    meta = CommandMeta(user_id=alice.user_id, correlation_id="t")
    with pytest.raises(RuleViolation, match="stays private") as refused:
        system.catalogs.move_to_shared(alice.user_id, meta)
    assert refused.value.field == "user"
    assert get(alice, "/v1/catalog/items/587", position)["name"] == "My Rifter"


def test_an_import_after_moving_makes_the_catalog_private_again(system: Manufactory, operator: Api, alice: Api) -> None:
    imported(alice)
    shared_imported(operator)
    system.catalogs.move_to_shared(alice.user_id, CommandMeta(user_id=alice.user_id, correlation_id="t"))
    mine = copy.deepcopy(CATALOG)
    mine["items"][4]["name"] = "My Rifter"
    position = imported(alice, mine)
    assert get(alice, "/v1/catalog/items/587", position)["name"] == "My Rifter"
    assert [v["catalogVersion"] for v in get(alice, "/v1/catalog/versions", position)["versions"]] == [2]


# ------------------------------------------------------------------ economics


def economics_answers(
    api: Api, position: int, items: tuple[int, ...] = (econ.RIFTER, econ.S, econ.C, econ.D)
) -> list[Any]:
    """The stored rows of the economics test's items in The Forge and the opportunities ranking,
    without when and how often each user's rows were written (version, updatedAt)."""
    rows = [econ.economics(api, type_id, position) for type_id in items]
    ranking = econ.ok(
        api.get("/v1/production/economics/opportunities", params={"region_id": econ.FORGE, "minPosition": position})
    )
    assert ranking["items"], "a ranking to compare"
    return [_unversioned(row) for row in [*rows, *ranking["items"]]]


def _unversioned(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key not in ("version", "updatedAt")}


def test_a_followers_economics_equal_those_of_the_same_catalog_imported_privately(
    operator: Api, alice: Api, bob: Api
) -> None:
    econ.ok(alice.post("/v1/catalog/imports", json=econ.CATALOG))
    shared_imported(operator, econ.CATALOG)
    for user in (alice, bob):
        position = econ.ok(user.post("/v1/market/prices", json=econ.forge_batch()), 201)["position"]
    assert economics_answers(alice, position) == economics_answers(bob, position)
    alice_marked, bob_marked = marked(alice, econ.C), marked(bob, econ.C)
    built = (econ.RIFTER, econ.S, econ.D)  # C is bought now: no row of its own
    assert economics_answers(alice, alice_marked, built) == economics_answers(bob, bob_marked, built)


def test_a_new_shared_version_recomputes_its_followers_economics(operator: Api, bob: Api) -> None:
    shared_imported(operator, econ.CATALOG)
    position = econ.ok(bob.post("/v1/market/prices", json=econ.forge_batch()), 201)["position"]
    before = econ.economics(bob, econ.C, position)
    cheaper = copy.deepcopy(econ.CATALOG)
    component = next(r for r in cheaper["recipes"] if r["recipeId"] == 1100)
    component["activities"][0]["materials"] = [{"typeId": econ.TRIT, "quantity": 10}]  # no Pyerite any more
    after = econ.economics(bob, econ.C, shared_imported(operator, cheaper))
    # C from 10 Tritanium + 5 Pyerite: materials 40 + 50 = 90; from 10 Tritanium alone: 40
    assert econ.figures(before, "materialCost") == pytest.approx([90.0])
    assert econ.figures(after, "materialCost") == pytest.approx([40.0])


def test_a_follower_routes_on_the_shared_catalogs_map_and_an_importer_of_a_map_on_their_own(
    operator: Api, alice: Api, bob: Api
) -> None:
    """The map comes with a catalog: the shared one's is read by its followers (not filed under
    the admin who imported it) and by anyone whose own imports brought no map; a user whose
    import brought a map reads their own."""
    position = shared_imported(operator, fixture_catalog())
    answer = route(alice, position, NIYABAINEN, NEW_CALDARI)
    assert answer.status_code == 200, answer.text
    assert answer.json()["jumps"] == 2
    private = bob.post("/v1/catalog/imports", json=CATALOG)  # a private catalog without a map
    assert private.status_code == 200, private.text
    assert route(bob, private.json()["position"], NIYABAINEN, NEW_CALDARI).json()["jumps"] == 2
    own = fixture_catalog()
    own["systems"] = [s for s in own["systems"] if s["systemId"] != NIYABAINEN]  # bob's map lacks it
    mine = bob.post("/v1/catalog/imports", json=own)
    assert mine.status_code == 200, mine.text
    assert route(bob, mine.json()["position"], NIYABAINEN, NEW_CALDARI).status_code in (404, 422)


# ------------------------------------------------ own items and recipes, chosen recipes

WIDGET = {"typeId": 900, "name": "Widget", "volume": 5.0}
WIDGET_BLUEPRINT = {  # a new item of bob's, built from a catalog item
    "recipeId": 1900,
    "activities": [
        {
            "kind": "manufacturing",
            "time": 300,
            "materials": [{"typeId": 587, "quantity": 1}, {"typeId": 100, "quantity": 2}],
            "products": [{"typeId": 900, "quantity": 1}],
        }
    ],
}
PLATE_VARIANT = {  # a private variant of the catalog's blueprint 1100 (Armor Plate)
    "recipeId": 1100,
    "activities": [
        {
            "kind": "manufacturing",
            "time": 900,
            "materials": [{"typeId": 34, "quantity": 7}, {"typeId": 200, "quantity": 4}],
            "products": [{"typeId": 100, "quantity": 2}],
        }
    ],
}
OWN_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("/v1/production/chains/900", {}),
    ("/v1/production/chains/900", {"format": "flat"}),
    ("/v1/production/chains/900/materials", {"runs": 3, "me": 10}),
    ("/v1/production/chains/900/shopping-list", {"runs": 2}),
    ("/v1/production/chains/900/direct", {}),
    ("/v1/catalog/items/900", {}),
    ("/v1/catalog/items", {"search": "widget"}),
    ("/v1/catalog/items/587/recipes", {"role": "using"}),
]


def with_own(catalog: dict[str, Any]) -> dict[str, Any]:
    """The catalog as a private import with bob's own items and recipes in it."""
    mine = copy.deepcopy(catalog)
    mine["items"].append(WIDGET)
    mine["recipes"] = [r for r in mine["recipes"] if r["recipeId"] != 1100] + [PLATE_VARIANT, WIDGET_BLUEPRINT]
    return mine


def own_added(api: Api) -> int:
    response = api.post("/v1/catalog/own", json={"items": [WIDGET], "recipes": [WIDGET_BLUEPRINT, PLATE_VARIANT]})
    assert response.status_code == 200, response.text
    assert (response.json()["itemIds"], response.json()["recipeIds"]) == ([900], [1100, 1900])
    return int(response.json()["position"])


def every_answer(api: Api, position: int) -> list[tuple[int, Any]]:
    found = answers(api, position)
    for path, params in OWN_QUERIES:
        response = api.get(path, params={"minPosition": position, **params})
        found.append((response.status_code, response.json()))
    return found


def test_a_followers_own_items_and_recipes_answer_as_the_same_data_imported_privately(
    operator: Api, alice: Api, bob: Api
) -> None:
    """bob follows the shared catalog and adds a Widget with its blueprint and his variant of
    the Armor Plate's; alice imports the catalog with the same in it: every answer reads the
    same, with bought marks too; operator, following the same catalog, sees none of bob's."""
    before = answers(operator, shared_imported(operator))
    position = imported(alice, with_own(CATALOG))
    assert every_answer(alice, position) == every_answer(bob, own_added(bob))
    assert every_answer(alice, marked(alice, 200)) == every_answer(bob, marked(bob, 200))
    bill = get(bob, "/v1/production/chains/900/materials", position, runs=1)
    # a Rifter (3 plates, 1000 Tritanium) and 2 plates: 5 plates are 3 runs of bob's variant
    assert {m["typeId"]: m["quantity"] for m in bill["materials"]} == {34: 1000 + 3 * 7, 200: 3 * 4}
    assert answers(operator, position) == before, "bob's overlay is his alone"
    for path in ("/v1/catalog/items/900", "/v1/production/chains/900", "/v1/production/chains/900/materials"):
        assert operator.get(path).status_code == 404, path
    assert get(operator, "/v1/catalog/own", position) == {"items": [], "recipes": []}
    assert operator.delete("/v1/catalog/own/items/900").status_code == 404
    assert get(bob, "/v1/catalog/own", position)["items"] == [WIDGET]


def test_taking_an_own_recipe_back_restores_the_catalogs_and_bad_ones_are_refused(bob: Api, operator: Api) -> None:
    shared = answers(bob, shared_imported(operator))
    own_added(bob)
    bob.delete("/v1/catalog/own/items/900")
    bob.delete("/v1/catalog/own/recipes/1900")
    taken = bob.delete("/v1/catalog/own/recipes/1100")
    assert taken.status_code == 200 and taken.json()["recipeIds"] == [], taken.text
    assert answers(bob, taken.json()["position"]) == shared
    bad = bob.post("/v1/catalog/own", json={"recipes": [{"recipeId": 5, "activities": [{"kind": "brewing"}]}]})
    assert (bad.status_code, bad.json()["field"]) == (400, "recipes[0].activities[0].kind"), bad.text
    none = bob.post("/v1/catalog/own", json={"items": [{"typeId": 0, "name": "Zero"}]})
    assert (none.status_code, none.json()["field"]) == (400, "items[0].typeId"), none.text


def test_a_chosen_recipe_answers_as_the_same_choice_on_a_private_catalog(operator: Api, alice: Api, bob: Api) -> None:
    """Armor Plate (100) has two blueprints, 1100 the default; alice (private) and bob
    (following) both choose 1101: their answers are equal, and those of 1101 asked per query."""
    imported(alice)
    default = answers(bob, shared_imported(operator))
    chosen = bob.put("/v1/catalog/choices", json={"choices": [{"typeId": 100, "recipeId": 1101}]})
    assert chosen.status_code == 200, chosen.text
    position = chosen.json()["position"]
    assert every_answer(bob, position) != default
    mine = alice.put("/v1/catalog/choices", json={"choices": [{"typeId": 100, "recipeId": 1101}]}).json()
    assert answers(alice, mine["position"]) == answers(bob, position)
    asked = get(operator, "/v1/production/chains/587/materials", position, recipe="100:1101", me=10, runs=7)
    assert get(bob, "/v1/production/chains/587/materials", position, me=10, runs=7) == asked
    assert get(bob, "/v1/catalog/choices", position) == {"choices": [{"typeId": 100, "recipeId": 1101}]}
    assert get(operator, "/v1/catalog/choices", position) == {"choices": []}
    wrong = bob.put("/v1/catalog/choices", json={"choices": [{"typeId": 100, "recipeId": 1200}]})
    assert wrong.status_code == 422 and wrong.json()["field"] == "choices", wrong.text


def test_a_followers_economics_with_own_and_chosen_recipes_equal_a_private_imports(
    operator: Api, alice: Api, bob: Api
) -> None:
    """bob replaces the Component's blueprint with his variant and chooses a second one of his
    own for the Module; alice imports the catalog with both in it and makes the same choice."""
    variant, second = econ._recipe(1100, econ.C, {econ.TRIT: 5}), econ._recipe(1111, econ.D, {econ.TRIT: 30})
    mine = copy.deepcopy(econ.CATALOG)
    mine["recipes"] = [r for r in mine["recipes"] if r["recipeId"] != 1100] + [variant, second]
    econ.ok(alice.post("/v1/catalog/imports", json=mine))
    shared_imported(operator, econ.CATALOG)
    econ.ok(bob.post("/v1/catalog/own", json={"recipes": [variant, second]}))
    choice = {"choices": [{"typeId": econ.D, "recipeId": 1111}]}
    for user in (alice, bob):
        econ.ok(user.put("/v1/catalog/choices", json=choice))
    econ.ok(alice.post("/v1/market/prices", json=econ.forge_batch()), 201)  # her own prices
    # bob reads the shared market data: his overlay alone makes his base rows his own
    position = econ.ok(operator.post("/v1/market/shared/prices", json=econ.forge_batch()), 201)["position"]
    assert economics_answers(alice, position) == economics_answers(bob, position)
    # C from 5 Tritanium: 20; D from 30 Tritanium: 120 (the catalog's would be 60 and 200)
    assert econ.figures(econ.economics(bob, econ.C, position), "materialCost") == pytest.approx([20.0])
    assert econ.figures(econ.economics(bob, econ.D, position), "materialCost") == pytest.approx([120.0])
