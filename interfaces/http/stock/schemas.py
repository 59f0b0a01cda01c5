"""Request and response bodies of assets, stockpile markers and buildability."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from domain.limits import MAX_BATCH, Count, GameId, Quantity
from domain.stock.assets import Holding
from domain.stock.buildable import Buildable, Coverage
from interfaces.http.bodies import Request, Response
from projections.stockpiles import MarkerView


class ReplaceAssets(Request, kw_only=True):
    location_id: GameId | None = None  # replace only this location's holdings (all when absent)
    assets: Annotated[list[Holding], msgspec.Meta(max_length=MAX_BATCH)]


class AssetsReplaced(Response):
    changed: int  # (location, type) quantities that changed
    position: int


class UpsertMarker(Request, kw_only=True):
    """Optional fields left out keep the marker's value (a new marker: no plan, parallelism
    0 = unlimited, auto-production off); ``planId: null`` unlinks."""

    type_id: GameId
    location_id: GameId
    desired_quantity: Quantity
    plan_id: UUID | None | UnsetType = UNSET
    auto_production_parallelism: Count | UnsetType = UNSET
    auto_production_enabled: bool | UnsetType = UNSET


class MarkerChanged(Response):
    marker: MarkerView
    position: int
    changed: bool


class MarkerRemoved(Response):
    status: str
    position: int


class BuildableOut(Response):
    location_id: int | None
    recipes: list[Buildable]
    product: Coverage | None = None
