"""The catalog and chain API, as a client sees it (quantities worked out by hand)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

# A frigate F (587) from 3 plates P (100) and 1000 Tritanium (34), at most 10 runs per job;
# a plate from 10 Tritanium, 5 Pyerite (35) and 10 composite K (200); K by a reaction, 40 per
# run from 100 Tritanium. P also has a second recipe (1101) from 20 Pyerite.
CATALOG = {
    "format": "manufactory-catalog",
    "version": 1,
    "game": "eve",
    "items": [
        {"typeId": 34, "name": "Tritanium", "groupName": "Mineral", "volume": 0.01},
        {"typeId": 35, "name": "Pyerite", "groupName": "Mineral", "volume": 0.01},
        {"typeId": 100, "name": "Armor Plate"},
        {"typeId": 200, "name": "Composite"},
        {"typeId": 587, "name": "Rifter", "groupName": "Frigate", "volume": 27289},
    ],
    "recipes": [
        {
            "recipeId": 691,
            "name": "Rifter Blueprint",
            "maxRuns": 10,
            "activities": [
                {
                    "kind": "manufacturing",
                    "time": 6000,
                    "materials": [{"typeId": 100, "quantity": 3}, {"typeId": 34, "quantity": 1000}],
                    "products": [{"typeId": 587, "quantity": 1}],
                }
            ],
        },
        {
            "recipeId": 1100,
            "activities": [
                {
                    "kind": "manufacturing",
                    "time": 600,
                    "materials": [
                        {"typeId": 34, "quantity": 10},
                        {"typeId": 35, "quantity": 5},
                        {"typeId": 200, "quantity": 10},
                    ],
                    "products": [{"typeId": 100, "quantity": 1}],
                }
            ],
        },
        {
            "recipeId": 1101,
            "activities": [
                {
                    "kind": "manufacturing",
                    "time": 600,
                    "materials": [{"typeId": 35, "quantity": 20}],
                    "products": [{"typeId": 100, "quantity": 1}],
                }
            ],
        },
        {
            "recipeId": 1200,
            "activities": [
                {
                    "kind": "reaction",
                    "time": 3600,
                    "materials": [{"typeId": 34, "quantity": 100}],
                    "products": [{"typeId": 200, "quantity": 40}],
                }
            ],
        },
    ],
}
CHAINS = "/v1/production/chains"


def imported(api: Api, catalog: dict[str, Any] = CATALOG) -> int:
    response = api.post("/v1/catalog/imports", json=catalog)
    assert response.status_code == 200, response.text
    return response.json()["position"]


def get(api: Api, path: str, position: int, **params: Any) -> Any:
    response = api.get(path, params={"minPosition": position, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_import_answers_its_version_and_a_reimport_changes_nothing(alice: Api) -> None:
    first = alice.post("/v1/catalog/imports", json=CATALOG).json()
    assert first["changed"] and first["summary"]["catalogVersion"] == 1
    assert first["summary"]["itemsAdded"] == 5 and first["summary"]["recipesAdded"] == 4
    again = alice.post("/v1/catalog/imports", json=CATALOG).json()
    assert (again["changed"], again["summary"]) == (False, None)
    versions = get(alice, "/v1/catalog/versions", again["position"])["versions"]
    assert [v["catalogVersion"] for v in versions] == [1] and len(versions[0]["contentHash"]) == 32


def imported_versions(api: Api, count: int) -> int:
    """``count`` versions of the catalog (each renames the Rifter); the last one's position."""
    for version in range(1, count + 1):
        items = [{**item, "name": f"Rifter {version}"} if item["typeId"] == 587 else item for item in CATALOG["items"]]
        position = imported(api, {**CATALOG, "items": items})
    return position


def test_versions_are_listed_a_page_at_a_time_oldest_first(alice: Api) -> None:
    position = imported_versions(alice, 3)

    def page(**params: int) -> list[int]:
        return [v["catalogVersion"] for v in get(alice, "/v1/catalog/versions", position, **params)["versions"]]

    assert page() == [1, 2, 3]
    assert page(limit=2) == [1, 2] and page(limit=2, offset=2) == [3]
    assert alice.get("/v1/catalog/versions", params={"limit": 10_001}).status_code == 400  # past the cap


def test_items_search_detail_and_recipes_producing_and_using(alice: Api) -> None:
    position = imported(alice)
    found = get(alice, "/v1/catalog/items", position, search="rIT")["items"]
    assert [item["name"] for item in found] == ["Pyerite", "Tritanium"]  # any case, sorted by name
    assert get(alice, "/v1/catalog/items", position, search="50%")["items"] == []  # LIKE wildcards are literal
    assert get(alice, "/v1/catalog/items/587", position)["volume"] == 27289
    producing = get(alice, "/v1/catalog/items/100/recipes", position, role="producing")["recipes"]
    assert [r["recipeId"] for r in producing] == [1100, 1101]
    using = get(alice, "/v1/catalog/items/34/recipes", position, role="using")["recipes"]
    assert [r["recipeId"] for r in using] == [691, 1100, 1200]


def test_materials_sum_demand_over_the_tree_apply_me_and_report_leftovers(alice: Api) -> None:
    position = imported(alice)
    bill = get(alice, f"{CHAINS}/587/materials", position, me=10, runs=1)
    assert bill["catalogVersion"] == 1, "every answer says which catalog version it comes from"
    # Rifter: plates 2.7 -> 3, Tritanium 900. Plates x3: Tritanium 27, Pyerite 13.5 -> 14,
    # composite 27. Composite 27 -> 1 reaction run (40), 13 left over, 100 Tritanium (no ME).
    assert {m["name"]: m["quantity"] for m in bill["materials"]} == {"Tritanium": 900 + 27 + 100, "Pyerite": 14}
    steps = {s["name"]: s for s in bill["steps"]}
    assert (steps["Composite"]["runs"], steps["Composite"]["leftover"]) == (1, 13)
    assert [s["name"] for s in bill["steps"]] == ["Composite", "Armor Plate", "Rifter"]
    timed = get(alice, f"{CHAINS}/587/materials", position, te=20, industry=5, structureTimeBonus=0.15)
    rifter = next(s for s in timed["steps"] if s["name"] == "Rifter")
    # 6000 x 0.8 x 0.8 x 0.85 = 3264.0000000000005 in floats: the game's whole seconds are 3264
    assert rifter["jobs"] == [{"runs": 1, "count": 1, "seconds": 3264}]


def test_materials_accept_per_step_levels_facilities_purchases_and_recipe_choices(alice: Api) -> None:
    position = imported(alice)
    raitaru_null = {"structureMaterialBonus": 0.01, "rigMaterialBonus": 0.02, "security": "null"}
    bill = get(alice, f"{CHAINS}/587/materials", position, step="100:10", runs=1, **raitaru_null)
    # plates at ME 10 in the Raitaru: 3 x 10 x 0.9 x 0.99 x 0.958 = 25.6 -> 26; Rifter at ME 0 there:
    # 1000 x 0.99 x 0.958 = 948.4 -> 949; composite 30 -> 1 run, 100 x 0.99 x 0.958 = 94.8 -> 95
    assert {m["typeId"]: m["quantity"] for m in bill["materials"]}[34] == 949 + 26 + 95
    bought = get(alice, f"{CHAINS}/587/materials", position, buy="100")
    assert bought["bought"] == [{"typeId": 100, "name": "Armor Plate", "quantity": 3}]
    chosen = get(alice, f"{CHAINS}/587/materials", position, recipe="100:1101")
    assert {m["typeId"]: m["quantity"] for m in chosen["materials"]} == {34: 1000, 35: 60}


def test_chain_tree_flat_and_direct(alice: Api) -> None:
    position = imported(alice)
    tree = get(alice, f"{CHAINS}/587", position, format="tree")["tree"]
    assert (tree["name"], tree["recipeId"]) == ("Rifter", 691)
    plate = next(child for child in tree["children"] if child["typeId"] == 100)
    assert plate["quantity"] == 3 and not plate["raw"]
    assert {c["name"]: c["raw"] for c in plate["children"]} == {"Tritanium": True, "Pyerite": True, "Composite": False}
    flat = get(alice, f"{CHAINS}/587", position, format="flat")["materials"]
    # per run, without ME: 1000 + 3 x (10 + 10 x 100/40) = 1105 Tritanium, 15 Pyerite
    assert {m["name"]: m["baseQuantity"] for m in flat} == {"Tritanium": 1105.0, "Pyerite": 15.0}
    assert {m["name"]: m["chainDepth"] for m in flat} == {"Tritanium": 3, "Pyerite": 2}
    direct = get(alice, f"{CHAINS}/100/direct", position)["dependencies"]
    assert {(d["recipeId"], d["name"], d["isRawMaterial"]) for d in direct} == {
        (1100, "Tritanium", True),
        (1100, "Pyerite", True),
        (1100, "Composite", False),
        (1101, "Pyerite", True),
    }


def test_items_marked_bought_are_raw_materials_in_chains_until_unmarked(alice: Api) -> None:
    position = imported(alice)
    marked = alice.put("/v1/catalog/bought", json={"typeIds": [100]})
    assert marked.status_code == 200 and marked.json()["typeIds"] == [100]
    position = marked.json()["position"]
    assert get(alice, "/v1/catalog/bought", position) == {"typeIds": [100]}
    flat = get(alice, f"{CHAINS}/587", position, format="flat")["materials"]
    assert {m["name"]: m["baseQuantity"] for m in flat} == {"Armor Plate": 3.0, "Tritanium": 1000.0}
    bill = get(alice, f"{CHAINS}/587/materials", position)
    assert {m["name"]: m["quantity"] for m in bill["materials"]} == {"Armor Plate": 3, "Tritanium": 1000}
    again = alice.put("/v1/catalog/bought", json={"typeIds": [100]}).json()
    assert again["changed"] is False
    unknown = alice.put("/v1/catalog/bought", json={"typeIds": [100, 424242]})
    assert unknown.status_code == 422 and "424242" in unknown.json()["detail"]
    cleared = alice.put("/v1/catalog/bought", json={"typeIds": []}).json()
    flat = get(alice, f"{CHAINS}/587", cleared["position"], format="flat")["materials"]
    assert {m["name"] for m in flat} == {"Tritanium", "Pyerite"}


def test_bad_chain_requests_are_clear(alice: Api, bob: Api) -> None:
    position = imported(alice)
    cases = [
        (alice, f"{CHAINS}/587/materials", {"me": 11}, 400, "me"),
        (alice, f"{CHAINS}/587/materials", {"runs": 0}, 400, "runs"),
        (alice, f"{CHAINS}/587/materials", {"step": "100:x"}, 400, "step"),
        (alice, f"{CHAINS}/587/materials", {"recipe": "100:691"}, 400, "recipe"),
        (alice, f"{CHAINS}/34/materials", {}, 404, "typeId"),
        (alice, f"{CHAINS}/999/direct", {}, 404, "typeId"),
        (bob, f"{CHAINS}/587/materials", {}, 404, "typeId"),  # catalogs are per user
        (bob, "/v1/catalog/items/587", {}, 404, "typeId"),
    ]
    for api, path, params, status, field in cases:
        response = api.get(path, params={"minPosition": position, **params})
        assert response.status_code == status, (path, params, response.text)
        assert response.json()["field"] == field, (path, params, response.json())


def test_a_looping_chain_is_reported_with_its_items(alice: Api) -> None:
    looping = {
        "game": "factory",
        "items": [{"typeId": 1, "name": "A"}, {"typeId": 2, "name": "B"}],
        "recipes": [
            {
                "recipeId": 10,
                "activities": [
                    {
                        "kind": "manufacturing",
                        "time": 1,
                        "materials": [{"typeId": 2, "quantity": 1}],
                        "products": [{"typeId": 1, "quantity": 1}],
                    }
                ],
            },
            {
                "recipeId": 20,
                "activities": [
                    {
                        "kind": "manufacturing",
                        "time": 1,
                        "materials": [{"typeId": 1, "quantity": 1}],
                        "products": [{"typeId": 2, "quantity": 2}],
                    }
                ],
            },
        ],
    }
    position = imported(alice, looping)
    for path, params in ((f"{CHAINS}/1/materials", {}), (f"{CHAINS}/1", {"format": "flat"}), (f"{CHAINS}/1", {})):
        response = alice.get(path, params={"minPosition": position, **params})
        assert response.status_code == 422, (path, params)
        assert "1 -> 2 -> 1" in response.json()["detail"] and response.json()["field"] == "typeId"


def test_a_malformed_catalog_is_refused_whole(alice: Api) -> None:
    bad = {**CATALOG, "items": [{"typeId": "x", "name": "Broken"}]}
    response = alice.post("/v1/catalog/imports", json=bad)
    assert response.status_code == 400 and response.json()["field"] == "items[0].typeId"
    assert get(alice, "/v1/catalog/versions", alice.client.app.state.system.store.head())["versions"] == []
