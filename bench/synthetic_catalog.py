"""An SDE-sized synthetic catalog: 50,000 types, 10,000 manufacturable items in layers up to
6 deep over 200 raw materials, recipes of 3-8 inputs, batch products in the lower layers.
Deterministic for a seed, so every run measures the same graph."""

from __future__ import annotations

import random

from domain.catalog.model import Activity, ActivityKind, CatalogData, Item, Material, Product, Recipe

RAW = 200
LAYERS = 6


def synthetic_catalog(types: int = 50_000, manufacturable: int = 10_000, seed: int = 7) -> CatalogData:
    rng = random.Random(seed)
    raw = list(range(1, RAW + 1))
    per_layer = manufacturable // LAYERS
    layers: list[list[int]] = []
    next_id = RAW + 1
    recipes: list[Recipe] = []
    recipe_id = 1_000_000
    for depth in range(1, LAYERS + 1):
        layer = list(range(next_id, next_id + per_layer))
        next_id += per_layer
        for product in layer:
            inputs = set(rng.sample(raw, rng.randint(1, 3)))
            if layers:
                inputs.add(rng.choice(layers[-1]))  # at least one input one layer down: depth holds
                below = [item for earlier in layers for item in earlier]
                inputs.update(rng.sample(below, rng.randint(1, 4)))
            materials = tuple(
                Material(type_id=t, quantity=rng.choice((1, 2, 5, 10, 40, 100, 1000))) for t in sorted(inputs)
            )
            units = rng.choice((1, 1, 1, 10, 100)) if depth <= 3 else 1
            kind = ActivityKind.REACTION if depth == 1 and rng.random() < 0.2 else ActivityKind.MANUFACTURING
            recipes.append(
                Recipe(
                    recipe_id=recipe_id,
                    name=f"Blueprint {product}",
                    max_runs=rng.choice((None, 10, 100, 1000)),
                    activities=(
                        Activity(
                            kind=kind,
                            time=rng.randint(60, 36000),
                            materials=materials,
                            products=(Product(type_id=product, quantity=units),),
                        ),
                    ),
                )
            )
            recipe_id += 1
        layers.append(layer)
    items = [
        Item(type_id=t, name=f"Type {t}", group_id=t % 500 + 1, volume=round(rng.random() * 100, 2))
        for t in range(1, types + 1)
    ]
    return CatalogData(game="synthetic", items=tuple(items), recipes=tuple(recipes))


def deepest_item(data: CatalogData) -> int:
    """The last item of the deepest layer (its chain reaches all six layers)."""
    return max(
        product.type_id for recipe in data.recipes for activity in recipe.activities for product in activity.products
    )
