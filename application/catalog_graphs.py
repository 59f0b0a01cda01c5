"""The production graph a command decides with: the user's catalog as of now.

The catalog aggregate keeps only hashes; its items and recipes live in the catalog read
model. A command must not decide on a catalog older than the one the user last imported, so
the snapshot is keyed by the catalog aggregate's version, and when that version moves the
snapshot is read again through the ``CatalogSnapshots`` port, which answers as of the log head.
"""

from __future__ import annotations

import threading
from uuid import UUID

from application.event_store import EventStore
from application.ports import CatalogSnapshots
from domain.catalog.catalog import Catalog, catalog_aggregate_id
from domain.catalog.chains import CatalogSnapshot
from domain.errors import NotFound, RuleViolation

CACHE_SIZE = 256


class CatalogGraphs:
    def __init__(self, store: EventStore, catalogs: CatalogSnapshots) -> None:
        self._store = store
        self._catalogs = catalogs
        self._cache: dict[UUID, tuple[int, CatalogSnapshot]] = {}
        self._lock = threading.Lock()

    def snapshot(self, owner: UUID, field: str = "productTypeId") -> CatalogSnapshot:
        try:
            catalog = self._store.load(catalog_aggregate_id(owner), Catalog)
        except NotFound:
            raise RuleViolation("you have no catalog yet: import one first", field) from None
        with self._lock:
            cached = self._cache.get(owner)
        if cached is not None and cached[0] == catalog.version:
            return cached[1]
        snapshot = self._catalogs.current(owner)
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[owner] = (catalog.version, snapshot)
        return snapshot
