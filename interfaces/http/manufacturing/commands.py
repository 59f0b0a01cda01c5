"""Command routes: each changes one aggregate and answers with its new version and the log
position of the change (pass it as ``minPosition`` to a query to read your own write).

A coordinator calls these many times a second, and their work is the event store's alone:
they run on the event loop (``application.on_loop``), which spares each command two thread
hand-overs."""

from __future__ import annotations

from litestar import Controller, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.manufacturing import ContainerService
from application.on_loop import run_on_loop
from domain.events import CommandMeta
from interfaces.http.bodies import CommandAccepted, accepted
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.manufacturing.schemas import (
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


class ManufacturingCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/manufacturing/containers", tags=["commands"], status_code=201)
    async def register_container(
        self,
        containers: NamedDependency[ContainerService],
        data: JSONBody[RegisterContainer],
        meta: NamedDependency[CommandMeta],
    ) -> ContainerRegisteredOut:
        """Register a manufacturing coordinator container, optionally with an initial config."""
        initial = data.config.changes() if isinstance(data.config, ConfigPatch) else {}
        result = await run_on_loop(
            containers.register, data.container_id, data.system_symbol, data.strategy, initial, meta
        )
        return ContainerRegisteredOut(
            container=ContainerOut.of(container_view_of(result.aggregate)), **accepted(result)
        )

    @patch("/v1/manufacturing/containers/{container_id:str}/config", tags=["commands"])
    async def update_config(
        self,
        containers: NamedDependency[ContainerService],
        container_id: ContainerIdPath,
        data: JSONBody[ConfigPatch],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> ConfigUpdated:
        """Partial update: only the fields sent change. Send ``If-Match: "<version>"`` to make
        the update conditional; a rejected update changes nothing."""
        result = await run_on_loop(containers.change_config, container_id, data.changes(), meta, expected)
        return ConfigUpdated(
            success=True,
            message="Configuration updated successfully" if result.changed else "Configuration unchanged",
            current_config=ConfigOut.of(result.aggregate.config),
            **accepted(result),
        )

    @put("/v1/manufacturing/containers/{container_id:str}/status", tags=["commands"])
    async def change_status(
        self,
        containers: NamedDependency[ContainerService],
        container_id: ContainerIdPath,
        data: JSONBody[ChangeStatus],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> CommandAccepted:
        """The coordinator reports its status: RUNNING, STOPPED or FAILED."""
        result = await run_on_loop(containers.change_status, container_id, data.status, meta, expected)
        return CommandAccepted(**accepted(result))
