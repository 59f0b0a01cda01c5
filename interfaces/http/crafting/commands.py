"""Command routes of crafting worlds: recipes, inventories, managers and jobs.

Each command first completes the world's jobs due by now, then acts, then answers with what
it did and the log ``position`` of the save."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from application.crafting import CraftingService
from domain.crafting import CraftRecipe
from domain.crafting.recipes import CATALOG_FORMAT, RecipeCatalog
from domain.errors import InvalidInput
from domain.events import CommandMeta
from domain.limits import INT64_MAX
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.crafting.schemas import (
    CancelJob,
    ChangeGrants,
    ChangeItems,
    CreateInventory,
    CreateManager,
    CreateWorld,
    InventoryChanged,
    InventoryOut,
    JobCancelledOut,
    JobOut,
    JobRecordOut,
    JobStartedOut,
    ManagerChanged,
    ManagerOut,
    RecipesChanged,
    StartJob,
    WorldChanged,
    WorldOut,
)

WorldIdPath = Annotated[UUID, PathParameter(description="The world's id")]


ManagerIdPath = Annotated[str, PathParameter(description="A production manager of the world", max_length=128)]


InventoryIdPath = Annotated[str, PathParameter(description="An inventory of the world", max_length=128)]


GrantIndexPath = Annotated[
    int, PathParameter(description="The grant's place in the manager's grants (0 is the first)", ge=0, le=INT64_MAX)
]


SeqPath = Annotated[
    int, PathParameter(description="The job's number in its manager (job id 'manager#seq')", ge=1, le=INT64_MAX)
]


Replace = Annotated[bool, QueryParameter(description="Replace recipes whose id is taken (else 409)")]


BASE = "/v1/crafting/worlds/{world_id:uuid}"


class CraftingCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/crafting/worlds", tags=["crafting"], status_code=201, sync_to_thread=True)
    def create_world(
        self,
        crafting: NamedDependency[CraftingService],
        data: JSONBody[CreateWorld],
        meta: NamedDependency[CommandMeta],
    ) -> WorldChanged:
        """A world of your own: its recipes, inventories and production managers."""
        world_id, position = crafting.create_world(data.name, data.seed, meta)
        return WorldChanged(world=crafting.read(world_id, meta.user_id, WorldOut.of), position=position)

    @post(BASE + "/catch-up", tags=["crafting"], status_code=200, sync_to_thread=True)
    def catch_up(
        self, crafting: NamedDependency[CraftingService], world_id: WorldIdPath, meta: NamedDependency[CommandMeta]
    ) -> WorldChanged:
        """Complete every job due by now at once (the ticker does it within a tick anyway)."""
        world, position = crafting.catch_up(world_id, meta, WorldOut.of)
        return WorldChanged(world=world, position=position)

    @post(BASE + "/recipes", tags=["crafting"], status_code=201, sync_to_thread=True)
    def register_recipe(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        data: JSONBody[CraftRecipe],
        meta: NamedDependency[CommandMeta],
        replace: Replace = False,
    ) -> RecipesChanged:
        """Register one recipe (validated: positive quantities, probabilities in (0, 1], ...)."""
        registered, position = crafting.register_recipes(world_id, [data], replace, meta)
        return RecipesChanged(recipes=registered, position=position)

    @post(BASE + "/recipe-imports", tags=["crafting"], status_code=201, sync_to_thread=True)
    def import_recipes(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        data: JSONBody[RecipeCatalog],
        meta: NamedDependency[CommandMeta],
        replace: Replace = False,
    ) -> RecipesChanged:
        """Register many recipes, all or none: the document ``GET .../recipes`` exports."""
        if data.format != CATALOG_FORMAT:
            raise InvalidInput(f"recipe catalog format {data.format} is not {CATALOG_FORMAT}", "format")
        registered, position = crafting.register_recipes(world_id, data.recipes, replace, meta)
        return RecipesChanged(recipes=registered, position=position)

    @post(BASE + "/inventories", tags=["crafting"], status_code=201, sync_to_thread=True)
    def create_inventory(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        data: JSONBody[CreateInventory],
        meta: NamedDependency[CommandMeta],
    ) -> InventoryChanged:
        """An inventory, empty or with ``items``, with or without a capacity (total items)."""
        view, position = crafting.create_inventory(world_id, data.inventory_id, data.capacity, data.items, meta)
        return InventoryChanged(inventory=InventoryOut.of(view), position=position)

    @post(BASE + "/inventories/{inventory_id:str}/add", tags=["crafting"], status_code=200, sync_to_thread=True)
    def add_items(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        inventory_id: InventoryIdPath,
        data: JSONBody[ChangeItems],
        meta: NamedDependency[CommandMeta],
    ) -> InventoryChanged:
        """Add every item, or none if they would exceed the capacity (422)."""
        view, position = crafting.add_items(world_id, inventory_id, data.items, meta)
        return InventoryChanged(inventory=InventoryOut.of(view), position=position)

    @post(BASE + "/inventories/{inventory_id:str}/remove", tags=["crafting"], status_code=200, sync_to_thread=True)
    def remove_items(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        inventory_id: InventoryIdPath,
        data: JSONBody[ChangeItems],
        meta: NamedDependency[CommandMeta],
    ) -> InventoryChanged:
        """Remove every item, or none if one is short (422)."""
        view, position = crafting.remove_items(world_id, inventory_id, data.items, meta)
        return InventoryChanged(inventory=InventoryOut.of(view), position=position)

    @post(BASE + "/managers", tags=["crafting"], status_code=201, sync_to_thread=True)
    def create_manager(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        data: JSONBody[CreateManager],
        meta: NamedDependency[CommandMeta],
    ) -> ManagerChanged:
        """A production manager (a building, a chunk, a station) with the modifiers it grants."""

        grants = [grant.engine() for grant in data.grants]
        manager, position = crafting.create_manager(world_id, data.manager_id, grants, meta, ManagerOut.of)
        return ManagerChanged(manager=manager, position=position)

    @post(BASE + "/managers/{manager_id:str}/grants", tags=["crafting"], status_code=200, sync_to_thread=True)
    def change_grants(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        manager_id: ManagerIdPath,
        data: JSONBody[ChangeGrants],
        meta: NamedDependency[CommandMeta],
    ) -> ManagerChanged:
        """Replace the modifiers the manager grants (``[]``: none) for the jobs it starts from now
        on; running jobs keep the modifiers they started with."""
        grants = [grant.engine() for grant in data.grants]
        manager, position = crafting.change_grants(world_id, manager_id, grants, meta, ManagerOut.of)
        return ManagerChanged(manager=manager, position=position)

    @post(
        BASE + "/managers/{manager_id:str}/grants/{grant_index:int}/remove",
        tags=["crafting"],
        status_code=200,
        sync_to_thread=True,
    )
    def remove_grant(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        manager_id: ManagerIdPath,
        grant_index: GrantIndexPath,
        meta: NamedDependency[CommandMeta],
    ) -> ManagerChanged:
        """Stop granting one of the manager's grants (by its place in ``grants``) to new jobs."""
        manager, position = crafting.remove_grant(world_id, manager_id, grant_index, meta, ManagerOut.of)
        return ManagerChanged(manager=manager, position=position)

    @post(BASE + "/managers/{manager_id:str}/jobs", tags=["crafting"], status_code=201, sync_to_thread=True)
    def start_job(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        manager_id: ManagerIdPath,
        data: JSONBody[StartJob],
        meta: NamedDependency[CommandMeta],
    ) -> JobStartedOut:
        """Take the inputs from the inventory at once (all or nothing; tools are checked, not taken)
        and start the job; ``repeat`` restarts it after each cycle while the inputs last."""

        started, position = crafting.start_job(
            world_id,
            manager_id,
            data.recipe_id,
            data.owner,
            data.inventory_id,
            meta,
            repeat=data.repeat,
            modifiers=data.modifiers.engine() if data.modifiers else None,
            context=data.context,
        )
        job = JobOut.of(started.job, started.now) if started.job else None
        records = [JobRecordOut.of(record) for record in started.records]
        return JobStartedOut(job=job, records=records, position=position)

    @post(
        BASE + "/managers/{manager_id:str}/jobs/{seq:int}/cancel",
        tags=["crafting"],
        status_code=200,
        sync_to_thread=True,
    )
    def cancel_job(
        self,
        crafting: NamedDependency[CraftingService],
        world_id: WorldIdPath,
        manager_id: ManagerIdPath,
        seq: SeqPath,
        data: JSONBody[CancelJob],
        meta: NamedDependency[CommandMeta],
    ) -> JobCancelledOut:
        """Stop a running job and give back ``full``ly, ``proportional``ly to the time left, or
        ``none`` of what its current cycle consumed: refund and cancel are one step."""
        record, position = crafting.cancel_job(world_id, manager_id, seq, data.refund, meta)
        return JobCancelledOut(record=JobRecordOut.of(record), position=position)
