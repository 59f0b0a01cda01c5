"""Request and response bodies of assets, stockpile markers and buildability."""

from __future__ import annotations

from uuid import UUID

from msgspec import UNSET, UnsetType

from domain.stock.assets import Holding
from domain.stock.buildable import Buildable, Coverage
from interfaces.http.schemas import Request, Response
from projections.stockpiles import MarkerView


class ReplaceAssets(Request, kw_only=True):
    location_id: int | None = None  # replace only this location's holdings (all when absent)
    assets: list[Holding]


class AssetsReplaced(Response):
    changed: int  # (location, type) quantities that changed
    position: int


class UpsertMarker(Request, kw_only=True):
    """Optional fields left out keep the marker's value (a new marker: no plan, parallelism
    0 = unlimited, auto-production off); ``planId: null`` unlinks."""

    type_id: int
    location_id: int
    desired_quantity: int
    plan_id: UUID | None | UnsetType = UNSET
    auto_production_parallelism: int | UnsetType = UNSET
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
