"""Commands on a user's overlay of their catalog beyond bought marks (``CatalogService.mark_bought``):
their own items and recipes, and the recipe chosen where several build an item.

A user must have a catalog (their private one, or the shared one to follow); the overlay is
theirs alone, so nothing here is ever seen by another user.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.catalog import CatalogService
from application.catalog_graphs import CatalogGraphs
from application.command_runner import CommandResult
from domain.catalog.chains import ProductionGraph
from domain.catalog.model import Item, Recipe, RecipeChoice
from domain.catalog.overlay import CatalogOverlay
from domain.events import CommandMeta


class OverlayService:
    def __init__(self, catalogs: CatalogService, graphs: CatalogGraphs) -> None:
        self._catalogs = catalogs
        self._graphs = graphs

    def add_own(
        self, items: Sequence[Item], recipes: Sequence[Recipe], meta: CommandMeta, expected: int | None = None
    ) -> CommandResult[CatalogOverlay]:
        """Items and recipes of the user's own (replacing theirs, or for them the catalog's, of
        the same ids)."""
        self._catalogs.followed(meta.user_id, "items")  # a catalog to add to
        return self._catalogs.update_overlay(meta, lambda o: o.add_own(items, recipes, meta), expected)

    def remove_own_item(
        self, type_id: int, meta: CommandMeta, expected: int | None = None
    ) -> CommandResult[CatalogOverlay]:
        """The user's own item taken back (the catalog's of that id, if any, is theirs again)."""
        return self._catalogs.update_overlay(meta, lambda o: o.remove_own_item(type_id, meta), expected)

    def remove_own_recipe(
        self, recipe_id: int, meta: CommandMeta, expected: int | None = None
    ) -> CommandResult[CatalogOverlay]:
        """The user's own recipe taken back (the catalog's of that id, if any, is theirs again)."""
        return self._catalogs.update_overlay(meta, lambda o: o.remove_own_recipe(recipe_id, meta), expected)

    def choose(
        self, choices: Sequence[RecipeChoice], meta: CommandMeta, expected: int | None = None
    ) -> CommandResult[CatalogOverlay]:
        """The recipes the user's chains build items with (replacing the previous choices),
        each one that builds its item in the user's catalog with their own recipes."""
        graph = self.own_graph(meta.user_id)
        return self._catalogs.update_overlay(meta, lambda o: o.choose(choices, graph, meta), expected)

    def own_graph(self, user_id: UUID) -> ProductionGraph:
        snapshot = self._graphs.snapshot(user_id, "choices", bought=False)
        return snapshot.graph
