"""Command routes of the catalog: imports (yours, or the shared one's, by an admin), and your
overlay of it: the items you buy rather than build, items and recipes of your own, and the
recipes you choose where several build an item."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.catalog import CatalogService
from application.catalog_overlays import OverlayService
from application.command_runner import CommandResult
from domain.catalog.model import CatalogFile
from domain.catalog.overlay import CatalogOverlay
from domain.events import CommandMeta
from domain.limits import INT64_MAX
from interfaces.http.bodies import accepted
from interfaces.http.catalog.queries import TypeIdPath
from interfaces.http.catalog.schemas import (
    BoughtItems,
    BoughtMarked,
    ChoicesMade,
    ImportResult,
    OwnCatalog,
    OwnChanged,
    RecipeChoices,
)
from interfaces.http.context import COMMAND_DEPENDENCIES

RecipeIdPath = Annotated[int, PathParameter(description="A recipe's id", ge=1, le=INT64_MAX)]


class CatalogCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/catalog/imports", tags=["commands"], sync_to_thread=True, status_code=200)
    def import_catalog(
        self, catalogs: NamedDependency[CatalogService], data: JSONBody[CatalogFile], meta: NamedDependency[CommandMeta]
    ) -> ImportResult:
        """Import a catalog in Manufactory's JSON format (catalog.schema.json) as your catalog's
        next version; the same data again changes nothing. Large SDE imports: use the CLI."""
        return msgspec.convert(catalogs.import_catalog(data.data(), "api", meta), ImportResult, from_attributes=True)

    @post(
        "/v1/catalog/shared/imports",
        tags=["commands"],
        sync_to_thread=True,
        status_code=200,
        opt={"admin_only": True},
    )
    def import_shared(
        self, catalogs: NamedDependency[CatalogService], data: JSONBody[CatalogFile], meta: NamedDependency[CommandMeta]
    ) -> ImportResult:
        """Import the shared catalog's next version (admins only: 403 for anyone else), which
        every user without a private catalog follows; its audit names who imported each version."""
        return msgspec.convert(catalogs.import_shared(data.data(), "api", meta), ImportResult, from_attributes=True)

    @put("/v1/catalog/bought", tags=["commands"], sync_to_thread=True)
    def mark_bought(
        self,
        catalogs: NamedDependency[CatalogService],
        data: JSONBody[BoughtItems],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> BoughtMarked:
        """The items you buy rather than build (replacing the previous list): raw materials in
        your chains from now on. Following the shared catalog, they are marked on your own
        overlay of it, seen by nobody else (``expected``: your overlay's version)."""
        result = catalogs.mark_bought(data.type_ids, meta, expected)
        return BoughtMarked(type_ids=list(result.aggregate.bought), **accepted(result))

    @post("/v1/catalog/own", tags=["commands"], sync_to_thread=True, status_code=200)
    def add_own(
        self,
        overlays: NamedDependency[OverlayService],
        data: JSONBody[OwnCatalog],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> OwnChanged:
        """Items and recipes of your own, on your overlay of your catalog (seen by nobody else):
        your chains, bills, shopping lists and economics use them. One with a catalog recipe's
        id replaces it for you (a private blueprint variant); a new recipe for an item the
        catalog builds is one more way to build it (choose it with ``PUT /v1/catalog/choices``)."""
        return _own_changed(overlays.add_own(data.items, data.recipes, meta, expected))

    @delete("/v1/catalog/own/items/{type_id:int}", tags=["commands"], sync_to_thread=True, status_code=200)
    def remove_own_item(
        self,
        overlays: NamedDependency[OverlayService],
        type_id: TypeIdPath,
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> OwnChanged:
        """Take an item of your own back (404 if it is not one)."""
        return _own_changed(overlays.remove_own_item(type_id, meta, expected))

    @delete("/v1/catalog/own/recipes/{recipe_id:int}", tags=["commands"], sync_to_thread=True, status_code=200)
    def remove_own_recipe(
        self,
        overlays: NamedDependency[OverlayService],
        recipe_id: RecipeIdPath,
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> OwnChanged:
        """Take a recipe of your own back (404 if it is not one): the catalog's recipe of that
        id, if it has one, is yours again."""
        return _own_changed(overlays.remove_own_recipe(recipe_id, meta, expected))

    @put("/v1/catalog/choices", tags=["commands"], sync_to_thread=True)
    def choose_recipes(
        self,
        overlays: NamedDependency[OverlayService],
        data: JSONBody[RecipeChoices],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> ChoicesMade:
        """The recipe your chains build each item with where several can (a reaction or a
        blueprint, one blueprint or another; replacing your previous choices): each must build
        its item in your catalog (422 naming ``choices`` otherwise). Items you did not choose
        for are built as before: the catalog's primary recipe, else its lowest id."""
        result = overlays.choose(data.choices, meta, expected)
        return ChoicesMade(choices=list(result.aggregate.choices), **accepted(result))


def _own_changed(result: CommandResult[CatalogOverlay]) -> OwnChanged:
    overlay = result.aggregate
    return OwnChanged(item_ids=sorted(overlay.items), recipe_ids=sorted(overlay.recipes), **accepted(result))
