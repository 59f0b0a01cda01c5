"""Command routes of assets and stockpile markers."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import delete, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, PathParameter

from application.system import Manufactory
from domain.events import CommandMeta
from domain.stock.markers import MarkerUpsert, StockpileMarker
from interfaces.http.commands import COMMAND_DEPENDENCIES
from interfaces.http.context import system_of
from interfaces.http.stock_schemas import AssetsReplaced, MarkerChanged, MarkerRemoved, ReplaceAssets, UpsertMarker
from projections.stockpiles import MarkerView

ROUTE = {"tags": ["commands"], "dependencies": COMMAND_DEPENDENCIES, "sync_to_thread": True}


@put("/v1/assets", **ROUTE)
def replace_assets(state: State, data: JSONBody[ReplaceAssets], meta: NamedDependency[CommandMeta]) -> AssetsReplaced:
    """Replace one location's holdings (or all, without ``locationId``) with the game's
    snapshot; only the differences are recorded."""
    changed, position = system_of(state).stock.replace_assets(data.assets, data.location_id, meta)
    return AssetsReplaced(changed=changed, position=position)


def _marker_view(system: Manufactory, marker: StockpileMarker) -> MarkerView:
    """The marker as just saved, its quantity from the assets aggregate (names come with the
    read model: ``GET /v1/stockpiles``)."""
    settings = marker.settings
    held = system.stock.held(marker.owner_id, settings.location_id, settings.type_id)
    enabled = settings.auto_production_enabled
    return MarkerView(
        id=marker.id,
        type_id=settings.type_id,
        type_name=None,
        location_id=settings.location_id,
        desired_quantity=settings.desired_quantity,
        current_quantity=held,
        deficit=max(settings.desired_quantity - held, 0),
        plan_id=settings.plan_id,
        plan_name=None,
        auto_production_parallelism=settings.auto_production_parallelism,
        auto_production_enabled=enabled,
        auto_production_status="disabled" if not enabled else "active" if settings.plan_id else "no_plan",
        version=marker.version,
        created_at=marker.created_on,
        updated_at=marker.modified_on,
    )


@post("/v1/stockpiles", status_code=200, **ROUTE)
def upsert_marker(state: State, data: JSONBody[UpsertMarker], meta: NamedDependency[CommandMeta]) -> MarkerChanged:
    """Create or update the marker of (typeId, locationId). A ``planId`` must be one of your
    plans and make this item type. Optional fields left out keep the marker's current value
    (a new marker's default); ``"planId": null`` unlinks the plan."""
    system = system_of(state)
    result = system.stock.upsert_marker(msgspec.convert(msgspec.to_builtins(data), MarkerUpsert), meta)
    return MarkerChanged(
        marker=_marker_view(system, result.aggregate), position=result.position, changed=result.changed
    )


@delete("/v1/stockpiles/{marker_id:uuid}", status_code=200, **ROUTE)
def remove_marker(
    state: State,
    marker_id: Annotated[UUID, PathParameter(description="The marker's id")],
    meta: NamedDependency[CommandMeta],
) -> MarkerRemoved:
    return MarkerRemoved(status="deleted", position=system_of(state).stock.remove_marker(marker_id, meta))


def stock_command_routes() -> list[HTTPRouteHandler]:
    return [replace_assets, upsert_marker, remove_marker]
