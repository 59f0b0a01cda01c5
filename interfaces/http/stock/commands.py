"""Command routes of assets and stockpile markers."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, delete, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.stock import StockService
from application.system import Manufactory
from domain.events import CommandMeta
from domain.stock.assets import Holding
from domain.stock.markers import MarkerUpsert
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.stock.schemas import (
    AssetsReplaced,
    MarkerChanged,
    MarkerRemoved,
    MarkerView,
    ReplaceAssets,
    UpsertMarker,
)
from projections.stockpiles import marker_view_of


class StockCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @put("/v1/assets", tags=["commands"], sync_to_thread=True)
    def replace_assets(
        self, stock: NamedDependency[StockService], data: JSONBody[ReplaceAssets], meta: NamedDependency[CommandMeta]
    ) -> AssetsReplaced:
        """Replace one location's holdings (or all, without ``locationId``) with the game's
        snapshot; only the differences are recorded."""
        holdings = msgspec.convert(data.assets, list[Holding], from_attributes=True)
        changed, position = stock.replace_assets(holdings, data.location_id, meta)
        return AssetsReplaced(changed=changed, position=position)

    @post("/v1/stockpiles", tags=["commands"], status_code=200, sync_to_thread=True)
    def upsert_marker(
        self, system: NamedDependency[Manufactory], data: JSONBody[UpsertMarker], meta: NamedDependency[CommandMeta]
    ) -> MarkerChanged:
        """Create or update the marker of (typeId, locationId, ownerType+ownerId, containerId,
        divisionNumber); a marker without an owner counts every unit at its location. A ``planId`` must be one of your
        plans and make this item type. Optional fields left out keep the marker's current value
        (a new marker's default); ``"planId": null`` unlinks the plan."""
        result = system.stock.upsert_marker(MarkerUpsert(**msgspec.structs.asdict(data)), meta)
        marker, settings = result.aggregate, result.aggregate.settings
        # the quantity held from the assets aggregate, as the marker is answered before the read model has it
        held = system.stock.held(marker.owner_id, settings.location_id, settings.type_id, settings.spot)
        view = msgspec.convert(marker_view_of(marker, held), MarkerView, from_attributes=True)
        return MarkerChanged(marker=view, position=result.position, changed=result.changed)

    @delete("/v1/stockpiles/{marker_id:uuid}", tags=["commands"], status_code=200, sync_to_thread=True)
    def remove_marker(
        self,
        stock: NamedDependency[StockService],
        marker_id: Annotated[UUID, PathParameter(description="The marker's id")],
        meta: NamedDependency[CommandMeta],
    ) -> MarkerRemoved:
        return MarkerRemoved(status="deleted", position=stock.remove_marker(marker_id, meta))
