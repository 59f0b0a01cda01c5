"""Command routes of the catalog: imports (yours, or the shared one's, by an admin) and the
items you buy rather than build."""

from __future__ import annotations

import msgspec
from litestar import Controller, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.catalog import CatalogService
from domain.catalog.model import CatalogFile
from domain.events import CommandMeta
from interfaces.http.bodies import accepted
from interfaces.http.catalog.schemas import BoughtItems, BoughtMarked, ImportResult
from interfaces.http.context import COMMAND_DEPENDENCIES


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
