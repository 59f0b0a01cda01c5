"""A user's holdings per item type and location, as the game reports them.

A snapshot replaces the holdings of one location (or of every location) and records only
the differences; completed jobs add their output where they ran, so stock moves at once
and the next snapshot that already shows it records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
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

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> Assets:
        return cls._create(
            AssetsOpened,
            assets_id(owner_id),
            meta=meta,
            owner_id=owner_id,
        )

    def replace(self, holdings: Iterable[Holding], location_id: int | None, meta: CommandMeta) -> int:
        """Make the holdings of ``location_id`` (every location if None) equal the snapshot;
        returns how many (location, type) quantities changed."""
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
            self._record(AssetsChanged, meta=meta, changes=tuple(changes), reason="snapshot")
        return len(changes)

    def receive(self, location_id: int, type_id: int, quantity: int, reason: str, meta: CommandMeta) -> None:
        """Units that arrived without a snapshot saying so (a job's output)."""
        old = self.held.get((location_id, type_id), 0)
        self._record(
            AssetsChanged,
            meta=meta,
            changes=(HoldingChange(location_id, type_id, old, old + quantity),),
            reason=reason,
        )

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
        return assets


class AssetsChanged(Event, frozen=True):
    changes: tuple[HoldingChange, ...]
    reason: str  # "snapshot" or "job <id> completed"

    def apply(self, aggregate: Assets) -> Assets:
        for change in self.changes:
            if change.new:
                aggregate.held[(change.location_id, change.type_id)] = change.new
            else:
                aggregate.held.pop((change.location_id, change.type_id), None)
        return aggregate
