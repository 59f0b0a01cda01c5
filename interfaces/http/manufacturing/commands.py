"""Command routes: each changes one aggregate and answers with its new version and the log
position of the change (pass it as ``minPosition`` to a query to read your own write)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from litestar import Controller, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.manufacturing import ContainerService
from domain.errors import DomainError
from domain.events import CommandMeta
from interfaces.http.bodies import CommandAccepted, accepted
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.manufacturing.schemas import (
    CONFIG_WIRE_NAMES,
    ChangeStatus,
    ConfigOut,
    ConfigPatch,
    ConfigUpdated,
    ContainerIdPath,
    ContainerOut,
    ContainerRegisteredOut,
    RegisterContainer,
)
from projections.manufacturing import container_view_of


@contextmanager
def config_fields_by_json_name() -> Iterator[None]:
    """The domain names a config field it refuses by its Python name; the client sent its JSON name."""
    try:
        yield
    except DomainError as error:
        if error.field in CONFIG_WIRE_NAMES:
            error.field = CONFIG_WIRE_NAMES[error.field]
        raise


class ManufacturingCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/manufacturing/containers", tags=["commands"], sync_to_thread=True, status_code=201)
    def register_container(
        self,
        containers: NamedDependency[ContainerService],
        data: JSONBody[RegisterContainer],
        meta: NamedDependency[CommandMeta],
    ) -> ContainerRegisteredOut:
        """Register a manufacturing coordinator container, optionally with an initial config."""
        initial = data.config.changes() if isinstance(data.config, ConfigPatch) else {}
        with config_fields_by_json_name():
            result = containers.register(data.container_id, data.system_symbol, data.strategy, initial, meta)
        return ContainerRegisteredOut(
            container=ContainerOut.of(container_view_of(result.aggregate)), **accepted(result)
        )

    @patch("/v1/manufacturing/containers/{container_id:str}/config", tags=["commands"], sync_to_thread=True)
    def update_config(
        self,
        containers: NamedDependency[ContainerService],
        container_id: ContainerIdPath,
        data: JSONBody[ConfigPatch],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> ConfigUpdated:
        """Partial update: only the fields sent change. Send ``If-Match: "<version>"`` to make
        the update conditional; a rejected update changes nothing."""
        with config_fields_by_json_name():
            result = containers.change_config(container_id, data.changes(), meta, expected)
        return ConfigUpdated(
            success=True,
            message="Configuration updated successfully" if result.changed else "Configuration unchanged",
            current_config=ConfigOut.of(result.aggregate.config),
            **accepted(result),
        )

    @put("/v1/manufacturing/containers/{container_id:str}/status", tags=["commands"], sync_to_thread=True)
    def change_status(
        self,
        containers: NamedDependency[ContainerService],
        container_id: ContainerIdPath,
        data: JSONBody[ChangeStatus],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> CommandAccepted:
        """The coordinator reports its status: RUNNING, STOPPED or FAILED."""
        result = containers.change_status(container_id, data.status, meta, expected)
        return CommandAccepted(**accepted(result))
