"""A follower's overlay on the shared catalog, moving a private catalog onto the shared one,
and the shared graph seen with a user's bought items raw."""

from __future__ import annotations

from domain.catalog.catalog import (
    SHARED_CATALOG_OWNER,
    Catalog,
    CatalogItemsChanged,
    CatalogMovedToShared,
    CatalogRecipesChanged,
    CatalogVersionRecorded,
)
from domain.catalog.chains import ProductionGraph
from domain.catalog.model import CatalogData
from domain.catalog.overlay import CatalogOverlay, OverlayBoughtMarked, OverlayOpened, overlay_aggregate_id
from domain.errors import RuleViolation
from tests.unit.given import META, OWNER, event, given
from tests.unit.test_catalog_events import DATA, PYE, TRIT, imported
from tests.unit.test_chains import RECIPES, B, C, S

OVERLAY = event(OverlayOpened, owner_id=OWNER)


def shared(data: CatalogData = DATA) -> Catalog:
    catalog = Catalog.open(SHARED_CATALOG_OWNER, META)
    catalog.import_data(data, "sde", META)
    catalog.collect_events()
    return catalog


def test_opening_a_users_overlay_derives_its_id_from_the_owner() -> None:
    overlay = given().when(lambda _: CatalogOverlay.open(OWNER, META)).then(OVERLAY)
    assert overlay.id == overlay_aggregate_id(OWNER) and overlay.bought == ()


def test_overlay_marks_replace_the_previous_ones_against_the_shared_items() -> None:
    given(OVERLAY).when(lambda overlay: overlay.mark_bought([35, 34, 35], shared(), META)).then(
        event(OverlayBoughtMarked, type_ids=(34, 35))
    )
    given(OVERLAY, event(OverlayBoughtMarked, type_ids=(34, 35))).when(
        lambda overlay: overlay.mark_bought([34, 35], shared(), META)
    ).then_nothing()
    given(OVERLAY).when(lambda overlay: overlay.mark_bought([34, 99], shared(), META)).then_refused(
        RuleViolation, "not in your catalog: 99"
    )


def test_a_private_catalog_with_the_shared_ones_content_moves_onto_it_and_is_emptied() -> None:
    moved = given(*imported()).when(lambda catalog: catalog.move_to_shared(shared(), META))
    after = moved.then(event(CatalogMovedToShared))
    assert after.moved_to_shared and after.item_hashes == {} and after.content_hash == ""
    given(*imported(), event(CatalogMovedToShared, content_hash="x")).when(
        lambda catalog: catalog.move_to_shared(shared(), META)
    ).then_refused(RuleViolation, "already follows")


def test_a_private_catalog_that_differs_from_the_shared_one_is_not_moved() -> None:
    other = CatalogData(items=(TRIT, PYE), recipes=DATA.recipes)
    given(*imported()).when(lambda catalog: catalog.move_to_shared(shared(other), META)).then_refused(
        RuleViolation, "stays private"
    )


def test_an_import_after_moving_records_everything_again_and_makes_the_catalog_private() -> None:
    history = (*imported(), event(CatalogMovedToShared, content_hash="x"))
    catalog = given(*history).when(lambda catalog: catalog.import_data(DATA, "again", META))
    after = catalog.then(
        event(CatalogItemsChanged, catalog_version=2, upserted=DATA.items, removed=()),
        event(CatalogRecipesChanged, catalog_version=2, upserted=DATA.recipes, removed=()),
        event(CatalogVersionRecorded, source="again"),
    )
    assert not after.moved_to_shared and after.catalog_version == 2


def test_a_graph_without_bought_items_answers_as_one_built_with_them_bought() -> None:
    full = ProductionGraph.from_recipes(RECIPES, 3)
    for bought in ([], [C], [B], [C, B], [S]):
        view, built = full.without(bought), ProductionGraph.from_recipes(RECIPES, 3, bought)
        assert view.products() == built.products() and view.catalog_version == 3
        assert view.raw_chains() == built.raw_chains()
        if S not in bought:
            assert view.bill_of_materials(S, 7) == built.bill_of_materials(S, 7)
    assert full.without([]) is full, "no marks, no new graph"
