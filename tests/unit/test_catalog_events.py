"""The ``Catalog`` aggregate: imports recorded as what changed, and the items bought, not built."""

from __future__ import annotations

from domain.catalog.catalog import (
    BoughtItemsMarked,
    Catalog,
    CatalogItemsChanged,
    CatalogOpened,
    CatalogRecipesChanged,
    CatalogVersionRecorded,
    catalog_aggregate_id,
    entity_hash,
)
from domain.catalog.model import CatalogData, Item
from domain.errors import RuleViolation
from domain.work_limits import WorkLimitExceeded, WorkLimits
from tests.unit.given import META, OWNER, ExpectedEvent, event, given, history_of
from tests.unit.test_chains import recipe

TRIT = Item(type_id=34, name="Tritanium", volume=0.01)
PYE = Item(type_id=35, name="Pyerite", volume=0.01)
RIFTER = Item(type_id=587, name="Rifter", volume=27289.0)
BLUEPRINT = recipe(691, 587, 1, (34, 32000), (35, 6000))
DATA = CatalogData(items=(TRIT, PYE, RIFTER), recipes=(BLUEPRINT,))
OPENED = event(CatalogOpened, owner_id=OWNER)
ITEMS = event(CatalogItemsChanged, catalog_version=1, upserted=(TRIT, PYE, RIFTER), removed=())
RECIPES = event(CatalogRecipesChanged, catalog_version=1, upserted=(BLUEPRINT,), removed=())


def imported() -> tuple[ExpectedEvent, ...]:
    """The history of a catalog with DATA imported once (its summary carries a content hash)."""
    catalog = Catalog.open(OWNER, META)
    catalog.import_data(DATA, "spec", META)
    return history_of(catalog)


def test_opening_a_users_catalog_derives_its_id_from_the_owner() -> None:
    catalog = given().when(lambda _: Catalog.open(OWNER, META)).then(OPENED)
    assert catalog.id == catalog_aggregate_id(OWNER) and catalog.catalog_version == 0


def test_a_first_import_records_every_item_and_recipe_then_the_version_with_its_counts() -> None:
    catalog = given(OPENED).when(lambda catalog: catalog.import_data(DATA, "spec", META))
    after = catalog.then(ITEMS, RECIPES, event(CatalogVersionRecorded, game="eve", source="spec"))
    assert after.catalog_version == 1
    assert after.item_hashes == {item.type_id: entity_hash(item) for item in DATA.items}


def test_reimporting_the_same_data_records_nothing() -> None:
    given(*imported()).when(lambda catalog: catalog.import_data(DATA, "again", META)).then_nothing()


def test_a_changed_import_records_only_what_was_added_changed_or_removed() -> None:
    renamed = Item(type_id=35, name="Pyerite II", volume=0.01)
    mexallon = Item(type_id=36, name="Mexallon", volume=0.01)
    changed = CatalogData(items=(TRIT, renamed, mexallon), recipes=(BLUEPRINT,))
    given(*imported()).when(lambda catalog: catalog.import_data(changed, "spec", META)).then(
        event(CatalogItemsChanged, catalog_version=2, upserted=(renamed, mexallon), removed=()),
        event(CatalogItemsChanged, catalog_version=2, upserted=(), removed=(587,)),
        event(CatalogVersionRecorded, game="eve", source="spec"),
    )


def test_an_import_beyond_the_limits_is_refused() -> None:
    limits = WorkLimits(catalog_items=2)
    given(OPENED).when(lambda catalog: catalog.import_data(DATA, "spec", META, limits)).then_refused(
        WorkLimitExceeded, "items in one catalog import"
    )


def test_bought_items_replace_the_previous_marks_and_the_same_marks_record_nothing() -> None:
    history = imported()
    given(*history).when(lambda catalog: catalog.mark_bought([35, 34, 35], META)).then(
        event(BoughtItemsMarked, type_ids=(34, 35))
    )
    given(*history, event(BoughtItemsMarked, type_ids=(34, 35))).when(
        lambda catalog: catalog.mark_bought([34, 35], META)
    ).then_nothing()


def test_only_items_of_the_catalog_can_be_marked_bought() -> None:
    given(*imported()).when(lambda catalog: catalog.mark_bought([34, 99], META)).then_refused(
        RuleViolation, "not in your catalog: 99"
    )
