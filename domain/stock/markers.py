"""Stockpile markers: how many units of an item a user wants at a location, and whether
auto-production may make up a shortfall with a linked plan.

A marker is identified by (user, item, location, owner, container, division): the owner is a
character or a corporation (the game's id), the container an item id inside the location,
the division a corporation hangar's (1-7). Markers placed before owners existed name none:
they are *unowned*, keep their id, and count every unit of their item at their location
whoever holds it (what they counted then); an owned marker counts only its owner's units in
its container and division (domain.stock.assets.counts_for). A marker also carries notes and
how its deficit is valued: the ``sell``, ``buy`` or ``split`` (midpoint) price, times
``pricePercentage``/100 (the seed system's price source and percentage).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from domain.aggregate import Aggregate
from domain.errors import InvalidInput, NotFound
from domain.events import CommandMeta, Event
from domain.limits import Count, GameId, Quantity
from domain.stock.assets import UNOWNED, OwnerType, Spot, validate_spot

_MARKER_NAMESPACE = UUID("e4a1c9b2-3d75-4f08-8b6e-1f2a3c4d5e6f")
MAX_DESIRED = 10**12
MAX_PERCENTAGE = 1000.0
MAX_NOTES = 1000
PriceSource = Literal["sell", "buy", "split"]


def marker_id(user_id: UUID, type_id: int, location_id: int, spot: Spot = UNOWNED) -> UUID:
    """One marker per (user, item, location, owner, container, division): posting it again
    updates it. An unowned marker keeps the id it had before owners existed."""
    name = f"{user_id}/{type_id}/{location_id}"
    if spot != UNOWNED:
        name += "/" + "/".join("-" if part is None else str(part) for part in spot)
    return uuid.uuid5(_MARKER_NAMESPACE, name)


class MarkerSettings(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    type_id: int
    location_id: int
    desired_quantity: int
    plan_id: UUID | None = None
    auto_production_parallelism: int = 0  # character slots; 0 = unlimited
    auto_production_enabled: bool = False
    owner_type: OwnerType | None = None  # None: unowned (every marker placed before owners existed)
    owner_id: int | None = None  # the character's or corporation's game id (not the user)
    container_id: int | None = None
    division_number: int | None = None
    notes: str | None = None
    price_source: PriceSource = "sell"
    price_percentage: float = 100.0

    @property
    def spot(self) -> Spot:
        return Spot(self.owner_type, self.owner_id, self.container_id, self.division_number)

    def validated(self) -> MarkerSettings:
        if self.type_id < 1:
            raise InvalidInput("typeId must be a positive item id", "type_id")
        if self.location_id < 1:
            raise InvalidInput("locationId must be a positive location id", "location_id")
        if not 0 <= self.desired_quantity <= MAX_DESIRED:
            raise InvalidInput(f"desiredQuantity must be 0 to {MAX_DESIRED}", "desired_quantity")
        if not 0 <= self.auto_production_parallelism <= 1000:
            raise InvalidInput("autoProductionParallelism must be 0 (unlimited) to 1000", "auto_production_parallelism")
        validate_spot(self.spot)
        if self.price_source not in ("sell", "buy", "split"):
            raise InvalidInput("priceSource must be sell, buy or split", "price_source")
        if not 0 < self.price_percentage <= MAX_PERCENTAGE:
            raise InvalidInput(f"pricePercentage must be above 0 and at most {MAX_PERCENTAGE:g}", "price_percentage")
        if self.notes is not None and len(self.notes) > MAX_NOTES:
            raise InvalidInput(f"notes must be at most {MAX_NOTES} characters", "notes")
        return self


def unit_price(source: str, percentage: float, lowest_sell: float | None, highest_buy: float | None) -> float | None:
    """One unit's value by a marker's price rule: the best sell, the best buy, or their
    midpoint (``split``), times ``percentage``/100; None when the price it needs is unknown."""
    if source == "sell":
        base = lowest_sell
    elif source == "buy":
        base = highest_buy
    else:
        base = None if lowest_sell is None or highest_buy is None else (lowest_sell + highest_buy) / 2
    return None if base is None else base * percentage / 100


class MarkerUpsert(msgspec.Struct, frozen=True, kw_only=True):
    """One upsert of the marker of (type_id, location_id, owner, container, division): those
    say which marker (left out: none, the unowned marker). Any other optional field left out
    (UNSET) keeps the marker's value (a new marker's default), so a client that only sets a
    quantity never unlinks the plan or switches auto-production off by omission; ``plan_id``
    None unlinks, ``notes`` None clears."""

    type_id: GameId
    location_id: GameId
    desired_quantity: Quantity
    owner_type: OwnerType | None = None
    owner_id: GameId | None = None
    container_id: GameId | None = None
    division_number: Count | None = None
    plan_id: UUID | None | UnsetType = UNSET
    auto_production_parallelism: Count | UnsetType = UNSET
    auto_production_enabled: bool | UnsetType = UNSET
    notes: str | None | UnsetType = UNSET
    price_source: PriceSource | UnsetType = UNSET
    price_percentage: float | UnsetType = UNSET

    @property
    def spot(self) -> Spot:
        return Spot(self.owner_type, self.owner_id, self.container_id, self.division_number)

    def applied_to(self, current: MarkerSettings | None) -> MarkerSettings:
        """The settings after this upsert, over the marker's current ones (None: a new marker)."""
        given = {name: value for name, value in msgspec.structs.asdict(self).items() if value is not UNSET}
        if current is None:
            return MarkerSettings(**given).validated()
        return msgspec.structs.replace(current, **given).validated()


class StockpileMarker(Aggregate):
    settings: MarkerSettings
    deleted: bool

    @classmethod
    def place(cls, settings: MarkerSettings, meta: CommandMeta) -> StockpileMarker:
        settings = settings.validated()
        return cls._create(
            MarkerPlaced,
            marker_id(meta.user_id, settings.type_id, settings.location_id, settings.spot),
            meta=meta,
            owner_id=meta.user_id,
            settings=settings,
        )

    def update(self, settings: MarkerSettings, meta: CommandMeta) -> None:
        settings = settings.validated()
        if self.deleted or settings != self.settings:
            self._record(MarkerUpdated, meta=meta, settings=settings)

    def remove(self, meta: CommandMeta) -> None:
        if self.deleted:
            raise NotFound("stockpile marker not found", "marker_id")
        self._record(MarkerRemoved, meta=meta)

    def state(self) -> dict[str, Any]:
        return {**msgspec.to_builtins(self.settings), "deleted": self.deleted}


class MarkerPlaced(Event, frozen=True):
    owner_id: UUID
    settings: MarkerSettings

    def apply(self, aggregate: Any) -> StockpileMarker:
        marker = StockpileMarker(self.originator_id, self.owner_id, self.timestamp)
        marker.settings = self.settings
        marker.deleted = False
        return marker


class MarkerUpdated(Event, frozen=True):
    settings: MarkerSettings

    def apply(self, aggregate: StockpileMarker) -> StockpileMarker:
        aggregate.settings = self.settings
        aggregate.deleted = False
        return aggregate


class MarkerRemoved(Event, frozen=True):
    def apply(self, aggregate: StockpileMarker) -> StockpileMarker:
        aggregate.deleted = True
        return aggregate
