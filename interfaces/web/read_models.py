"""The read models page, for admins: each projection's generation, position and lag behind
the event log, the rebuild under way, its last error and dead letters (what ``manufactory
projections status`` prints and an admin's ``/health`` answers), and a Rebuild button per
projection that runs ``ProjectionRunner.rebuild`` (the CLI's ``projections rebuild``) with its
progress, events applied of the log's head, shown live.

What it shows can quote any user's data, so anyone but an admin gets the not-found page, for
the page and for its form alike.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Template

from application.system import Manufactory
from interfaces.web.dashboard import health_of
from interfaces.web.operations import Following, Operation, following, started
from interfaces.web.pages import ConsoleController, not_found, page
from interfaces.web.session import csrf_checked
from projections.users import TokenHolder

ProjectionName = Annotated[str, PathParameter(description="The projection's name", max_length=100)]
WHAT = "page"  # what a non-admin is told does not exist
SHOWN_LETTERS = 200  # dead letters listed; each projection's count is in its status


async def read_models_page(
    request: Request[Any, Any, Any], system: Manufactory, operation: Operation | None = None
) -> Template:
    statuses = await anyio.to_thread.run_sync(system.projections.status)
    letters = await anyio.to_thread.run_sync(system.projections.dead_letters, None, SHOWN_LETTERS)
    context = {
        "statuses": [(status, health_of(status, admin=True)) for status in statuses],
        "letters": letters,
        "set_aside": sum(status.dead_letters for status in statuses),
        "head": statuses[0].head if statuses else 0,
        "operation": operation,
    }
    return page(request, "read_models.html", context)


class ReadModelPages(ConsoleController):
    @get("/projections")
    async def read_models(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        operation: Following = None,
    ) -> Template:
        """The projections' status; ``?operation=`` a rebuild this admin started, where it stands."""
        if not holder.admin:
            return not_found(request, WHAT)
        return await read_models_page(request, system, following(request, holder, operation))

    @post("/projections/{name:str}/rebuild", guards=[csrf_checked], status_code=303)
    async def rebuild(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        name: ProjectionName,
    ) -> Response[Any]:
        """Starts the rebuild and answers at once: the page follows its progress."""
        if not holder.admin or name not in {projection.name for projection in system.projections.selected(None)}:
            return not_found(request, WHAT)

        def work(operation: Operation) -> str:
            generation = system.projections.rebuild(name, operation.progress("applying the log's events"))
            return f"{name}: rebuilt as generation {generation} and swapped in."

        return started(request, Operation(holder.user_id, f"Rebuilding {name}"), work, "/projections")
