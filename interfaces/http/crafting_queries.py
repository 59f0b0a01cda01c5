"""Query routes of crafting worlds. They read the live world in memory (never a read model),
as saved, after folding in what other processes saved to it (unless ``consistency=eventual``):
jobs complete within one tick of their end time (``POST .../catch-up`` at once)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter, QueryParameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from domain.crafting import CraftRecipe
from domain.crafting.recipes import RecipeCatalog
from domain.crafting_world import World
from interfaces.http.context import read_floor
from interfaces.http.crafting_commands import BASE, InventoryIdPath, ManagerIdPath, SeqPath, WorldIdPath, crafting_of
from interfaces.http.crafting_schemas import (
    InventoryList,
    InventoryOut,
    JobList,
    JobOut,
    JobRecordOut,
    WorldList,
    WorldOut,
)
from interfaces.http.queries import STREAM_KEEPALIVE_SEC

R = TypeVar("R")
OwnerPath = Annotated[
    str, PathParameter(description="Who jobs are for in the game (the ``owner`` of a start)", max_length=128)
]
STREAM_POLL_SEC = 0.25
ROUTE = {"tags": ["crafting"], "sync_to_thread": True}


def _read(state: State, world_id: UUID, user_id: UUID, query: Callable[[World, float], R]) -> R:
    """A read of the world, brought up to the event store first unless the request reads
    ``consistency=eventual``."""
    return crafting_of(state).read(world_id, user_id, query, current=not read_floor().eventual)


@get("/v1/crafting/worlds", **ROUTE)
def get_worlds(state: State, user_id: NamedDependency[UUID]) -> WorldList:
    return WorldList(worlds=[_read(state, w, user_id, WorldOut.of) for w in crafting_of(state).world_ids(user_id)])


@get(BASE, **ROUTE)
def get_world(state: State, user_id: NamedDependency[UUID], world_id: WorldIdPath) -> WorldOut:
    return _read(state, world_id, user_id, WorldOut.of)


@get(BASE + "/recipes", **ROUTE)
def get_recipes(
    state: State,
    user_id: NamedDependency[UUID],
    world_id: WorldIdPath,
    category: Annotated[str | None, QueryParameter(description="Only recipes of this category", max_length=64)] = None,
    output: Annotated[
        str | None, QueryParameter(description="Only recipes producing this item", max_length=128)
    ] = None,
) -> RecipeCatalog:
    """The world's recipes in registration order, as a document ``POST .../recipe-imports`` reads."""

    def query(world: World, _: float) -> RecipeCatalog:
        registry = world.registry
        recipes = registry.by_category(category) if category is not None else registry.all()
        if output is not None:
            producing = {recipe.id for recipe in registry.producing(output)}
            recipes = [recipe for recipe in recipes if recipe.id in producing]
        return RecipeCatalog(recipes=recipes)

    return _read(state, world_id, user_id, query)


@get(BASE + "/recipes/{recipe_id:str}", **ROUTE)
def get_recipe(
    state: State,
    user_id: NamedDependency[UUID],
    world_id: WorldIdPath,
    recipe_id: Annotated[str, PathParameter(description="The recipe's id", max_length=128)],
) -> CraftRecipe:
    return _read(state, world_id, user_id, lambda world, _: world.registry.get(recipe_id))


@get(BASE + "/inventories", **ROUTE)
def get_inventories(state: State, user_id: NamedDependency[UUID], world_id: WorldIdPath) -> InventoryList:
    def query(world: World, _: float) -> InventoryList:
        return InventoryList(inventories=[InventoryOut.of(world.inventory(i)) for i in world.capacities])

    return _read(state, world_id, user_id, query)


@get(BASE + "/inventories/{inventory_id:str}", **ROUTE)
def get_inventory(
    state: State, user_id: NamedDependency[UUID], world_id: WorldIdPath, inventory_id: InventoryIdPath
) -> InventoryOut:
    return _read(state, world_id, user_id, lambda world, _: InventoryOut.of(world.inventory(inventory_id)))


@get(BASE + "/managers/{manager_id:str}/jobs", **ROUTE)
def get_manager_jobs(
    state: State, user_id: NamedDependency[UUID], world_id: WorldIdPath, manager_id: ManagerIdPath
) -> JobList:
    """The manager's running jobs, oldest first."""

    def query(world: World, now: float) -> JobList:
        return JobList(jobs=[JobOut.of(job, now) for job in world.manager(manager_id).all_jobs()], now=now)

    return _read(state, world_id, user_id, query)


@get(BASE + "/managers/{manager_id:str}/jobs/{seq:int}", **ROUTE)
def get_job(
    state: State, user_id: NamedDependency[UUID], world_id: WorldIdPath, manager_id: ManagerIdPath, seq: SeqPath
) -> JobOut:
    """A running job (404 once it finished: its records are its history)."""
    return _read(state, world_id, user_id, lambda world, now: JobOut.of(world.job(manager_id, seq), now))


def _owner_jobs(world: World, now: float, owner: str) -> JobList:
    return JobList(jobs=[JobOut.of(job, now) for job in world.jobs_of(owner)], now=now)


@get(BASE + "/owners/{owner:str}/jobs", **ROUTE)
def get_owner_jobs(state: State, user_id: NamedDependency[UUID], world_id: WorldIdPath, owner: OwnerPath) -> JobList:
    """The owner's running jobs in every manager of the world."""
    return _read(state, world_id, user_id, lambda world, now: _owner_jobs(world, now, owner))


@get(BASE + "/owners/{owner:str}/events/stream", tags=["crafting"])
async def stream_owner_events(
    state: State, user_id: NamedDependency[UUID], world_id: WorldIdPath, owner: OwnerPath
) -> ServerSentEvent:
    """Server-Sent Events: the owner's running jobs on connect (event ``jobs``), then each of their
    records once saved (events ``started``, ``completed``, ``failed``, ``cancelled``). A client
    that reads too slowly loses its oldest undelivered records."""
    crafting = crafting_of(state)
    subscription = crafting.subscribe(world_id, user_id, owner)  # before the snapshot: nothing falls between
    try:
        first = await anyio.to_thread.run_sync(
            _read, state, world_id, user_id, lambda world, now: _owner_jobs(world, now, owner)
        )
    except BaseException:
        crafting.unsubscribe(world_id, subscription)
        raise

    async def messages() -> AsyncIterator[ServerSentEventMessage]:
        try:
            yield ServerSentEventMessage(data=msgspec.json.encode(first).decode(), event="jobs")
            last_message = time.monotonic()
            while True:
                records = subscription.drain()
                for record in records:
                    out = JobRecordOut.of(record)
                    yield ServerSentEventMessage(data=msgspec.json.encode(out).decode(), event=out.type)
                if records:
                    last_message = time.monotonic()
                    continue
                if time.monotonic() - last_message >= STREAM_KEEPALIVE_SEC:
                    yield ServerSentEventMessage(comment="keep-alive")
                    last_message = time.monotonic()
                await crafting.signal.changed(timeout=STREAM_POLL_SEC)
        finally:
            crafting.unsubscribe(world_id, subscription)

    return ServerSentEvent(messages())


def crafting_query_routes() -> list[HTTPRouteHandler]:
    return [
        get_worlds,
        get_world,
        get_recipes,
        get_recipe,
        get_inventories,
        get_inventory,
        get_manager_jobs,
        get_job,
        get_owner_jobs,
        stream_owner_events,
    ]
