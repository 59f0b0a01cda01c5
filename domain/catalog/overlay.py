"""A user's overlay on the shared catalog: what is personal about a catalog everyone shares.

The shared catalog (``domain.catalog.catalog``) is read-only to its followers; what a private
catalog keeps for its user, a follower keeps here: today the items bought rather than built.
Chains, bills of materials and economics read the shared graph with the overlay on top.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.aggregate import Aggregate
from domain.catalog.catalog import Catalog, known_marks
from domain.events import CommandMeta, Event

_OVERLAY_NAMESPACE = UUID("9d7b1e52-3f0a-4c61-b8e2-0a5c4f6d2e91")


def overlay_aggregate_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_OVERLAY_NAMESPACE, str(owner_id))


class CatalogOverlay(Aggregate):
    bought: tuple[int, ...]

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> CatalogOverlay:
        return cls._create(OverlayOpened, overlay_aggregate_id(owner_id), meta=meta, owner_id=owner_id)

    def mark_bought(self, type_ids: Iterable[int], shared: Catalog, meta: CommandMeta) -> bool:
        """As ``Catalog.mark_bought``, against the items of the shared catalog: replaces the
        previous marks; False (nothing recorded) when they are the same."""
        marked = known_marks(type_ids, shared.item_hashes)
        if marked == self.bought:
            return False
        self._record(OverlayBoughtMarked, meta=meta, type_ids=marked)
        return True

    def state(self) -> dict[str, Any]:
        return {"bought": list(self.bought)}


class OverlayOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> CatalogOverlay:
        overlay = CatalogOverlay(self.originator_id, self.owner_id, self.timestamp)
        overlay.bought = ()
        return overlay


class OverlayBoughtMarked(Event, frozen=True):
    type_ids: tuple[int, ...]

    def apply(self, aggregate: CatalogOverlay) -> CatalogOverlay:
        aggregate.bought = self.type_ids
        return aggregate
