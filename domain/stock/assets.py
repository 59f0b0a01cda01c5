"""A user's holdings per item type and location, as the game reports them.

A snapshot replaces the holdings of one location (or of every location) and records only
the differences; completed jobs add their output where they ran, so stock moves at once
and the next snapshot that already shows it records nothing.

The two reach us in either order: the game's asset and job answers are cached for different
times (an hour and five minutes on ESI), so a snapshot may already show a job's output when
the job sync reports the job delivered. A snapshot knows when the game observed it (ESI's
``Last-Modified``; a snapshot posted by hand: when it was recorded), so output delivered
before the location's last recorded observation is already in it and is not added again.
Known limit: a snapshot that changes nothing at a location records nothing, so its
observation time is not kept; output delivered before it and reported after it is added
(the next snapshot that differs corrects the count).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.errors import InvalidInput
from domain.events import CommandMeta, Event
from domain.limits import GameId, Quantity

_ASSETS_NAMESPACE = UUID("2b7f0d3e-6a1c-4e85-9f2d-8c4b1a7e5d09")
MAX_QUANTITY = 10**15


def assets_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_ASSETS_NAMESPACE, str(owner_id))


class Holding(msgspec.Struct, frozen=True, kw_only=True):
    type_id: GameId
    location_id: GameId
    quantity: Quantity


class HoldingChange(msgspec.Struct, frozen=True, array_like=True):
    location_id: int
    type_id: int
    old: int
    new: int


def _totals(holdings: Iterable[Holding]) -> dict[tuple[int, int], int]:
    """Quantities per (location, type); the game lists a stack per container, so they add up."""
    totals: dict[tuple[int, int], int] = {}
    for index, holding in enumerate(holdings):
        if holding.quantity < 0 or holding.quantity > MAX_QUANTITY:
            raise InvalidInput(f"quantity must be 0 to {MAX_QUANTITY}", f"assets[{index}].quantity")
        if holding.type_id < 1 or holding.location_id < 1:
            raise InvalidInput("typeId and locationId must be positive ids", f"assets[{index}]")
        key = (holding.location_id, holding.type_id)
        totals[key] = totals.get(key, 0) + holding.quantity
    return totals


class Assets(Aggregate):
    held: dict[tuple[int, int], int]  # (location, type) -> units
    observed: dict[int | None, datetime]  # location (None: all) -> the game's time of its last snapshot

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> Assets:
        return cls._create(
            AssetsOpened,
            assets_id(owner_id),
            meta=meta,
            owner_id=owner_id,
        )

    def replace(
        self,
        holdings: Iterable[Holding],
        location_id: int | None,
        meta: CommandMeta,
        observed_at: datetime | None = None,
    ) -> int:
        """Make the holdings of ``location_id`` (every location if None) equal the snapshot the
        game took at ``observed_at`` (None: now); returns how many (location, type) quantities
        changed."""
        incoming = _totals(holdings)
        if location_id is not None and any(location != location_id for location, _ in incoming):
            raise InvalidInput(f"every asset must be at location {location_id}", "assets")
        scope = [key for key in self.held if location_id is None or key[0] == location_id]
        changes = [
            HoldingChange(
                location, type_id, self.held.get((location, type_id), 0), incoming.get((location, type_id), 0)
            )
            for location, type_id in sorted(set(scope) | set(incoming))
        ]
        changes = [change for change in changes if change.old != change.new]
        if changes:
            self._record(
                AssetsChanged,
                meta=meta,
                changes=tuple(changes),
                reason=SNAPSHOT,
                location_id=location_id,
                observed_at=observed_at,
            )
        return len(changes)

    def receive(
        self, location_id: int, type_id: int, quantity: int, reason: str, delivered_at: datetime, meta: CommandMeta
    ) -> bool:
        """Units that arrived at ``delivered_at`` (a job's output), unless the location's last
        snapshot was taken after that and so already counts them; whether they were added."""
        last_seen = max((seen for scope, seen in self.observed.items() if scope in (None, location_id)), default=None)
        if last_seen is not None and delivered_at <= last_seen:
            return False
        old = self.held.get((location_id, type_id), 0)
        self._record(
            AssetsChanged,
            meta=meta,
            changes=(HoldingChange(location_id, type_id, old, old + quantity),),
            reason=reason,
        )
        return True

    def quantity(self, location_id: int | None, type_id: int) -> int:
        if location_id is not None:
            return self.held.get((location_id, type_id), 0)
        return sum(units for (_, held_type), units in self.held.items() if held_type == type_id)

    def state(self) -> list[Holding]:
        return [Holding(type_id=t, location_id=loc, quantity=q) for (loc, t), q in sorted(self.held.items())]


class AssetsOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> Assets:
        assets = Assets(self.originator_id, self.owner_id, self.timestamp)
        assets.held = {}
        assets.observed = {}
        return assets


SNAPSHOT = "snapshot"


class AssetsChanged(Event, frozen=True):
    changes: tuple[HoldingChange, ...]
    reason: str  # SNAPSHOT or "job <id> completed"
    location_id: int | None = None  # a snapshot's scope (None: every location)
    observed_at: datetime | None = None  # when the game took the snapshot (None: when it was recorded)

    def apply(self, aggregate: Assets) -> Assets:
        if self.reason == SNAPSHOT:
            aggregate.observed[self.location_id] = self.observed_at or self.timestamp
        for change in self.changes:
            if change.new:
                aggregate.held[(change.location_id, change.type_id)] = change.new
            else:
                aggregate.held.pop((change.location_id, change.type_id), None)
        return aggregate
