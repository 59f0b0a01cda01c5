"""The plan runs pages: every run of the user with its derived status and job summary, and a
run's jobs in their sort order with the hauls between stations. Read through the API's own
queries (``list_runs``, ``find_run``: what ``GET /v1/industry/plans/runs`` and ``.../runs/{id}``
answer); Cancel and Delete call the services of ``POST /v1/industry/plans/runs/{id}/cancel``
and ``DELETE /v1/industry/plans/{planId}/runs/{id}``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from application.system import Manufactory
from interfaces.http.catalog.queries import user_catalog
from interfaces.http.context import query_projection
from interfaces.web.acting import Refusal, acting_as, carried_out
from interfaces.web.pages import ConsoleController, form_page, not_found, page
from interfaces.web.session import csrf_checked
from projections.industry.characters import list_characters
from projections.industry.runs import RunDetail, list_runs
from projections.industry.runs import find_run as find_run_detail
from projections.users import TokenHolder

RunId = Annotated[UUID, PathParameter(description="The run's id")]
SHOWN_RUNS = 200  # the newest runs listed; older ones stay reachable by the API's paging
PROJECTION = "industry"


async def find_run(system: Manufactory, holder: TokenHolder, run_id: UUID) -> RunDetail | None:
    return await query_projection(system, PROJECTION, None, find_run_detail, holder.user_id, None, run_id)


async def runs_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    refused: tuple[UUID, Refusal] | None = None,
) -> Template:
    """The list; with a refused command, its words next to the run it concerned."""
    runs = await query_projection(system, PROJECTION, None, list_runs, holder.user_id, None, SHOWN_RUNS, 0)
    context = {"runs": runs, "shown": SHOWN_RUNS, "refused": refused}
    return page(request, "runs.html", context, status_code=refused[1].status if refused else 200)


async def run_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    run_id: UUID,
    refused: Refusal | None = None,
) -> Template:
    """A run's jobs in sort order, each with its character's name, and the hauls between stations."""
    detail = await find_run(system, holder, run_id)
    if detail is None:
        return not_found(request, "plan run")
    roster = await query_projection(system, PROJECTION, None, list_characters, holder.user_id)
    names = {job.product_type_id: job.product_name for job in detail.jobs if job.product_name}
    if detail.transport_jobs:  # the hauled materials are named by the user's catalog, as the API's step inputs
        catalog_cache = request.app.state["catalog_cache"]
        names = {**(await user_catalog(system, catalog_cache, holder.user_id, None)).names, **names}
    context = {
        "detail": detail,
        "characters": {character.character_id: character.name for character in roster},
        "names": names,
    }
    return form_page(request, "run.html", context, refused)


class RunPages(ConsoleController):
    @get("/runs")
    async def runs(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The user's runs, newest first: status, jobs done of those not cancelled, created."""
        return await runs_page(request, system, holder)

    @get("/runs/{run_id:uuid}")
    async def run(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        run_id: RunId,
    ) -> Template:
        return await run_page(request, system, holder, run_id)

    @post("/runs/{run_id:uuid}/cancel", guards=[csrf_checked], status_code=303)
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        run_id: RunId,
    ) -> Response[Any]:
        """Cancels the run's planned jobs (``PlanService.cancel_run``, as the API); back to the
        page the form was on."""
        on_detail = (await request.form()).get("from") == "run"
        done = await carried_out(lambda: system.plans.cancel_run(run_id, acting_as(holder)))
        return await after_command(request, system, holder, run_id, done, on_detail)

    @post("/runs/{run_id:uuid}/delete", guards=[csrf_checked], status_code=303)
    async def delete(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        run_id: RunId,
    ) -> Response[Any]:
        """Deletes the run (``PlanService.delete_run``, as the API); its jobs stay, unlinked.
        The run's plan is read from the run, so the form needs only the run's id."""
        on_detail = (await request.form()).get("from") == "run"
        detail = await find_run(system, holder, run_id)
        if detail is None:
            return not_found(request, "plan run")
        plan_id = detail.run.plan_id
        done = await carried_out(lambda: system.plans.delete_run(plan_id, run_id, acting_as(holder)))
        if isinstance(done, Refusal):
            return await after_command(request, system, holder, run_id, done, on_detail)
        return Redirect("/runs", status_code=303)


async def after_command(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    run_id: UUID,
    done: object,
    on_detail: bool,
) -> Response[Any]:
    if isinstance(done, Refusal):
        if done.status == 404:
            return not_found(request, "plan run")
        if on_detail:
            return await run_page(request, system, holder, run_id, refused=done)
        return await runs_page(request, system, holder, refused=(run_id, done))
    return Redirect(f"/runs/{run_id}" if on_detail else "/runs", status_code=303)
