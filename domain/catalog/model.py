"""Items and recipes: what a game's static data says can be built, from what, how fast.

The same Structs are the events' payloads and our own JSON catalog format (camelCase), so an
importer for any source (the EVE SDE's YAML or JSON lines, the CSV dumps, our JSON for other
games) only has to produce a ``CatalogData``.
"""

from __future__ import annotations

import enum

import msgspec


class ActivityKind(enum.Enum):
    """Activities with the EVE static data's activity ids."""

    MANUFACTURING = "manufacturing"  # 1
    RESEARCH_TIME = "research_time"  # 3
    RESEARCH_MATERIAL = "research_material"  # 4
    COPYING = "copying"  # 5
    INVENTION = "invention"  # 8
    REACTION = "reaction"  # 11

    @property
    def activity_id(self) -> int:
        return _ACTIVITY_IDS[self]

    @classmethod
    def from_id(cls, activity_id: int) -> ActivityKind | None:
        return _BY_ID.get(activity_id)

    @property
    def builds(self) -> bool:
        """Manufacturing and reactions turn materials into products for a chain."""
        return self in (ActivityKind.MANUFACTURING, ActivityKind.REACTION)


_ACTIVITY_IDS = {
    ActivityKind.MANUFACTURING: 1,
    ActivityKind.RESEARCH_TIME: 3,
    ActivityKind.RESEARCH_MATERIAL: 4,
    ActivityKind.COPYING: 5,
    ActivityKind.INVENTION: 8,
    ActivityKind.REACTION: 11,
}
_BY_ID = {activity_id: kind for kind, activity_id in _ACTIVITY_IDS.items()}


class Struct(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True, omit_defaults=True):
    pass


class Item(Struct):
    type_id: int
    name: str
    group_id: int | None = None
    group_name: str | None = None
    category_id: int | None = None
    category_name: str | None = None
    volume: float | None = None  # m3; None where unknown
    portion_size: int = 1
    market_group_id: int | None = None
    published: bool = True


class Material(Struct):
    type_id: int
    quantity: int


class Product(Struct):
    type_id: int
    quantity: int
    probability: float | None = None  # invention's base chance


class Skill(Struct):
    type_id: int
    level: int


class Activity(Struct):
    kind: ActivityKind
    time: int  # base seconds per run
    materials: tuple[Material, ...] = ()
    products: tuple[Product, ...] = ()
    skills: tuple[Skill, ...] = ()


class Recipe(Struct):
    """A blueprint or reaction formula (itself a type) with its activities."""

    recipe_id: int
    name: str | None = None
    max_runs: int | None = None  # maxProductionLimit
    primary: bool = False  # the game's usual recipe where several make one product
    activities: tuple[Activity, ...] = ()

    def activity(self, kind: ActivityKind) -> Activity | None:
        return next((activity for activity in self.activities if activity.kind is kind), None)


class CatalogData(Struct):
    """A whole catalog as read from a source, before it is recorded."""

    game: str = "eve"
    items: tuple[Item, ...] = ()
    recipes: tuple[Recipe, ...] = ()


class CatalogFile(Struct):
    """Our own JSON catalog format (see catalog.schema.json)."""

    format: str = "manufactory-catalog"
    version: int = 1
    game: str = "eve"
    items: tuple[Item, ...] = ()
    recipes: tuple[Recipe, ...] = ()


def catalog_json_schema() -> dict[str, object]:
    """The JSON Schema of our catalog format, as committed in catalog.schema.json."""
    schema = msgspec.json.schema(CatalogFile)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Manufactory catalog",
        "description": "Items and recipes of a game, imported with POST /v1/catalog/imports "
        "or `manufactory catalog import FILE.json`.",
        **schema,
    }
