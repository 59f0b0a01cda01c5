"""The sample catalog holds the EVE static data's real numbers (see sample-catalog.SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from domain.catalog.model import ActivityKind, CatalogFile, Recipe

CATALOG_PATH = Path(__file__).resolve().parents[2] / "domain" / "catalog" / "sample-catalog.json"

TRITANIUM, PYERITE, MEXALLON, ISOGEN, NOCXIUM, ZYDRINE, MEGACYTE, MORPHITE = 34, 35, 36, 37, 38, 39, 40, 11399
RIFTER, RIFTER_BLUEPRINT = 587, 691
DRAKE, DRAKE_BLUEPRINT = 24698, 24699
WOLF, WOLF_BLUEPRINT = 11371, 11372


@pytest.fixture(scope="module")
def catalog() -> CatalogFile:
    return msgspec.json.decode(CATALOG_PATH.read_bytes(), type=CatalogFile)


def recipe(catalog: CatalogFile, recipe_id: int) -> Recipe:
    return next(r for r in catalog.recipes if r.recipe_id == recipe_id)


def materials(recipe: Recipe, kind: ActivityKind) -> dict[int, int]:
    activity = recipe.activity(kind)
    assert activity is not None
    return {m.type_id: m.quantity for m in activity.materials}


def test_header(catalog: CatalogFile) -> None:
    assert (catalog.format, catalog.version, catalog.game) == ("manufactory-catalog", 1, "eve")


def test_minerals_are_items(catalog: CatalogFile) -> None:
    names = {item.type_id: item.name for item in catalog.items}
    assert names[TRITANIUM] == "Tritanium"
    assert names[MEGACYTE] == "Megacyte"
    assert names[MORPHITE] == "Morphite"
    assert {PYERITE, MEXALLON, ISOGEN, NOCXIUM, ZYDRINE} <= names.keys()


def test_rifter_blueprint(catalog: CatalogFile) -> None:
    rifter = recipe(catalog, RIFTER_BLUEPRINT)
    assert rifter.max_runs == 30
    manufacturing = rifter.activity(ActivityKind.MANUFACTURING)
    assert manufacturing is not None
    assert manufacturing.time == 6000
    assert materials(rifter, ActivityKind.MANUFACTURING) == {
        TRITANIUM: 32_000,
        PYERITE: 6_000,
        MEXALLON: 2_500,
        ISOGEN: 500,
    }
    assert [(p.type_id, p.quantity) for p in manufacturing.products] == [(RIFTER, 1)]


def test_drake_blueprint(catalog: CatalogFile) -> None:
    drake = recipe(catalog, DRAKE_BLUEPRINT)
    assert drake.max_runs == 10
    manufacturing = drake.activity(ActivityKind.MANUFACTURING)
    assert manufacturing is not None
    assert manufacturing.time == 15000
    assert materials(drake, ActivityKind.MANUFACTURING) == {
        TRITANIUM: 2_800_000,
        PYERITE: 1_000_000,
        MEXALLON: 180_000,
        ISOGEN: 20_000,
        NOCXIUM: 8_000,
        ZYDRINE: 2_000,
        MEGACYTE: 400,
    }
    assert [(p.type_id, p.quantity) for p in manufacturing.products] == [(DRAKE, 1)]


def test_wolf_blueprint_is_invented_from_the_rifter_blueprint(catalog: CatalogFile) -> None:
    invention = recipe(catalog, RIFTER_BLUEPRINT).activity(ActivityKind.INVENTION)
    assert invention is not None
    wolf = next(p for p in invention.products if p.type_id == WOLF_BLUEPRINT)
    assert wolf.probability == pytest.approx(0.30)
    assert wolf.quantity == 1
    assert recipe(catalog, WOLF_BLUEPRINT).max_runs == 1
    wolf_manufacturing = recipe(catalog, WOLF_BLUEPRINT).activity(ActivityKind.MANUFACTURING)
    assert wolf_manufacturing is not None
    assert [(p.type_id, p.quantity) for p in wolf_manufacturing.products] == [(WOLF, 1)]
    assert materials(recipe(catalog, WOLF_BLUEPRINT), ActivityKind.MANUFACTURING)[RIFTER] == 1


def test_every_referenced_type_is_an_item(catalog: CatalogFile) -> None:
    item_ids = [item.type_id for item in catalog.items]
    assert len(item_ids) == len(set(item_ids)), "duplicate items"
    known = set(item_ids)
    referenced: set[int] = set()
    for r in catalog.recipes:
        referenced.add(r.recipe_id)
        for activity in r.activities:
            referenced.update(m.type_id for m in activity.materials)
            referenced.update(p.type_id for p in activity.products)
            referenced.update(s.type_id for s in activity.skills)
    assert referenced - known == set()


def test_every_recipe_has_an_activity(catalog: CatalogFile) -> None:
    for r in catalog.recipes:
        assert r.activities, r.recipe_id


def test_skills_are_skill_items(catalog: CatalogFile) -> None:
    by_id = {item.type_id: item for item in catalog.items}
    skill_ids = {s.type_id for r in catalog.recipes for a in r.activities for s in a.skills}
    assert skill_ids
    for skill_id in skill_ids:
        assert by_id[skill_id].category_name == "Skill", skill_id


def test_reaction_chain_makes_fernite_carbide(catalog: CatalogFile) -> None:
    fernite_carbide = recipe(catalog, 46206).activity(ActivityKind.REACTION)
    assert fernite_carbide is not None
    assert [(p.type_id, p.quantity) for p in fernite_carbide.products] == [(16673, 10_000)]
    built = {p.type_id for r in catalog.recipes for a in r.activities if a.kind.builds for p in a.products}
    # both intermediates the composite reacts from are built by formulas in the file
    assert {16656, 16660} <= built
