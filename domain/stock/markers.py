"""Stockpile markers: how many units of an item a user wants at a location, and whether
auto-production may make up a shortfall with a linked plan."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from domain.aggregate import Aggregate
from domain.errors import InvalidInput, NotFound
from domain.events import CommandMeta, Event
from domain.limits import Count, GameId, Quantity

_MARKER_NAMESPACE = UUID("e4a1c9b2-3d75-4f08-8b6e-1f2a3c4d5e6f")
MAX_DESIRED = 10**12


def marker_id(owner_id: UUID, type_id: int, location_id: int) -> UUID:
    """One marker per (user, item, location): posting it again updates it."""
    return uuid.uuid5(_MARKER_NAMESPACE, f"{owner_id}/{type_id}/{location_id}")


class MarkerSettings(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    type_id: int
    location_id: int
    desired_quantity: int
    plan_id: UUID | None = None
    auto_production_parallelism: int = 0  # character slots; 0 = unlimited
    auto_production_enabled: bool = False

    def validated(self) -> MarkerSettings:
        if self.type_id < 1:
            raise InvalidInput("typeId must be a positive item id", "typeId")
        if self.location_id < 1:
            raise InvalidInput("locationId must be a positive location id", "locationId")
        if not 0 <= self.desired_quantity <= MAX_DESIRED:
            raise InvalidInput(f"desiredQuantity must be 0 to {MAX_DESIRED}", "desiredQuantity")
        if not 0 <= self.auto_production_parallelism <= 1000:
            raise InvalidInput("autoProductionParallelism must be 0 (unlimited) to 1000", "autoProductionParallelism")
        return self


class MarkerUpsert(msgspec.Struct, frozen=True, kw_only=True):
    """One upsert of the marker of (type_id, location_id). An optional field left out (UNSET)
    keeps the marker's value (a new marker's default), so a client that only sets a quantity
    never unlinks the plan or switches auto-production off by omission; ``plan_id`` None unlinks."""

    type_id: GameId
    location_id: GameId
    desired_quantity: Quantity
    plan_id: UUID | None | UnsetType = UNSET
    auto_production_parallelism: Count | UnsetType = UNSET
    auto_production_enabled: bool | UnsetType = UNSET

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
            marker_id(meta.user_id, settings.type_id, settings.location_id),
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
            raise NotFound("stockpile marker not found", "markerId")
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
