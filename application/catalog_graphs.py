"""The production graph a command decides with: the user's catalog as of now.

A user's catalog is their private one, or the shared catalog, with their overlay (bought marks,
their own items and recipes, chosen recipes) on top. The catalog aggregates keep only hashes;
items and recipes live in the catalog read model. A command must not decide on a catalog older
than the one last imported, so the graph is kept per catalog (its read model key) and version,
and when that version moves it is read again through the ``CatalogSnapshots`` port, which
answers as of the log head. The shared catalog's graph is thus held once, however many users
follow it; each user's overlay is a view over it (``CatalogSnapshot.with_overlay``), which
copies only what the overlay changes.
"""

from __future__ import annotations

import threading
from uuid import UUID

import msgspec

from application.catalog import CatalogService
from application.ports import CatalogSnapshots
from domain.catalog.chains import CatalogSnapshot

CACHE_SIZE = 256


class CatalogGraphs:
    def __init__(self, catalogs: CatalogService, snapshots: CatalogSnapshots) -> None:
        self._catalogs = catalogs
        self._snapshots = snapshots
        self._cache: dict[UUID, tuple[int, CatalogSnapshot]] = {}
        self._lock = threading.Lock()

    def snapshot(self, owner: UUID, field: str = "product_type_id", *, bought: bool = True) -> CatalogSnapshot:
        """The user's catalog through their overlay (``bought=False``: without their bought
        marks and chosen recipes, every recipe they could choose still there); a
        RuleViolation naming ``field`` when they have none."""
        followed = self._catalogs.followed(owner, field)
        key, version = followed.catalog.owner_id, followed.catalog.version
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] == version:
            base = cached[1]
        else:
            base = self._snapshots.current(key)
            with self._lock:
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = (version, base)
        overlay = followed.overlay
        if not bought:
            overlay = msgspec.structs.replace(overlay, bought=(), choices=())
        return base.with_overlay(overlay)
