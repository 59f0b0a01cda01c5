"""Importing a user's catalog: one atomic command that records the catalog's new version."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import msgspec

import domain.catalog
from application.command_runner import CommandResult, create_aggregate, update_aggregate
from application.event_store import EventStore
from domain.catalog.catalog import Catalog, ImportSummary, catalog_aggregate_id
from domain.catalog.model import CatalogData
from domain.errors import Conflict, NotFound
from domain.events import CommandMeta
from domain.work_limits import DEFAULT_LIMITS, WorkLimits

# A few EVE frigates, the Caracal, the Drake, the Wolf with its invention, T2 components and
# a reaction chain, with the game's real numbers (sources: sample-catalog.SOURCES.md beside it).
SAMPLE_CATALOG = Path(domain.catalog.__file__).parent / "sample-catalog.json"


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    catalog_id: UUID
    changed: bool
    position: int
    summary: ImportSummary | None  # None: the data was already the current version


class CatalogService:
    def __init__(self, store: EventStore, limits: WorkLimits = DEFAULT_LIMITS) -> None:
        self.store = store
        self.limits = limits

    def import_catalog(self, data: CatalogData, source: str, meta: CommandMeta) -> ImportResult:
        aggregate_id = catalog_aggregate_id(meta.user_id)
        summaries: list[ImportSummary | None] = []

        def record(catalog: Catalog) -> None:
            summaries.clear()
            summaries.append(catalog.import_data(data, source, meta, self.limits))

        try:
            result = update_aggregate(self.store, Catalog, aggregate_id, meta.user_id, record)
        except NotFound:
            catalog = Catalog.open(meta.user_id, meta)
            record(catalog)
            try:
                result = create_aggregate(self.store, catalog, "catalog")
            except Conflict:  # another first import won the race: import on top of it
                result = update_aggregate(self.store, Catalog, aggregate_id, meta.user_id, record)
        summary = summaries[0]
        return ImportResult(
            catalog_id=aggregate_id, changed=summary is not None, position=result.position, summary=summary
        )

    def mark_bought(
        self, type_ids: list[int], meta: CommandMeta, expected_version: int | None = None
    ) -> CommandResult[Catalog]:
        aggregate_id = catalog_aggregate_id(meta.user_id)
        try:
            return update_aggregate(
                self.store,
                Catalog,
                aggregate_id,
                meta.user_id,
                lambda c: c.mark_bought(type_ids, meta),
                expected_version,
            )
        except NotFound:
            raise NotFound("you have no catalog yet: import one first", "typeIds") from None
