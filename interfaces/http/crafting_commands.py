"""Command routes of crafting worlds: recipes, inventories, managers and jobs.

Each command first completes the world's jobs due by now, then acts, then answers with what
it did and the log ``position`` of the save.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, PathParameter, QueryParameter

from application.crafting import CraftingService
from domain.crafting import CraftRecipe
from domain.crafting.recipes import CATALOG_FORMAT, RecipeCatalog
from domain.crafting_world import World
from domain.errors import InvalidInput
from domain.events import CommandMeta
from domain.limits import INT64_MAX
from interfaces.http.commands import COMMAND_DEPENDENCIES
from interfaces.http.context import system_of
from interfaces.http.crafting_schemas import (
    CancelJob,
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
SeqPath = Annotated[
    int, PathParameter(description="The job's number in its manager (job id 'manager#seq')", ge=1, le=INT64_MAX)
]
Replace = Annotated[bool, QueryParameter(description="Replace recipes whose id is taken (else 409)")]

ROUTE = {"tags": ["crafting"], "dependencies": COMMAND_DEPENDENCIES, "sync_to_thread": True}
BASE = "/v1/crafting/worlds/{world_id:uuid}"


def crafting_of(state: State) -> CraftingService:
    return system_of(state).crafting


@post("/v1/crafting/worlds", status_code=201, **ROUTE)
def create_world(state: State, data: JSONBody[CreateWorld], meta: NamedDependency[CommandMeta]) -> WorldChanged:
    """A world of your own: its recipes, inventories and production managers."""
    crafting = crafting_of(state)
    world_id, position = crafting.create_world(data.name, data.seed, meta)
    return WorldChanged(world=crafting.read(world_id, meta.user_id, WorldOut.of), position=position)


@post(BASE + "/catch-up", status_code=200, **ROUTE)
def catch_up(state: State, world_id: WorldIdPath, meta: NamedDependency[CommandMeta]) -> WorldChanged:
    """Complete every job due by now at once (the ticker does it within a tick anyway)."""
    world, position = crafting_of(state).command(world_id, meta, WorldOut.of)
    return WorldChanged(world=world, position=position)


def _register(
    state: State, world_id: UUID, recipes: list[CraftRecipe], replace: bool, meta: CommandMeta
) -> RecipesChanged:
    def decide(world: World, _: float) -> list[CraftRecipe]:
        return world.register_recipes(recipes, replace=replace, meta=meta)

    registered, position = crafting_of(state).command(world_id, meta, decide)
    return RecipesChanged(recipes=registered, position=position)


@post(BASE + "/recipes", status_code=201, **ROUTE)
def register_recipe(
    state: State,
    world_id: WorldIdPath,
    data: JSONBody[CraftRecipe],
    meta: NamedDependency[CommandMeta],
    replace: Replace = False,
) -> RecipesChanged:
    """Register one recipe (validated: positive quantities, probabilities in (0, 1], ...)."""
    return _register(state, world_id, [data], replace, meta)


@post(BASE + "/recipe-imports", status_code=201, **ROUTE)
def import_recipes(
    state: State,
    world_id: WorldIdPath,
    data: JSONBody[RecipeCatalog],
    meta: NamedDependency[CommandMeta],
    replace: Replace = False,
) -> RecipesChanged:
    """Register many recipes, all or none: the document ``GET .../recipes`` exports."""
    if data.format != CATALOG_FORMAT:
        raise InvalidInput(f"recipe catalog format {data.format} is not {CATALOG_FORMAT}", "format")
    return _register(state, world_id, data.recipes, replace, meta)


@post(BASE + "/inventories", status_code=201, **ROUTE)
def create_inventory(
    state: State, world_id: WorldIdPath, data: JSONBody[CreateInventory], meta: NamedDependency[CommandMeta]
) -> InventoryChanged:
    """An inventory, empty or with ``items``, with or without a capacity (total items)."""
    view, position = crafting_of(state).command(
        world_id, meta, lambda world, _: world.create_inventory(data.inventory_id, data.capacity, data.items, meta)
    )
    return InventoryChanged(inventory=InventoryOut.of(view), position=position)


@post(BASE + "/inventories/{inventory_id:str}/add", status_code=200, **ROUTE)
def add_items(
    state: State,
    world_id: WorldIdPath,
    inventory_id: InventoryIdPath,
    data: JSONBody[ChangeItems],
    meta: NamedDependency[CommandMeta],
) -> InventoryChanged:
    """Add every item, or none if they would exceed the capacity (422)."""
    view, position = crafting_of(state).command(
        world_id, meta, lambda world, _: world.add_items(inventory_id, data.items, meta)
    )
    return InventoryChanged(inventory=InventoryOut.of(view), position=position)


@post(BASE + "/inventories/{inventory_id:str}/remove", status_code=200, **ROUTE)
def remove_items(
    state: State,
    world_id: WorldIdPath,
    inventory_id: InventoryIdPath,
    data: JSONBody[ChangeItems],
    meta: NamedDependency[CommandMeta],
) -> InventoryChanged:
    """Remove every item, or none if one is short (422)."""
    view, position = crafting_of(state).command(
        world_id, meta, lambda world, _: world.remove_items(inventory_id, data.items, meta)
    )
    return InventoryChanged(inventory=InventoryOut.of(view), position=position)


@post(BASE + "/managers", status_code=201, **ROUTE)
def create_manager(
    state: State, world_id: WorldIdPath, data: JSONBody[CreateManager], meta: NamedDependency[CommandMeta]
) -> ManagerChanged:
    """A production manager (a building, a chunk, a station) with the modifiers it grants."""

    def decide(world: World, _: float) -> ManagerOut:
        return ManagerOut.of(world, world.create_manager(data.manager_id, [g.engine() for g in data.grants], meta))

    manager, position = crafting_of(state).command(world_id, meta, decide)
    return ManagerChanged(manager=manager, position=position)


@post(BASE + "/managers/{manager_id:str}/jobs", status_code=201, **ROUTE)
def start_job(
    state: State,
    world_id: WorldIdPath,
    manager_id: ManagerIdPath,
    data: JSONBody[StartJob],
    meta: NamedDependency[CommandMeta],
) -> JobStartedOut:
    """Take the inputs from the inventory at once (all or nothing; tools are checked, not taken)
    and start the job; ``repeat`` restarts it after each cycle while the inputs last."""

    def decide(world: World, now: float) -> tuple[JobOut | None, list[JobRecordOut]]:
        records = world.start(
            manager_id,
            data.recipe_id,
            data.owner,
            data.inventory_id,
            now,
            meta,
            repeat=data.repeat,
            modifiers=data.modifiers.engine() if data.modifiers else None,
            context=data.context,
        )
        job = world.manager(manager_id).get_job(records[0].job_id)
        return JobOut.of(job, now) if job else None, [JobRecordOut.of(record) for record in records]

    (job, records), position = crafting_of(state).command(world_id, meta, decide)
    return JobStartedOut(job=job, records=records, position=position)


@post(BASE + "/managers/{manager_id:str}/jobs/{seq:int}/cancel", status_code=200, **ROUTE)
def cancel_job(
    state: State,
    world_id: WorldIdPath,
    manager_id: ManagerIdPath,
    seq: SeqPath,
    data: JSONBody[CancelJob],
    meta: NamedDependency[CommandMeta],
) -> JobCancelledOut:
    """Stop a running job and give back ``full``ly, ``proportional``ly to the time left, or
    ``none`` of what its current cycle consumed: refund and cancel are one step."""
    record, position = crafting_of(state).command(
        world_id, meta, lambda world, now: world.cancel(manager_id, seq, now, data.refund, meta)
    )
    return JobCancelledOut(record=JobRecordOut.of(record), position=position)


def crafting_command_routes() -> list[HTTPRouteHandler]:
    return [
        create_world,
        catch_up,
        register_recipe,
        import_recipes,
        create_inventory,
        add_items,
        remove_items,
        create_manager,
        start_job,
        cancel_job,
    ]
