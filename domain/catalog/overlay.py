"""A user's overlay on the catalog they read: what is personal about a catalog everyone shares.

The shared catalog (``domain.catalog.catalog``) is read-only to its followers; what a private
catalog keeps for its user, a follower keeps here: the items bought rather than built. Every
user's overlay (a follower's or a private catalog's owner's) also holds their own items and
recipes (one of a catalog's id replaces it for them: a private blueprint variant) and the recipe
they chose for items several recipes build. Chains, bills of materials and economics read the
catalog's graph with the overlay on top (``CatalogSnapshot.with_overlay``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from domain.aggregate import Aggregate
from domain.catalog.catalog import Catalog, known_marks
from domain.catalog.chains import ProductionGraph
from domain.catalog.model import Item, OverlayContent, Recipe, RecipeChoice
from domain.errors import NotFound, RuleViolation
from domain.events import CommandMeta, Event
from domain.limits import MAX_SMALL_LIST
from domain.work_limits import ensure_within

_OVERLAY_NAMESPACE = UUID("9d7b1e52-3f0a-4c61-b8e2-0a5c4f6d2e91")
MAX_OWN = MAX_SMALL_LIST  # a user's own items, and their own recipes: an overlay, not a catalog


def overlay_aggregate_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_OVERLAY_NAMESPACE, str(owner_id))


class CatalogOverlay(Aggregate):
    bought: tuple[int, ...]
    items: dict[int, Item]
    recipes: dict[int, Recipe]
    choices: tuple[RecipeChoice, ...]

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> CatalogOverlay:
        return cls._create(OverlayOpened, overlay_aggregate_id(owner_id), meta=meta, owner_id=owner_id)

    def mark_bought(self, type_ids: Iterable[int], shared: Catalog, meta: CommandMeta) -> bool:
        """As ``Catalog.mark_bought``, against the items of the shared catalog and the user's
        own: replaces the previous marks; False (nothing recorded) when they are the same."""
        marked = known_marks(type_ids, {**shared.item_hashes, **dict.fromkeys(self.items, "")})
        if marked == self.bought:
            return False
        self._record(OverlayBoughtMarked, meta=meta, type_ids=marked)
        return True

    def add_own(self, items: Iterable[Item], recipes: Iterable[Recipe], meta: CommandMeta) -> bool:
        """The user's own items and recipes, added or replacing theirs of the same ids (and, for
        them, the catalog's); False (nothing recorded) when they hold them already."""
        new_items = _changed(self.items, {item.type_id: item for item in items})
        new_recipes = _changed(self.recipes, {recipe.recipe_id: recipe for recipe in recipes})
        ensure_within("items of your own", len(self.items.keys() | new_items.keys()), MAX_OWN, "items")
        ensure_within("recipes of your own", len(self.recipes.keys() | new_recipes.keys()), MAX_OWN, "recipes")
        if new_items:
            self._record(OverlayItemsChanged, meta=meta, upserted=tuple(new_items.values()))
        if new_recipes:
            self._record(OverlayRecipesChanged, meta=meta, upserted=tuple(new_recipes.values()))
        return bool(new_items or new_recipes)

    def remove_own_item(self, type_id: int, meta: CommandMeta) -> None:
        if type_id not in self.items:
            raise NotFound(f"item {type_id} is not one of your own", "type_id")
        self._record(OverlayItemsChanged, meta=meta, upserted=(), removed=(type_id,))

    def remove_own_recipe(self, recipe_id: int, meta: CommandMeta) -> None:
        if recipe_id not in self.recipes:
            raise NotFound(f"recipe {recipe_id} is not one of your own", "recipe_id")
        self._record(OverlayRecipesChanged, meta=meta, upserted=(), removed=(recipe_id,))

    def choose(self, choices: Iterable[RecipeChoice], graph: ProductionGraph, meta: CommandMeta) -> bool:
        """The recipes the user's chains build items with, replacing the previous choices; each
        must be a recipe that builds its item in ``graph`` (the user's, with their own recipes).
        False (nothing recorded) when they are the same."""
        chosen = {choice.type_id: choice for choice in choices}
        for choice in chosen.values():
            if choice.recipe_id not in {step.recipe_id for step in graph.alternatives(choice.type_id)}:
                raise RuleViolation(f"recipe {choice.recipe_id} does not build item {choice.type_id}", "choices")
        kept = tuple(chosen[type_id] for type_id in sorted(chosen))
        if kept == self.choices:
            return False
        self._record(OverlayRecipesChosen, meta=meta, choices=kept)
        return True

    def content(self, bought: tuple[int, ...] | None = None) -> OverlayContent:
        """What the overlay adds to the catalog read, with ``bought`` marks (a private catalog
        keeps its own) or else its own."""
        return OverlayContent(
            items=tuple(self.items.values()),
            recipes=tuple(self.recipes.values()),
            choices=self.choices,
            bought=self.bought if bought is None else bought,
        )

    def state(self) -> dict[str, Any]:
        return {
            "bought": list(self.bought),
            "items": sorted(self.items),
            "recipes": sorted(self.recipes),
            "choices": {choice.type_id: choice.recipe_id for choice in self.choices},
        }


def _changed(held: Mapping[int, Any], incoming: Mapping[int, Any]) -> dict[int, Any]:
    return {key: value for key, value in incoming.items() if key not in held or held[key] != value}


class OverlayOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> CatalogOverlay:
        overlay = CatalogOverlay(self.originator_id, self.owner_id, self.timestamp)
        overlay.bought = ()
        overlay.items, overlay.recipes, overlay.choices = {}, {}, ()
        return overlay


class OverlayBoughtMarked(Event, frozen=True):
    type_ids: tuple[int, ...]

    def apply(self, aggregate: CatalogOverlay) -> CatalogOverlay:
        aggregate.bought = self.type_ids
        return aggregate


class OverlayItemsChanged(Event, frozen=True):
    """The user's own items added or replaced (``upserted``) or taken back (``removed``)."""

    upserted: tuple[Item, ...]
    removed: tuple[int, ...] = ()

    def apply(self, aggregate: CatalogOverlay) -> CatalogOverlay:
        aggregate.items = _applied(aggregate.items, {item.type_id: item for item in self.upserted}, self.removed)
        return aggregate


class OverlayRecipesChanged(Event, frozen=True):
    """The user's own recipes added or replaced (``upserted``) or taken back (``removed``)."""

    upserted: tuple[Recipe, ...]
    removed: tuple[int, ...] = ()

    def apply(self, aggregate: CatalogOverlay) -> CatalogOverlay:
        upserted = {recipe.recipe_id: recipe for recipe in self.upserted}
        aggregate.recipes = _applied(aggregate.recipes, upserted, self.removed)
        return aggregate


class OverlayRecipesChosen(Event, frozen=True):
    """The recipe each item is built with in the user's chains (all of them: replaces)."""

    choices: tuple[RecipeChoice, ...]

    def apply(self, aggregate: CatalogOverlay) -> CatalogOverlay:
        aggregate.choices = self.choices
        return aggregate


def _applied(held: dict[int, Any], upserted: Mapping[int, Any], removed: Iterable[int]) -> dict[int, Any]:
    gone = set(removed)
    return {**{key: value for key, value in held.items() if key not in gone}, **upserted}
