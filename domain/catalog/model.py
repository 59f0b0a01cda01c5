"""Items and recipes: what a game's static data says can be built, from what, how fast.

The same Structs are the events' payloads and our own JSON catalog format (camelCase), so an
importer for any source (the EVE SDE's YAML or JSON lines, the CSV dumps, our JSON for other
games) only has to produce a ``CatalogData``.
"""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec

from domain.catalog.universe import Region, SolarSystem, Station
from domain.limits import (
    MAX_BATCH,
    MAX_SMALL_LIST,
    Amount,
    Count,
    Fraction,
    GameId,
    Label,
    Multiplier,
    Name,
    OptionalText,
    PositiveCount,
    Quantity,
)


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


# camelCase as stored: the catalog's events keep its items and recipes (our JSON catalog files name them so too).
class Struct(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True, omit_defaults=True):
    pass


class Decryptor(Struct, frozen=True):
    """What a decryptor does to an invention job it is added to: the chance is multiplied by
    ``probability_multiplier``, and the invented copy gets the modifiers added to its ME, TE and
    runs. The SDE keeps them as the decryptor type's dogma attributes 1112
    (inventionPropabilityMultiplier, sic), 1113 (inventionMEModifier), 1114 (inventionTEModifier)
    and 1124 (inventionMaxRunModifier); see ``application/catalog_sources/assemble.py``."""

    probability_multiplier: Multiplier
    me_modifier: Count = 0
    te_modifier: Count = 0
    runs_modifier: Count = 0


class Item(Struct, frozen=True):
    type_id: GameId
    name: Name
    group_id: GameId | None = None
    group_name: OptionalText | None = None
    category_id: GameId | None = None
    category_name: OptionalText | None = None
    volume: Amount | None = None  # m3; None where unknown
    portion_size: PositiveCount = 1
    market_group_id: GameId | None = None
    published: bool = True
    decryptor: Decryptor | None = None  # set on the decryptors invention can use


class Material(Struct, frozen=True):
    type_id: GameId
    quantity: Quantity


class Product(Struct, frozen=True):
    type_id: GameId
    quantity: Quantity
    probability: Fraction | None = None  # invention's base chance


class Skill(Struct, frozen=True):
    type_id: GameId
    level: Count


class Activity(Struct, frozen=True):
    kind: ActivityKind
    time: Count  # base seconds per run
    materials: Annotated[tuple[Material, ...], msgspec.Meta(max_length=MAX_SMALL_LIST)] = ()
    products: Annotated[tuple[Product, ...], msgspec.Meta(max_length=MAX_SMALL_LIST)] = ()
    skills: Annotated[tuple[Skill, ...], msgspec.Meta(max_length=MAX_SMALL_LIST)] = ()


class Recipe(Struct, frozen=True):
    """A blueprint or reaction formula (itself a type) with its activities."""

    recipe_id: GameId
    name: OptionalText | None = None
    max_runs: Count | None = None  # maxProductionLimit
    primary: bool = False  # the game's usual recipe where several make one product
    activities: Annotated[tuple[Activity, ...], msgspec.Meta(max_length=len(ActivityKind))] = ()

    def activity(self, kind: ActivityKind) -> Activity | None:
        return next((activity for activity in self.activities if activity.kind is kind), None)


class CatalogData(Struct, frozen=True):
    """A whole catalog as read from a source, before it is recorded."""

    game: Label = "eve"
    # As many items and recipes as the import's work limits allow (``WorkLimits.catalog_items``
    # and ``catalog_recipes``, settings): the one limit on them, checked as the import starts.
    items: tuple[Item, ...] = ()
    recipes: tuple[Recipe, ...] = ()
    # The map (see universe.py); empty where the source has none, as older catalogs.
    regions: Annotated[tuple[Region, ...], msgspec.Meta(max_length=MAX_BATCH)] = ()
    systems: Annotated[tuple[SolarSystem, ...], msgspec.Meta(max_length=MAX_BATCH)] = ()
    stations: Annotated[tuple[Station, ...], msgspec.Meta(max_length=MAX_BATCH)] = ()


class RecipeChoice(Struct, frozen=True):
    """The recipe a user's chains build ``type_id`` with, where several can."""

    type_id: GameId
    recipe_id: GameId


class OverlayContent(Struct, frozen=True):
    """What a user's overlay adds to the catalog they read: their own items and recipes (one of
    a catalog's id replaces it for them), the recipes they chose, and the items they buy."""

    items: tuple[Item, ...] = ()
    recipes: tuple[Recipe, ...] = ()
    choices: tuple[RecipeChoice, ...] = ()
    bought: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.items or self.recipes or self.choices or self.bought)


class CatalogFile(Struct, frozen=True):
    """Our own JSON catalog format (see catalog.schema.json)."""

    format: Label = "manufactory-catalog"
    version: Count = 1
    game: Label = "eve"
    # As many items and recipes as the import's work limits allow (``WorkLimits.catalog_items``
    # and ``catalog_recipes``, settings): the one limit on them, checked as the import starts.
    items: tuple[Item, ...] = ()
    recipes: tuple[Recipe, ...] = ()
    # The map (see universe.py); empty where the source has none, as older catalogs.
    regions: Annotated[tuple[Region, ...], msgspec.Meta(max_length=MAX_BATCH)] = ()
    systems: Annotated[tuple[SolarSystem, ...], msgspec.Meta(max_length=MAX_BATCH)] = ()
    stations: Annotated[tuple[Station, ...], msgspec.Meta(max_length=MAX_BATCH)] = ()

    def data(self) -> CatalogData:
        """The catalog it holds, as every source yields one."""
        return CatalogData(
            game=self.game,
            items=self.items,
            recipes=self.recipes,
            regions=self.regions,
            systems=self.systems,
            stations=self.stations,
        )


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
