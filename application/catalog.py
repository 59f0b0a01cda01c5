"""Commands on catalogs: importing one (a user's private catalog, or the shared catalog an
admin imports for everyone), marking items bought (on the private catalog, or on the overlay
of a user who follows the shared one), and moving a private catalog onto the shared one.

Which catalog a user's commands act on: their private catalog if they have one (and have not
moved it onto the shared one), else the shared catalog with their overlay on top.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import msgspec

import domain.catalog
from application.command_runner import CommandResult, create_aggregate, save_atomically, update_aggregate
from application.event_store import EventStore
from application.users import ensure_admin
from domain.aggregate import Aggregate
from domain.catalog.catalog import (
    SHARED_CATALOG_ID,
    SHARED_CATALOG_OWNER,
    Catalog,
    ImportSummary,
    catalog_aggregate_id,
)
from domain.catalog.model import CatalogData, OverlayContent
from domain.catalog.overlay import CatalogOverlay, overlay_aggregate_id
from domain.errors import Conflict, NotFound, RuleViolation
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


class FollowedCatalog(msgspec.Struct, frozen=True):
    """The catalog a user's answers come from, and their overlay on it (the items they buy
    rather than build, their own items and recipes, the recipes they chose)."""

    catalog: Catalog
    overlay: OverlayContent

    @property
    def bought(self) -> tuple[int, ...]:
        return self.overlay.bought


class CatalogService:
    def __init__(self, store: EventStore, limits: WorkLimits = DEFAULT_LIMITS) -> None:
        self.store = store
        self.limits = limits

    def import_catalog(self, data: CatalogData, source: str, meta: CommandMeta) -> ImportResult:
        """The next version of the caller's private catalog (the first import creates it)."""
        return self._import(meta.user_id, data, source, meta)

    def import_shared(self, data: CatalogData, source: str, meta: CommandMeta) -> ImportResult:
        """The next version of the shared catalog, which only an admin imports; its events name
        the admin, so the audit of ``SHARED_CATALOG_ID`` says who imported each version."""
        self.ensure_may_import_shared(meta.user_id)
        return self._import(SHARED_CATALOG_OWNER, data, source, meta)

    def _import(self, owner: UUID, data: CatalogData, source: str, meta: CommandMeta) -> ImportResult:
        aggregate_id = catalog_aggregate_id(owner)
        summaries: list[ImportSummary | None] = []

        def record(catalog: Catalog) -> None:
            summaries.clear()
            summaries.append(catalog.import_data(data, source, meta, self.limits))

        try:
            result = update_aggregate(self.store, Catalog, aggregate_id, owner, record)
        except NotFound:
            catalog = Catalog.open(owner, meta)
            record(catalog)
            try:
                result = create_aggregate(self.store, catalog, "catalog")
            except Conflict:  # another first import won the race: import on top of it
                result = update_aggregate(self.store, Catalog, aggregate_id, owner, record)
        summary = summaries[0]
        return ImportResult(
            catalog_id=aggregate_id, changed=summary is not None, position=result.position, summary=summary
        )

    def ensure_may_import_shared(self, user_id: UUID) -> None:
        """Only an admin imports the shared catalog (a Forbidden naming why, for anyone else)."""
        ensure_admin(self.store, user_id, "the shared catalog is read-only: only an admin imports it", "shared")

    def followed(self, user_id: UUID, field: str = "product_type_id") -> FollowedCatalog:
        """The user's private catalog, else the shared one with their overlay's marks; a
        RuleViolation naming ``field`` when there is neither."""
        overlay = self._overlay(user_id)
        private = self._private(user_id)
        if private is not None:
            return FollowedCatalog(
                private, overlay.content(private.bought) if overlay else OverlayContent(bought=private.bought)
            )
        try:
            shared = self.store.load(SHARED_CATALOG_ID, Catalog)
        except NotFound:
            raise RuleViolation("you have no catalog yet: import one first", field) from None
        return FollowedCatalog(shared, overlay.content() if overlay else OverlayContent())

    def _overlay(self, user_id: UUID) -> CatalogOverlay | None:
        try:
            return self.store.load(overlay_aggregate_id(user_id), CatalogOverlay)
        except NotFound:
            return None

    def _private(self, user_id: UUID) -> Catalog | None:
        try:
            catalog = self.store.load(catalog_aggregate_id(user_id), Catalog)
        except NotFound:
            return None
        return None if catalog.moved_to_shared else catalog

    def mark_bought(
        self, type_ids: list[int], meta: CommandMeta, expected_version: int | None = None
    ) -> CommandResult[Catalog] | CommandResult[CatalogOverlay]:
        """On the private catalog, or (following the shared one) on the user's overlay."""
        if self._private(meta.user_id) is not None:
            return update_aggregate(
                self.store,
                Catalog,
                catalog_aggregate_id(meta.user_id),
                meta.user_id,
                lambda c: c.mark_bought(type_ids, meta),
                expected_version,
            )
        try:
            shared = self.store.load(SHARED_CATALOG_ID, Catalog)
        except NotFound:
            raise NotFound("you have no catalog yet: import one first", "type_ids") from None
        return self.update_overlay(meta, lambda overlay: overlay.mark_bought(type_ids, shared, meta), expected_version)

    def update_overlay(
        self, meta: CommandMeta, change: Callable[[CatalogOverlay], object], expected_version: int | None = None
    ) -> CommandResult[CatalogOverlay]:
        """``change`` on the user's overlay, opened by the first change."""
        try:
            return update_aggregate(
                self.store, CatalogOverlay, overlay_aggregate_id(meta.user_id), meta.user_id, change, expected_version
            )
        except NotFound:
            overlay = CatalogOverlay.open(meta.user_id, meta)
            change(overlay)
            return create_aggregate(self.store, overlay, "catalog overlay")

    def move_to_shared(self, user_id: UUID, meta: CommandMeta) -> int:
        """Move the user's private catalog onto the shared one when both hold the same data
        (the shared catalog's current content hash), keeping their bought marks in their
        overlay; a RuleViolation (nothing changed) when they differ. Answers the position."""
        private_id, overlay_id = catalog_aggregate_id(user_id), overlay_aggregate_id(user_id)

        def decide() -> tuple[list[Aggregate], None]:
            try:
                private = self.store.load(private_id, Catalog)
            except NotFound:
                raise RuleViolation("this user has no private catalog", "user") from None
            try:
                shared = self.store.load(SHARED_CATALOG_ID, Catalog)
            except NotFound:
                raise RuleViolation("no shared catalog has been imported yet", "user") from None
            bought = private.bought
            private.move_to_shared(shared, meta)
            try:
                overlay = self.store.load(overlay_id, CatalogOverlay)
            except NotFound:
                overlay = CatalogOverlay.open(user_id, meta)
            overlay.mark_bought(bought, shared, meta)
            return [private, overlay], None

        return save_atomically(self.store, [private_id, overlay_id], decide)[1]
