"""The production graph a command decides with: the user's catalog as of now.

A user's catalog is their private one, or the shared catalog with their overlay (bought
marks) on top. The catalog aggregates keep only hashes; items and recipes live in the catalog
read model. A command must not decide on a catalog older than the one last imported, so the
graph is kept per catalog (its read model key) and version, and when that version moves it is
read again through the ``CatalogSnapshots`` port, which answers as of the log head. The shared
catalog's graph is thus held once, however many users follow it; each user's marks hide the
items they buy (``ProductionGraph.without``), which copies nothing.
"""

from __future__ import annotations

import threading
from uuid import UUID

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

    def snapshot(self, owner: UUID, field: str = "product_type_id") -> CatalogSnapshot:
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
        return base.with_bought(followed.bought)
