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
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from application.crafting import RECORDS_PAGE, CraftingService
from domain.crafting import CraftRecipe
from domain.crafting.recipes import RecipeCatalog
from domain.crafting_world import World
from interfaces.http.context import STREAM_KEEPALIVE_SEC, LastEventId, read_floor
from interfaces.http.crafting.commands import BASE, InventoryIdPath, ManagerIdPath, SeqPath, WorldIdPath
from interfaces.http.crafting.schemas import (
    InventoryList,
    InventoryOut,
    JobList,
    JobOut,
    JobRecordOut,
    WorldList,
    WorldOut,
)

R = TypeVar("R")


OwnerPath = Annotated[
    str, PathParameter(description="Who jobs are for in the game (the ``owner`` of a start)", max_length=128)
]


STREAM_POLL_SEC = 0.25
PROGRESS_PERIOD_SEC = 1.0  # how often a stream says how far the owner's running jobs are


def _read(crafting: CraftingService, world_id: UUID, user_id: UUID, query: Callable[[World, float], R]) -> R:
    """A read of the world, brought up to the event store first unless the request reads
    ``consistency=eventual``."""
    return crafting.read(world_id, user_id, query, current=not read_floor().eventual)


def _owner_jobs(world: World, now: float, owner: str | None) -> JobList:
    """The running jobs of ``owner`` (None: everyone's) in every manager."""
    jobs = world.jobs_of(owner) if owner is not None else [job for m in world.managers for job in m.all_jobs()]
    return JobList(jobs=[JobOut.of(job, now) for job in jobs], now=now)


class CraftingQueries(Controller):
    @get("/v1/crafting/worlds", tags=["crafting"], sync_to_thread=True)
    def get_worlds(self, crafting: NamedDependency[CraftingService], user_id: NamedDependency[UUID]) -> WorldList:
        return WorldList(worlds=[_read(crafting, w, user_id, WorldOut.of) for w in crafting.world_ids(user_id)])

    @get(BASE, tags=["crafting"], sync_to_thread=True)
    def get_world(
        self, crafting: NamedDependency[CraftingService], user_id: NamedDependency[UUID], world_id: WorldIdPath
    ) -> WorldOut:
        return _read(crafting, world_id, user_id, WorldOut.of)

    @get(BASE + "/recipes", tags=["crafting"], sync_to_thread=True)
    def get_recipes(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        category: Annotated[
            str | None, QueryParameter(description="Only recipes of this category", max_length=64)
        ] = None,
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

        return _read(crafting, world_id, user_id, query)

    @get(BASE + "/recipes/{recipe_id:str}", tags=["crafting"], sync_to_thread=True)
    def get_recipe(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        recipe_id: Annotated[str, PathParameter(description="The recipe's id", max_length=128)],
    ) -> CraftRecipe:
        return _read(crafting, world_id, user_id, lambda world, _: world.registry.get(recipe_id))

    @get(BASE + "/inventories", tags=["crafting"], sync_to_thread=True)
    def get_inventories(
        self, crafting: NamedDependency[CraftingService], user_id: NamedDependency[UUID], world_id: WorldIdPath
    ) -> InventoryList:
        def query(world: World, _: float) -> InventoryList:
            return InventoryList(inventories=[InventoryOut.of(world.inventory(i)) for i in world.capacities])

        return _read(crafting, world_id, user_id, query)

    @get(BASE + "/inventories/{inventory_id:str}", tags=["crafting"], sync_to_thread=True)
    def get_inventory(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        inventory_id: InventoryIdPath,
    ) -> InventoryOut:
        return _read(crafting, world_id, user_id, lambda world, _: InventoryOut.of(world.inventory(inventory_id)))

    @get(BASE + "/managers/{manager_id:str}/jobs", tags=["crafting"], sync_to_thread=True)
    def get_manager_jobs(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        manager_id: ManagerIdPath,
    ) -> JobList:
        """The manager's running jobs, oldest first."""

        def query(world: World, now: float) -> JobList:
            return JobList(jobs=[JobOut.of(job, now) for job in world.manager(manager_id).all_jobs()], now=now)

        return _read(crafting, world_id, user_id, query)

    @get(BASE + "/managers/{manager_id:str}/jobs/{seq:int}", tags=["crafting"], sync_to_thread=True)
    def get_job(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        manager_id: ManagerIdPath,
        seq: SeqPath,
    ) -> JobOut:
        """A running job (404 once it finished: its records are its history)."""
        return _read(crafting, world_id, user_id, lambda world, now: JobOut.of(world.job(manager_id, seq), now))

    @get(BASE + "/owners/{owner:str}/jobs", tags=["crafting"], sync_to_thread=True)
    def get_owner_jobs(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        owner: OwnerPath,
    ) -> JobList:
        """The owner's running jobs in every manager of the world."""
        return _read(crafting, world_id, user_id, lambda world, now: _owner_jobs(world, now, owner))

    @get(BASE + "/owners/{owner:str}/events/stream", tags=["crafting"])
    async def stream_owner_events(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        owner: OwnerPath,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: the owner's running jobs on connect (event ``jobs``), then each of their
        records once saved (events ``started``, ``completed``, ``failed``, ``cancelled``), and every
        second while they have jobs running, how far each is (event ``progress``, not saved).

        Every message but ``progress`` carries an ``id`` (the world's version it reached); a
        reconnect with ``Last-Event-ID`` gets the records saved after it, nothing twice, instead
        of the running jobs."""
        return await job_events(crafting, user_id, world_id, owner, last_event_id)


async def job_events(
    crafting: CraftingService, user_id: UUID, world_id: UUID, owner: str | None, last_event_id: int | None
) -> ServerSentEvent:
    """The job events of ``owner`` (None: everyone's) in the user's world, as the owner stream
    sends them; the console's world page watches every owner's this way."""
    cursor, jobs = await anyio.to_thread.run_sync(
        _read, crafting, world_id, user_id, lambda world, now: (world.version, _owner_jobs(world, now, owner))
    )
    first: JobList | None = jobs
    if last_event_id is not None and last_event_id <= cursor:  # else not this world's id: start afresh
        cursor, first = last_event_id, None

    async def messages() -> AsyncIterator[ServerSentEventMessage]:
        version = cursor
        if first is not None:
            yield ServerSentEventMessage(data=msgspec.json.encode(first).decode(), event="jobs", id=str(version))
        last_message = last_progress = time.monotonic()
        while True:
            before = version
            records, version = await anyio.to_thread.run_sync(crafting.records_after, world_id, user_id, owner, version)
            for at, record in records:
                out = JobRecordOut.of(record)
                yield ServerSentEventMessage(data=msgspec.json.encode(out).decode(), event=out.type, id=str(at))
                last_message = time.monotonic()
            if time.monotonic() - last_progress >= PROGRESS_PERIOD_SEC:
                last_progress = time.monotonic()
                for record in await anyio.to_thread.run_sync(crafting.progress, world_id, user_id, owner):
                    out = JobRecordOut.of(record)
                    yield ServerSentEventMessage(data=msgspec.json.encode(out).decode(), event=out.type)
                    last_message = time.monotonic()
            if time.monotonic() - last_message >= STREAM_KEEPALIVE_SEC:
                yield ServerSentEventMessage(comment="keep-alive")
                last_message = time.monotonic()
            if version - before < RECORDS_PAGE:  # else more may be waiting: read on at once
                await crafting.signal.changed(timeout=STREAM_POLL_SEC)

    return ServerSentEvent(messages())
