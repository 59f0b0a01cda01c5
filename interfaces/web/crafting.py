"""The crafting worlds pages: the user's worlds (what ``GET /v1/crafting/worlds`` answers), and a
world's managers with their grants, its running jobs with progress bars, its inventories and
its recipes, read as the API's queries read them (``CraftingService.read``, the same answers).

Each list shows its first ``SHOWN`` rows (a world's managers: the ``WORLD_LISTED`` its answer
lists) and counts them all; the API's paging reaches the rest.

A world's page is live: ``/crafting/{id}/stream`` is the API's job event stream for every owner
of the world (``job_events``). ``crafting.js`` moves each job's bar on the stream's periodic
``progress`` events and reads the page's sections again when a job starts, completes, fails or
is cancelled (its inventory changed too).
"""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import ServerSentEvent, Template

from application.crafting import CraftingService
from domain.crafting import CraftRecipe
from domain.crafting_world import World
from domain.errors import NotFound
from interfaces.http.context import LastEventId
from interfaces.http.crafting.queries import job_events
from interfaces.http.crafting.schemas import InventoryOut, JobOut, WorldList, WorldOut
from interfaces.web.pages import ConsoleController, not_found, page
from projections.users import TokenHolder

WorldId = Annotated[UUID, PathParameter(description="The world's id")]
SHOWN = 200  # worlds, running jobs and inventories a page lists; the others stay reachable by the API's paging


class WorldPage(msgspec.Struct, frozen=True, kw_only=True):
    """What a world's page shows, read at one moment under the world's lock: the first
    ``SHOWN`` running jobs and inventories (``world`` counts them all)."""

    world: WorldOut
    jobs: list[JobOut]
    inventories: list[InventoryOut]
    recipes: list[CraftRecipe]


def world_page_of(world: World, now: float) -> WorldPage:
    return WorldPage(
        world=WorldOut.of(world, now),
        jobs=[JobOut.of(job, now) for job in world.running_jobs(None, 0, SHOWN)],
        inventories=[InventoryOut.of(world.inventory(i)) for i in islice(world.capacities, SHOWN)],
        recipes=world.registry.all(),
    )


async def read_world(crafting: CraftingService, holder: TokenHolder, world_id: UUID) -> WorldPage | None:
    """The user's world as its page shows it; None for another user's world or none at all."""
    try:
        return await anyio.to_thread.run_sync(crafting.read, world_id, holder.user_id, world_page_of)
    except NotFound:
        return None


def list_worlds(crafting: CraftingService, holder: TokenHolder) -> WorldList:
    """The user's oldest ``SHOWN`` worlds, and how many there are."""
    shown = crafting.world_ids(holder.user_id, 0, SHOWN)
    worlds = [crafting.read(world_id, holder.user_id, WorldOut.of) for world_id in shown]
    return WorldList(worlds=worlds, total=crafting.world_count(holder.user_id))


class CraftingPages(ConsoleController):
    @get("/crafting")
    async def worlds(
        self,
        request: Request[Any, Any, Any],
        crafting: NamedDependency[CraftingService],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The user's worlds, with their managers, inventories and recipes counted."""
        listed = await anyio.to_thread.run_sync(list_worlds, crafting, holder)
        return page(request, "crafting_worlds.html", {"listed": listed, "limit": SHOWN})

    @get("/crafting/{world_id:uuid}")
    async def world(
        self,
        request: Request[Any, Any, Any],
        crafting: NamedDependency[CraftingService],
        holder: NamedDependency[TokenHolder],
        world_id: WorldId,
    ) -> Template:
        shown = await read_world(crafting, holder, world_id)
        if shown is None:
            return not_found(request, "crafting world")
        return page(request, "crafting_world.html", {"shown": shown, "limit": SHOWN})

    @get("/crafting/{world_id:uuid}/sections")
    async def sections(
        self,
        request: Request[Any, Any, Any],
        crafting: NamedDependency[CraftingService],
        holder: NamedDependency[TokenHolder],
        world_id: WorldId,
    ) -> Template:
        """The world's live sections alone: what ``crafting.js`` swaps in when a job's life moves on."""
        shown = await read_world(crafting, holder, world_id)
        if shown is None:
            return not_found(request, "crafting world")
        return page(request, "crafting_sections.html", {"shown": shown, "limit": SHOWN})

    @get("/crafting/{world_id:uuid}/stream")
    async def stream(
        self,
        crafting: NamedDependency[CraftingService],
        holder: NamedDependency[TokenHolder],
        world_id: WorldId,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """The API's job event stream of every owner in the world (as ``.../owners/{owner}/events/stream``),
        with progress for the running jobs the page shows."""
        return await job_events(crafting, holder.user_id, world_id, None, last_event_id, SHOWN)
