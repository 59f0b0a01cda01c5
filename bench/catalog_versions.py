"""What a new catalog version costs the catalog projection (``python -m bench.run --only versions``).

One user imports the SDE-sized synthetic catalog (``bench/synthetic_catalog.py``), then a
version changing one recipe: in the bottom layer (many chains go through it), the middle
layer, and the top layer (only its own chain). Per change, the projection's recompute of
the version (``_recompute_chains``) is timed as it runs now, only over the items the change
touched (``ProductionGraph.touched_by``), against the full recompute it replaced (every
chain and dependency worked out and compared with the stored rows), both on the same rows,
in a transaction rolled back, medians of several rounds. Also the end-to-end time of each
version's import and projection.
"""

from __future__ import annotations

import statistics
import time
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import MetaData, Table, select

from application.settings import Settings
from application.system import Manufactory
from bench.synthetic_catalog import synthetic_catalog
from domain.catalog.chains import ProductionGraph
from domain.catalog.model import CatalogData, Recipe
from domain.events import CommandMeta
from projections.catalog import CatalogProjection, _recompute_chains
from projections.database import write_transaction
from projections.tracking import registry

ROUNDS = 3


def say(message: str) -> None:
    print(message, flush=True)


def changed(recipe: Recipe) -> Recipe:
    """The recipe with one more unit of its first material."""
    activity = recipe.activities[0]
    first, *rest = activity.materials
    materials = (msgspec.structs.replace(first, quantity=first.quantity + 1), *rest)
    return msgspec.structs.replace(recipe, activities=(msgspec.structs.replace(activity, materials=materials),))


def catalog_versions(url: str) -> dict[str, Any]:
    data = synthetic_catalog()
    system = Manufactory.open(Settings(database_url=url))
    try:
        owner = system.users.create_user("versions").user_id
        meta = CommandMeta(user_id=owner, correlation_id="bench")
        started = time.perf_counter()
        system.catalogs.import_catalog(data, "synthetic", meta)
        system.projections.catch_up("catalog")
        say(f"  first import and its chains: {time.perf_counter() - started:.1f}s")
        with system.read_engine.connect() as connection:
            generation = connection.execute(
                select(registry.c.active_generation).where(registry.c.name == CatalogProjection.name)
            ).scalar_one()
        metadata = MetaData()
        tables = {table.name: table.physical(generation, metadata) for table in CatalogProjection.tables}
        every = ProductionGraph.from_recipes(data.recipes).products()
        results: dict[str, Any] = {}
        recipes = list(data.recipes)
        for label, index in (("bottom", 0), ("middle", len(recipes) // 2), ("top", len(recipes) - 1)):
            before = recipes[index]
            recipes[index] = changed(before)
            started = time.perf_counter()
            system.catalogs.import_catalog(
                CatalogData(game=data.game, items=data.items, recipes=tuple(recipes)), "v", meta
            )
            system.projections.catch_up("catalog")
            version_seconds = time.perf_counter() - started
            graph = ProductionGraph.from_recipes(recipes)
            touched = len(graph.touched_by([before])[1])
            incremental = statistics.median(timed(system, tables, owner, [before], []) for _ in range(ROUNDS))
            full = statistics.median(timed(system, tables, owner, [], every) for _ in range(ROUNDS))
            say(
                f"  a {label} recipe changed ({touched} chains touched): version {version_seconds:.2f}s; "
                f"recompute full {full:.2f}s, incremental {incremental:.3f}s, ratio {full / incremental:.1f}"
            )
            results[label] = {
                "chains_touched": touched,
                "version_seconds": version_seconds,
                "full_seconds": full,
                "incremental_seconds": incremental,
                "ratio": full / incremental,
            }
    finally:
        system.close()
    return {**results, "ratio": results["middle"]["ratio"], "goal": 1}


def timed(
    system: Manufactory, tables: dict[str, Table], owner: UUID, earlier: list[Recipe], bought: list[int]
) -> float:
    """Seconds of one recompute of the owner's rows (in a transaction rolled back)."""
    with write_transaction(system.read_engine) as connection:
        began = time.perf_counter()
        _recompute_chains(connection, tables, owner, 99, earlier, bought)
        took = time.perf_counter() - began
        connection.rollback()
    return took
