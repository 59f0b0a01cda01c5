"""Command routes of the blueprint library: blueprints added and removed by hand."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.blueprints import BlueprintLibraryService
from domain.events import CommandMeta
from domain.industry.blueprints import BlueprintEntry
from interfaces.http.blueprints.schemas import AddBlueprint, Blueprint, BlueprintAdded, BlueprintRemoved
from interfaces.http.context import COMMAND_DEPENDENCIES


class BlueprintCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/blueprints", tags=["commands"], status_code=201, sync_to_thread=True)
    def add_blueprint(
        self,
        blueprints: NamedDependency[BlueprintLibraryService],
        data: JSONBody[AddBlueprint],
        meta: NamedDependency[CommandMeta],
    ) -> BlueprintAdded:
        """Add a blueprint the game cannot report (it gets a negative id of its own)."""
        added, position = blueprints.add(BlueprintEntry(**msgspec.structs.asdict(data)), meta)
        return BlueprintAdded(blueprint=msgspec.convert(added, Blueprint, from_attributes=True), position=position)

    @delete("/v1/blueprints/{blueprint_id:int}", tags=["commands"], status_code=200, sync_to_thread=True)
    def remove_blueprint(
        self,
        blueprints: NamedDependency[BlueprintLibraryService],
        blueprint_id: Annotated[int, PathParameter(description="A blueprint added by hand (a negative id)")],
        meta: NamedDependency[CommandMeta],
    ) -> BlueprintRemoved:
        """Remove a blueprint added by hand; one the game reports goes when it stops reporting it (422)."""
        return BlueprintRemoved(status="deleted", position=blueprints.remove(blueprint_id, meta))
