"""Query routes of crafting worlds. They read the live world in memory (never a read model),
as saved, after folding in what other processes saved to it (unless ``consistency=eventual``):
jobs complete within one tick of their end time (``POST .../catch-up`` at once)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from itertools import islice
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
    ManagerList,
    ManagerOut,
    WorldList,
    WorldOut,
)
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset, limit_parameter

R = TypeVar("R")


OwnerPath = Annotated[
    str, PathParameter(description="Who jobs are for in the game (the ``owner`` of a start)", max_length=128)
]


STREAM_POLL_SEC = 0.25
PROGRESS_PERIOD_SEC = 1.0  # how often a stream says how far the owner's running jobs are
STREAM_JOBS = DEFAULT_PAGE  # running jobs in a stream's ``jobs`` message and in each ``progress`` burst
WORLDS_PAGE = 100  # a world's answer lists up to WORLD_LISTED managers and inventories: smaller pages
WorldsLimit = Annotated[int, limit_parameter(WORLDS_PAGE, DEFAULT_PAGE)]


def _read(crafting: CraftingService, world_id: UUID, user_id: UUID, query: Callable[[World, float], R]) -> R:
    """A read of the world, brought up to the event store first unless the request reads
    ``consistency=eventual``."""
    return crafting.read(world_id, user_id, query, current=not read_floor().eventual)


def _owner_jobs(world: World, now: float, owner: str | None, offset: int, limit: int) -> JobList:
    """A page of the running jobs of ``owner`` (None: everyone's) in every manager, and their count."""
    jobs = world.running_jobs(owner, offset, limit)
    return JobList(jobs=[JobOut.of(job, now) for job in jobs], total=world.running_count(owner), now=now)


class CraftingQueries(Controller):
    @get("/v1/crafting/worlds", tags=["crafting"], sync_to_thread=True)
    def get_worlds(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        limit: WorldsLimit = WORLDS_PAGE,
        offset: Offset = 0,
    ) -> WorldList:
        """The user's worlds, oldest first (each lists its first inventories and managers, so a
        page holds fewer worlds by default than other lists)."""
        worlds = [_read(crafting, w, user_id, WorldOut.of) for w in crafting.world_ids(user_id, offset, limit)]
        return WorldList(worlds=worlds, total=crafting.world_count(user_id))

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
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> InventoryList:
        """The world's inventories in creation order."""

        def query(world: World, _: float) -> InventoryList:
            page = islice(world.capacities, offset, offset + limit)
            return InventoryList(
                inventories=[InventoryOut.of(world.inventory(i)) for i in page], total=len(world.capacities)
            )

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

    @get(BASE + "/managers", tags=["crafting"], sync_to_thread=True)
    def get_managers(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> ManagerList:
        """The world's managers in creation order (a world's answer lists only the first)."""

        def query(world: World, _: float) -> ManagerList:
            managers = world.managers
            page = [ManagerOut.of(world, manager) for manager in managers[offset : offset + limit]]
            return ManagerList(managers=page, total=len(managers))

        return _read(crafting, world_id, user_id, query)

    @get(BASE + "/managers/{manager_id:str}/jobs", tags=["crafting"], sync_to_thread=True)
    def get_manager_jobs(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        manager_id: ManagerIdPath,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> JobList:
        """The manager's running jobs, oldest first."""

        def query(world: World, now: float) -> JobList:
            manager = world.manager(manager_id)
            jobs = [JobOut.of(job, now) for job in manager.jobs(None, offset, limit)]
            return JobList(jobs=jobs, total=manager.job_count(), now=now)

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
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> JobList:
        """The owner's running jobs in every manager of the world, by manager in creation order
        and each manager's oldest first."""
        return _read(crafting, world_id, user_id, lambda world, now: _owner_jobs(world, now, owner, offset, limit))

    @get(BASE + "/owners/{owner:str}/events/stream", tags=["crafting"])
    async def stream_owner_events(
        self,
        crafting: NamedDependency[CraftingService],
        user_id: NamedDependency[UUID],
        world_id: WorldIdPath,
        owner: OwnerPath,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: the owner's running jobs on connect (event ``jobs``: the first 1000,
        as ``GET .../owners/{owner}/jobs`` pages them, and ``total``), then each of their records once
        saved (events ``started``, ``completed``, ``failed``, ``cancelled``), and every second while
        they have jobs running, how far the first 1000 are (event ``progress``, not saved).

        Every message but ``progress`` carries an ``id`` (the world's version it reached); a
        reconnect with ``Last-Event-ID`` gets the records saved after it, nothing twice, instead
        of the running jobs."""
        return await job_events(crafting, user_id, world_id, owner, last_event_id, STREAM_JOBS)


async def job_events(
    crafting: CraftingService,
    user_id: UUID,
    world_id: UUID,
    owner: str | None,
    last_event_id: int | None,
    shown: int,
) -> ServerSentEvent:
    """The job events of ``owner`` (None: everyone's) in the user's world, as the owner stream
    sends them, with the first ``shown`` running jobs in the ``jobs`` message and each
    ``progress`` burst (an owner may run any number of jobs; the records of each are sent
    whatever it is); the console's world page watches every owner's this way."""
    cursor, jobs = await anyio.to_thread.run_sync(
        _read, crafting, world_id, user_id, lambda world, now: (world.version, _owner_jobs(world, now, owner, 0, shown))
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
                for record in await anyio.to_thread.run_sync(crafting.progress, world_id, user_id, owner, shown):
                    out = JobRecordOut.of(record)
                    yield ServerSentEventMessage(data=msgspec.json.encode(out).decode(), event=out.type)
                    last_message = time.monotonic()
            if time.monotonic() - last_message >= STREAM_KEEPALIVE_SEC:
                yield ServerSentEventMessage(comment="keep-alive")
                last_message = time.monotonic()
            if version - before < RECORDS_PAGE:  # else more may be waiting: read on at once
                await crafting.signal.changed(timeout=STREAM_POLL_SEC)

    return ServerSentEvent(messages())
