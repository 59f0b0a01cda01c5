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

Whose and where inside a location: a holding may name its owner (a character or a
corporation, by the game's id), the container it is in (the container's item id) and, for a
corporation, the hangar division (1-7, the game's ``CorpSAG1..7`` flags). Holdings recorded
before these existed, job output, and a hand-posted asset that names none are *unowned*:
they count for a marker that names no owner, never for one that does (like with like).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, NamedTuple
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


OwnerType = Literal["character", "corporation"]
DIVISIONS = range(1, 8)  # a corporation's hangar divisions, CorpSAG1..7


class Spot(NamedTuple):
    """Whose and where inside a location: all None is unowned (see the module's docstring)."""

    owner_type: str | None = None
    owner_id: int | None = None
    container_id: int | None = None
    division_number: int | None = None


UNOWNED = Spot()


def validate_spot(spot: Spot, field: str = "") -> Spot:
    """An owner is a type and an id together; a container or a division belongs to an owner,
    a division to a corporation. ``field`` prefixes the name of the part refused."""
    owner_type, owner_id, container_id, division = spot
    if owner_type not in (None, "character", "corporation"):
        raise InvalidInput("ownerType must be character or corporation", f"{field}owner_type")
    if (owner_type is None) != (owner_id is None):
        name = "owner_id" if owner_id is None else "owner_type"
        raise InvalidInput("ownerType and ownerId go together", f"{field}{name}")
    if owner_id is not None and owner_id < 1:
        raise InvalidInput("ownerId must be a positive character or corporation id", f"{field}owner_id")
    if container_id is not None and (owner_type is None or container_id < 1):
        raise InvalidInput("containerId must be a positive item id, with an owner", f"{field}container_id")
    if division is not None and (owner_type != "corporation" or division not in DIVISIONS):
        raise InvalidInput("divisionNumber must be 1 to 7, with a corporation owner", f"{field}division_number")
    return spot


class Holding(msgspec.Struct, frozen=True, kw_only=True):
    type_id: GameId
    location_id: GameId
    quantity: Quantity
    owner_type: OwnerType | None = None
    owner_id: GameId | None = None
    container_id: GameId | None = None
    division_number: int | None = None

    @property
    def spot(self) -> Spot:
        return Spot(self.owner_type, self.owner_id, self.container_id, self.division_number)


class HoldingChange(msgspec.Struct, frozen=True, array_like=True):
    """One quantity's change; the spot fields trail with defaults, so changes recorded before
    they existed (four elements) decode as unowned."""

    location_id: int
    type_id: int
    old: int
    new: int
    owner_type: str | None = None
    owner_id: int | None = None
    container_id: int | None = None
    division_number: int | None = None

    @property
    def key(self) -> HeldKey:
        return (
            self.location_id,
            self.type_id,
            Spot(self.owner_type, self.owner_id, self.container_id, self.division_number),
        )


HeldKey = tuple[int, int, Spot]  # (location, type, whose and where)


def _change(key: HeldKey, old: int, new: int) -> HoldingChange:
    location, type_id, spot = key
    return HoldingChange(location, type_id, old, new, *spot)


def _totals(holdings: Iterable[Holding]) -> dict[HeldKey, int]:
    """Quantities per (location, type, spot); the game lists a stack per container, so they add up."""
    totals: dict[HeldKey, int] = {}
    for index, holding in enumerate(holdings):
        if holding.quantity < 0 or holding.quantity > MAX_QUANTITY:
            raise InvalidInput(f"quantity must be 0 to {MAX_QUANTITY}", f"assets[{index}].quantity")
        if holding.type_id < 1 or holding.location_id < 1:
            raise InvalidInput("typeId and locationId must be positive ids", f"assets[{index}]")
        key = (holding.location_id, holding.type_id, validate_spot(holding.spot, f"assets[{index}]."))
        totals[key] = totals.get(key, 0) + holding.quantity
    return totals


def counts_for(held: Spot, wanted: Spot) -> bool:
    """Whether units held at ``held`` count for a marker of ``wanted`` at the same location and
    item: a marker naming no owner counts everything there, one naming an owner only what that
    owner holds in exactly that container (None: loose in the hangar) and division."""
    return wanted == UNOWNED or held == wanted


class Assets(Aggregate):
    held: dict[HeldKey, int]  # (location, type, spot) -> units
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
        """Make the holdings of ``location_id`` (every location if None), of every owner, equal
        the snapshot the game took at ``observed_at`` (None: now); returns how many
        (location, type, spot) quantities changed."""
        incoming = _totals(holdings)
        if location_id is not None and any(location != location_id for location, _, _ in incoming):
            raise InvalidInput(f"every asset must be at location {location_id}", "assets")
        scope = [key for key in self.held if location_id is None or key[0] == location_id]
        changes = [
            _change(key, self.held.get(key, 0), incoming.get(key, 0))
            for key in sorted(set(scope) | set(incoming), key=_order)
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
        old = self.held.get((location_id, type_id, UNOWNED), 0)
        self._record(
            AssetsChanged,
            meta=meta,
            changes=(HoldingChange(location_id, type_id, old, old + quantity),),
            reason=reason,
        )
        return True

    def quantity(self, location_id: int | None, type_id: int, spot: Spot = UNOWNED) -> int:
        """Units of the item at the location (None: everywhere) that count for a marker of ``spot``."""
        return sum(
            units
            for (location, held_type, held_spot), units in self.held.items()
            if held_type == type_id and location_id in (None, location) and counts_for(held_spot, spot)
        )

    def state(self) -> list[Holding]:
        return [
            Holding(type_id=t, location_id=loc, quantity=q, **spot._asdict())
            for (loc, t, spot), q in sorted(self.held.items(), key=lambda item: _order(item[0]))
        ]


def _order(key: HeldKey) -> tuple[Any, ...]:
    """A total order of keys whose spots hold None (unowned first)."""
    location, type_id, spot = key
    return (location, type_id, tuple((value is not None, value or 0) for value in spot))


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
                aggregate.held[change.key] = change.new
            else:
                aggregate.held.pop(change.key, None)
        return aggregate
