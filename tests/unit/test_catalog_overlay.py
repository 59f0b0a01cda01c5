"""A follower's overlay on the shared catalog, moving a private catalog onto the shared one,
and the shared graph seen through a user's overlay (bought items raw, their own recipes and
items, their chosen recipes) answering as a private import of the same data."""

from __future__ import annotations

import msgspec

from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from domain.catalog.catalog import (
    SHARED_CATALOG_OWNER,
    Catalog,
    CatalogItemsChanged,
    CatalogMovedToShared,
    CatalogRecipesChanged,
    CatalogVersionRecorded,
)
from domain.catalog.chains import CatalogSnapshot, ProductionGraph
from domain.catalog.invention import inventions
from domain.catalog.model import ActivityKind, CatalogData, Item, Material, OverlayContent, Recipe, RecipeChoice
from domain.catalog.overlay import (
    CatalogOverlay,
    OverlayBoughtMarked,
    OverlayItemsChanged,
    OverlayOpened,
    OverlayRecipesChanged,
    OverlayRecipesChosen,
    overlay_aggregate_id,
)
from domain.errors import NotFound, RuleViolation
from tests.unit import test_chains as little
from tests.unit.given import META, OWNER, event, given
from tests.unit.test_catalog_events import DATA, PYE, TRIT, imported
from tests.unit.test_chains import GRAPH, RECIPES, B, C, S

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


# ------------------------------------------------- a user's own recipes and chosen ones

SAMPLE = read_catalog(SAMPLE_CATALOG)
SAMPLE_GRAPH = ProductionGraph.from_recipes(SAMPLE.recipes, 2)


def variants(recipe: Recipe) -> list[Recipe]:
    """A user's replacements of a catalog recipe: other materials, one activity fewer, none."""
    found = [msgspec.structs.replace(recipe, activities=())]
    for index, activity in enumerate(recipe.activities):
        fewer = recipe.activities[:index] + recipe.activities[index + 1 :]
        found.append(msgspec.structs.replace(recipe, activities=fewer))
        more = msgspec.structs.replace(activity, materials=(*activity.materials, Material(type_id=34, quantity=7)))
        found.append(msgspec.structs.replace(recipe, activities=(*fewer, more)))
    return found


def merged(own: list[Recipe]) -> list[Recipe]:
    """The sample's recipes with ``own`` on top: what a private import of the same data holds."""
    mine = {recipe.recipe_id: recipe for recipe in own}
    return [*(r for r in SAMPLE.recipes if r.recipe_id not in mine), *own]


def assert_same_graph(view: ProductionGraph, built: ProductionGraph) -> None:
    assert sorted(view.products()) == sorted(built.products())
    assert {p: view.alternatives(p) for p in view.products()} == {p: built.alternatives(p) for p in built.products()}
    assert view.raw_chains() == built.raw_chains()


def test_a_users_own_recipes_give_the_graph_of_a_private_import_with_them_whatever_they_replace() -> None:
    """Every sample recipe replaced by each variant (invention, copying, reactions included):
    the view over the shared graph equals the graph built from the merged recipes."""
    for blueprint in SAMPLE.recipes:
        for variant in variants(blueprint):
            view = SAMPLE_GRAPH.overlaid([variant])
            assert_same_graph(view, ProductionGraph.from_recipes(merged([variant])))


def test_a_private_blueprint_variant_and_new_items_read_like_the_same_data_imported() -> None:
    """A new blueprint building a new item from a catalog item, and a second blueprint for
    an item the catalog builds: names, inventions and bills as in a private import."""
    catalog = CatalogSnapshot(SAMPLE_GRAPH, {i.type_id: i.name for i in SAMPLE.items}, {}, inventions(SAMPLE.recipes))
    drake = next(r for r in SAMPLE.recipes if r.name and "Drake" in r.name)
    made = drake.activities[0].products[0].type_id
    thing = Item(type_id=990001, name="My Widget")
    widget = little.recipe(990002, thing.type_id, 1, (made, 2), (34, 10))
    cheap = little.recipe(990003, made, 1, (34, 1000))
    overlay = OverlayContent(items=(thing,), recipes=(widget, cheap))
    view = catalog.with_overlay(overlay)
    built = ProductionGraph.from_recipes(merged([widget, cheap]))
    assert_same_graph(view.graph, built)
    assert view.names[thing.type_id] == "My Widget" and thing.type_id not in catalog.names
    assert view.inventions == inventions(merged([widget, cheap]))
    assert view.graph.bill_of_materials(thing.type_id, 3) == built.bill_of_materials(thing.type_id, 3)


def test_a_replaced_invention_changes_the_inventions_as_a_private_import_would() -> None:
    for blueprint in SAMPLE.recipes:
        if blueprint.activity(ActivityKind.INVENTION) is None:
            continue
        for variant in variants(blueprint):
            catalog = CatalogSnapshot(SAMPLE_GRAPH, {}, {}, inventions(SAMPLE.recipes))
            view = catalog.with_overlay(OverlayContent(recipes=(variant,)))
            assert dict(view.inventions) == inventions(merged([variant]))


def test_a_chosen_recipe_builds_its_item_in_every_answer_as_a_choice_asked_per_query() -> None:
    choices = {C: 1101}
    chosen = GRAPH.overlaid(choices=choices)
    assert chosen.step(C).recipe_id == 1101 and GRAPH.step(C).recipe_id == 1100, "the default stays"
    assert chosen.bill_of_materials(S, 4) == GRAPH.bill_of_materials(S, 4, choices=choices)
    assert chosen.tree(S) == GRAPH.tree(S, choices)
    links = chosen.raw_chains()[0]
    assert links[S][little.PYE].base_quantity == 60 and links[C][little.PYE].base_quantity == 20
    assert GRAPH.overlaid(choices={C: 1100}) is GRAPH, "choosing the default changes nothing"
    assert GRAPH.overlaid(choices={C: 4242}) is GRAPH, "a choice no recipe answers leaves the default"


def test_chosen_bought_and_own_recipes_combine_as_in_a_private_import() -> None:
    mine = little.recipe(1102, C, 1, (little.TRIT, 5))
    view = GRAPH.overlaid([mine], {C: 1102}, [B])
    built = ProductionGraph.from_recipes([*RECIPES, mine], bought=[B])
    assert view.step(C).recipe_id == 1102
    assert view.bill_of_materials(S, 2) == built.bill_of_materials(S, 2, choices={C: 1102})
    assert B not in view.products()


# ------------------------------------------- what a new catalog version changes (issue 16)


def rows_per_item(graph: ProductionGraph) -> tuple[dict[int, object], dict[int, object]]:
    """What the projection keeps per item: its ways of building with the raw-ness of each
    input (production_dependencies), and its chain (production_chains)."""
    dependencies = {
        p: [(s, [not graph.alternatives(m.type_id) for m in s.inputs]) for s in graph.alternatives(p)]
        for p in graph.products()
    }
    return dependencies, dict(graph.raw_chains()[0])


def differing(before: dict[int, object], after: dict[int, object]) -> set[int]:
    return {item for item in before.keys() | after.keys() if before.get(item) != after.get(item)}


def test_a_new_version_touches_every_item_whose_rows_it_changes_and_few_others() -> None:
    """Each sample recipe changed, removed or added anew, and items marked bought: the items
    ``touched_by`` names hold every row that differs, and far fewer than the catalog's."""
    old_deps, old_chains = rows_per_item(SAMPLE_GRAPH)
    by_id = {recipe.recipe_id: recipe for recipe in SAMPLE.recipes}
    changes = [(variant, by_id[variant.recipe_id]) for r in SAMPLE.recipes for variant in variants(r)]
    changes.append((little.recipe(990003, 34, 1, (35, 2)), Recipe(recipe_id=990003)))  # Tritanium made now
    touched_counts = []
    for variant, before in changes:
        graph = ProductionGraph.from_recipes(merged([variant]))
        deps, chains = rows_per_item(graph)
        touched_deps, touched_chains = graph.touched_by([before])
        assert differing(old_deps, deps) <= touched_deps, variant.recipe_id
        assert differing(old_chains, chains) <= touched_chains, variant.recipe_id
        touched_counts.append(len(touched_chains))
    assert sorted(touched_counts)[len(touched_counts) // 2] < len(SAMPLE_GRAPH.products()) / 2
    bought = ProductionGraph.from_recipes(SAMPLE.recipes, bought=[11399])
    deps, chains = rows_per_item(bought)
    touched_deps, touched_chains = bought.touched_by([], [11399])
    assert differing(old_deps, deps) <= touched_deps and differing(old_chains, chains) <= touched_chains


# ------------------------------------------------------------ the overlay's own commands

WIDGET = Item(type_id=990001, name="Widget")
WIDGET_RECIPE = little.recipe(990002, WIDGET.type_id, 1, (little.TRIT, 5))


def test_own_items_and_recipes_are_recorded_once_and_taken_back_only_if_held() -> None:
    given(OVERLAY).when(lambda overlay: overlay.add_own([WIDGET], [WIDGET_RECIPE], META)).then(
        event(OverlayItemsChanged, upserted=(WIDGET,)), event(OverlayRecipesChanged, upserted=(WIDGET_RECIPE,))
    )
    held = (OVERLAY, event(OverlayItemsChanged, upserted=(WIDGET,)))
    given(*held).when(lambda overlay: overlay.add_own([WIDGET], [], META)).then_nothing()
    after = given(*held).when(lambda overlay: overlay.remove_own_item(WIDGET.type_id, META))
    assert after.then(event(OverlayItemsChanged, upserted=(), removed=(WIDGET.type_id,))).items == {}
    given(*held).when(lambda overlay: overlay.remove_own_recipe(1, META)).then_refused(NotFound, "not one of your own")


def test_a_choice_must_name_a_recipe_that_builds_its_item_and_replaces_the_previous_ones() -> None:
    chosen = RecipeChoice(type_id=C, recipe_id=1101)
    given(OVERLAY).when(lambda overlay: overlay.choose([chosen], GRAPH, META)).then(
        event(OverlayRecipesChosen, choices=(chosen,))
    )
    given(OVERLAY, event(OverlayRecipesChosen, choices=(chosen,))).when(
        lambda overlay: overlay.choose([chosen], GRAPH, META)
    ).then_nothing()
    wrong = RecipeChoice(type_id=C, recipe_id=1200)
    given(OVERLAY).when(lambda overlay: overlay.choose([wrong], GRAPH, META)).then_refused(
        RuleViolation, "recipe 1200 does not build item 100"
    )
