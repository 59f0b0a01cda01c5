"""Command routes: each changes one aggregate and answers with its new version and the log
position of the change (pass it as ``minPosition`` to a query to read your own write)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, PathParameter

from application.catalog import ImportResult
from application.commands import CommandResult
from domain.catalog.model import CatalogData, CatalogFile
from domain.events import CommandMeta
from domain.manufacturing.container import Container
from interfaces.http.context import command_meta, expected_version, system_of
from interfaces.http.schemas import (
    BoughtItems,
    BoughtMarked,
    ChangeStatus,
    CommandAccepted,
    ConfigOut,
    ConfigPatch,
    ConfigUpdated,
    ContainerOut,
    ContainerRegistered,
    RegisterContainer,
)
from projections.manufacturing import ContainerView

ContainerIdPath = Annotated[
    str, PathParameter(description="The coordinator container's id, e.g. parallel-mfg-X1-YZ19-abc123", max_length=128)
]

# What every command route needs beyond the user: who/why metadata and If-Match.
COMMAND_DEPENDENCIES = {"meta": Provide(command_meta), "expected": Provide(expected_version)}


def _container_out(container: Container) -> ContainerOut:
    return ContainerOut.of(
        ContainerView(
            aggregate_id=container.id,
            container_id=container.container_id,
            system_symbol=container.system_symbol,
            status=container.status.value,
            version=container.version,
            config=container.config,
            created_at=container.created_on,
            updated_at=container.modified_on,
        )
    )


def _accepted(result: CommandResult[Any]) -> dict[str, object]:
    return {
        "aggregate_id": result.aggregate.id,
        "version": result.aggregate.version,
        "position": result.position,
        "changed": result.changed,
    }


@post(
    "/v1/manufacturing/containers",
    tags=["commands"],
    dependencies=COMMAND_DEPENDENCIES,
    sync_to_thread=True,
    status_code=201,
)
def register_container(
    state: State, data: JSONBody[RegisterContainer], meta: NamedDependency[CommandMeta]
) -> ContainerRegistered:
    """Register a manufacturing coordinator container, optionally with an initial config."""
    initial = data.config.changes() if isinstance(data.config, ConfigPatch) else {}
    result = system_of(state).containers.register(data.container_id, data.system_symbol, data.strategy, initial, meta)
    return ContainerRegistered(container=_container_out(result.aggregate), **_accepted(result))


@patch(
    "/v1/manufacturing/containers/{container_id:str}/config",
    tags=["commands"],
    dependencies=COMMAND_DEPENDENCIES,
    sync_to_thread=True,
)
def update_config(
    state: State,
    container_id: ContainerIdPath,
    data: JSONBody[ConfigPatch],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> ConfigUpdated:
    """Partial update: only the fields sent change. Send ``If-Match: "<version>"`` to make
    the update conditional; a rejected update changes nothing."""
    result = system_of(state).containers.change_config(container_id, data.changes(), meta, expected)
    return ConfigUpdated(
        success=True,
        message="Configuration updated successfully" if result.changed else "Configuration unchanged",
        current_config=ConfigOut.of(result.aggregate.config),
        **_accepted(result),
    )


@put(
    "/v1/manufacturing/containers/{container_id:str}/status",
    tags=["commands"],
    dependencies=COMMAND_DEPENDENCIES,
    sync_to_thread=True,
)
def change_status(
    state: State,
    container_id: ContainerIdPath,
    data: JSONBody[ChangeStatus],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> CommandAccepted:
    """The coordinator reports its status: RUNNING, STOPPED or FAILED."""
    result = system_of(state).containers.change_status(container_id, data.status, meta, expected)
    return CommandAccepted(**_accepted(result))


@post("/v1/catalog/imports", tags=["commands"], dependencies=COMMAND_DEPENDENCIES, sync_to_thread=True, status_code=200)
def import_catalog(state: State, data: JSONBody[CatalogFile], meta: NamedDependency[CommandMeta]) -> ImportResult:
    """Import a catalog in Manufactory's JSON format (catalog.schema.json) as your catalog's
    next version; the same data again changes nothing. Large SDE imports: use the CLI."""
    catalog = CatalogData(game=data.game, items=data.items, recipes=data.recipes)
    return system_of(state).catalogs.import_catalog(catalog, "api", meta)


@put("/v1/catalog/bought", tags=["commands"], dependencies=COMMAND_DEPENDENCIES, sync_to_thread=True)
def mark_bought(
    state: State, data: JSONBody[BoughtItems], meta: NamedDependency[CommandMeta], expected: NamedDependency[int | None]
) -> BoughtMarked:
    """The items you buy rather than build (replacing the previous list): raw materials in
    your chains from now on."""
    result = system_of(state).catalogs.mark_bought(data.type_ids, meta, expected)
    return BoughtMarked(type_ids=list(result.aggregate.bought), **_accepted(result))


def command_routes() -> list[HTTPRouteHandler]:
    return [register_container, update_config, change_status, import_catalog, mark_bought]
