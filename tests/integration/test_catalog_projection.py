"""Importing catalogs: versions, idempotent re-imports, and chains that follow recipe changes."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import select

from application.system import Manufactory
from domain.catalog.model import Activity, ActivityKind, CatalogData, Item, Material, Product, Recipe
from domain.events import CommandMeta
from projections.catalog import CATALOG_ITEMS, CATALOG_VERSIONS, CHAINS, DEPENDENCIES

TRIT, PYE, C, D, S, T = 34, 35, 100, 150, 300, 400


def recipe(recipe_id: int, product: int, *materials: tuple[int, int]) -> Recipe:
    activity = Activity(
        kind=ActivityKind.MANUFACTURING,
        time=600,
        materials=tuple(Material(type_id=t, quantity=q) for t, q in materials),
        products=(Product(type_id=product, quantity=1),),
    )
    return Recipe(recipe_id=recipe_id, activities=(activity,))


def catalog(*recipes: Recipe) -> CatalogData:
    items = tuple(Item(type_id=t, name=f"item {t}") for t in (TRIT, PYE, C, D, S, T))
    return CatalogData(game="eve", items=items, recipes=recipes)


# S uses C; T uses D; C and D are built from minerals.
BASE = catalog(
    recipe(1100, C, (TRIT, 10)),
    recipe(1150, D, (PYE, 4)),
    recipe(1300, S, (C, 2), (TRIT, 100)),
    recipe(1400, T, (D, 3)),
)


def rows(system: Manufactory, table: Any, owner: uuid.UUID) -> list[tuple[Any, ...]]:
    with system.query_engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(table).where(table.c.owner_id == owner))]


def imported(system: Manufactory, owner: uuid.UUID, data: CatalogData) -> Any:
    result = system.catalogs.import_catalog(data, "test", CommandMeta(user_id=owner, correlation_id="t"))
    system.projections.catch_up()
    return result


def test_an_import_records_a_version_with_counts_and_the_chains(system: Manufactory) -> None:
    owner = uuid.uuid4()
    result = imported(system, owner, BASE)
    assert result.changed and result.summary.catalog_version == 1
    assert (result.summary.items_added, result.summary.recipes_added) == (6, 4)
    assert len(rows(system, CATALOG_ITEMS.view, owner)) == 6
    chains = {(r[1], r[2]): (r[3], r[4], r[5]) for r in rows(system, CHAINS.view, owner)}
    assert chains[(S, TRIT)] == (120.0, 2, "300->100->34")
    assert chains[(T, PYE)] == (12.0, 2, "400->150->35")
    deps = {(r[1], r[3]): r[7] for r in rows(system, DEPENDENCIES.view, owner)}
    assert deps == {(C, TRIT): True, (D, PYE): True, (S, C): False, (S, TRIT): True, (T, D): False}


def test_importing_the_same_data_again_changes_nothing(system: Manufactory) -> None:
    owner = uuid.uuid4()
    first = imported(system, owner, BASE)
    head = system.store.head()
    again = imported(system, owner, BASE)
    assert (again.changed, again.summary) == (False, None)
    assert system.store.head() == head, "no event was recorded"
    assert len(rows(system, CATALOG_VERSIONS.view, owner)) == 1
    assert first.summary is not None


def test_a_changed_recipe_changes_exactly_the_chains_that_use_it(system: Manufactory) -> None:
    owner = uuid.uuid4()
    imported(system, owner, BASE)
    before = {(r[1], r[2]): r for r in rows(system, CHAINS.view, owner)}
    changed = msgspec.structs.replace(BASE, recipes=(recipe(1100, C, (TRIT, 15)), *BASE.recipes[1:]))
    result = imported(system, owner, changed)
    assert (result.summary.recipes_changed, result.summary.catalog_version) == (1, 2)
    after = {(r[1], r[2]): r for r in rows(system, CHAINS.view, owner)}
    touched = {key for key in after if after[key] != before.get(key)}
    assert touched == {(C, TRIT), (S, TRIT)}, "only chains through C's recipe change"
    assert after[(S, TRIT)][3] == 130.0 and after[(S, TRIT)][6] == 2
    assert after[(T, PYE)][6] == 1, "untouched chains keep the version they last changed in"


def test_catalogs_are_per_user(system: Manufactory) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    imported(system, alice, BASE)
    assert rows(system, CATALOG_ITEMS.view, bob) == []
    assert imported(system, bob, BASE).summary.catalog_version == 1


def test_a_multi_megabyte_import_is_recorded_on_every_backend(system: Manufactory) -> None:
    """A large save once stalled inside psycopg's pipeline on PostgreSQL (see postgres_recorder)."""
    owner = uuid.uuid4()
    items = tuple(Item(type_id=n, name=f"Item {n} " + "x" * 200) for n in range(1, 12_001))
    result = imported(system, owner, CatalogData(game="big", items=items, recipes=BASE.recipes))
    assert result.summary.items_added == 12_000
    assert len(rows(system, CATALOG_ITEMS.view, owner)) == 12_000
