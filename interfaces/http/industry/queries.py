"""Query routes of plans, plan runs, the job queue and characters (the industry read model).

A plan as of an older version is the one exception: it is replayed from the plan's events."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Response

from application.system import Manufactory
from domain.catalog.chains import CatalogSnapshot
from domain.errors import NotFound
from domain.industry.generation import SkippedItem
from domain.industry.jobs import JobMaterial
from domain.industry.shopping import RunJobNeeds, run_purchases
from domain.industry.step_materials import children_by_material, input_recipes, step_inputs
from domain.limits import INT32_MAX, INT64_MAX
from interfaces.http.catalog.queries import TypeIdPath, user_catalog
from interfaces.http.context import MinPosition, query_projection
from interfaces.http.industry.commands import JobIdPath, PlanIdPath, RunIdPath, StepIdPath, plan_out
from interfaces.http.industry.schemas import (
    Board,
    CharacterOut,
    CharacterSlots,
    JobView,
    PendingOutput,
    PlanOut,
    PlanProfit,
    PlanSummary,
    RunDetailOut,
    RunView,
    StepInputsOut,
    steps_out,
)
from interfaces.http.paging import DEFAULT_PAGE, MAX_PAGE, Limit, Offset
from interfaces.http.shopping import (
    FormatQuery,
    LocationQuery,
    RegionQuery,
    RunShoppingListOut,
    ShoppingListOperation,
    answer,
    held_at,
    shopping,
)
from projections.blueprints import owned_blueprint_types
from projections.cache import ReadCache
from projections.industry.board import character_slots, job_board
from projections.industry.characters import list_characters
from projections.industry.jobs import find_job, list_jobs, pending_output
from projections.industry.plans import find_plan, list_plans
from projections.industry.runs import find_run, list_runs, plan_profit
from projections.readmodel import Attributes

PROJECTION = "industry"
JobMaterials = tuple[JobMaterial, ...]

CharacterIdQuery = Annotated[int | None, QueryParameter(name="characterId", ge=1, le=INT64_MAX)]

JobStatusQuery = Annotated[
    Literal["planned", "active", "ready", "completed", "cancelled"] | None,
    QueryParameter(description="Only jobs in this status (ready: active past its end, waiting to be delivered)"),
]


def plan_as_of(system: Manufactory, user_id: UUID, plan_id: UUID, version: int) -> PlanOut:
    """The plan as it was at ``version``, replayed from its events (the API's ``?version=N``
    and the console's history page)."""
    plan = system.plans.load(plan_id, user_id, version)
    if plan.version < version:
        raise NotFound(f"the plan has no version {version} (it is at {plan.version})", "version")
    return plan_out(system, plan)


async def current_plan(
    system: Manufactory,
    catalog_cache: ReadCache[CatalogSnapshot],
    user_id: UUID,
    plan_id: UUID,
    min_position: int | None,
) -> PlanOut:
    """The plan as the read model has it now, its steps with their materials marked make or
    buy (the API's plan and the console's plan page); another user's plan is not found."""
    found = await query_projection(system, PROJECTION, min_position, find_plan, user_id, plan_id)
    if found is None:
        raise NotFound("plan not found", "plan_id")
    snapshot = await user_catalog(system, catalog_cache, user_id, min_position)
    summary = found.plan
    return PlanOut(
        **{name: getattr(summary, name) for name in summary.__struct_fields__},
        steps=steps_out(found.steps, snapshot.graph, snapshot.names),
    )


async def job_queue(
    system: Manufactory,
    user_id: UUID,
    status: str | None,
    character_id: int | None,
    limit: int,
    offset: int,
    min_position: int | None,
) -> list[JobView]:
    """A page of the user's jobs, deepest dependencies first (the industry and workflow lists)."""
    jobs = await query_projection(
        system,
        PROJECTION,
        min_position,
        list_jobs,
        user_id,
        status=status,
        character_id=character_id,
        limit=limit,
        offset=offset,
    )
    return msgspec.convert(jobs, list[JobView], from_attributes=True)


class IndustryQueries(Controller):
    @get("/v1/industry/plans", tags=["queries"])
    async def get_plans(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[PlanSummary]:
        """Your plans by name, a page at a time."""
        found = await query_projection(system, PROJECTION, min_position, list_plans, user_id, None, limit, offset)
        return msgspec.convert(found, list[PlanSummary], from_attributes=True)

    @get("/v1/industry/plans/by-product/{type_id:int}", tags=["queries"])
    async def get_plans_by_product(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[PlanSummary]:
        """Plans that produce this type (the stockpile plan selector)."""
        found = await query_projection(system, PROJECTION, min_position, list_plans, user_id, type_id, limit, offset)
        return msgspec.convert(found, list[PlanSummary], from_attributes=True)

    @get("/v1/industry/plans/{plan_id:uuid}", tags=["queries"])
    async def get_plan(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        plan_id: PlanIdPath,
        version: Annotated[
            int | None, QueryParameter(ge=1, le=INT32_MAX, description="The plan as of this version")
        ] = None,
        min_position: MinPosition = None,
    ) -> PlanOut:
        """The plan with its step tree, each step's materials marked make or buy."""
        if version is not None:
            return await anyio.to_thread.run_sync(plan_as_of, system, user_id, plan_id, version)
        return await current_plan(system, catalog_cache, user_id, plan_id, min_position)

    @get("/v1/industry/plans/{plan_id:uuid}/steps/{step_id:int}/materials", tags=["queries"])
    async def get_step_materials(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        plan_id: PlanIdPath,
        step_id: StepIdPath,
        runs: Annotated[
            int | None,
            QueryParameter(ge=1, le=INT32_MAX, description="Work the quantities out for a job of this many runs"),
        ] = None,
        min_position: MinPosition = None,
    ) -> StepInputsOut:
        """Each input of the step: its quantity per run (and for ``runs`` runs at the step's ME
        and facility), volume, whether the plan makes it (a child step) or buys it, the recipe
        that would make it with its activity, and whether your blueprint library holds that
        blueprint."""
        found = await query_projection(system, PROJECTION, min_position, find_plan, user_id, plan_id)
        if found is None:
            raise NotFound("plan not found", "plan_id")
        step = next((s for s in found.steps if s.step_id == step_id), None)
        if step is None:
            raise NotFound(f"plan has no step {step_id}", "step_id")
        snapshot = await user_catalog(system, catalog_cache, user_id, min_position)
        children = children_by_material(found.steps, step_id)
        recipes = input_recipes(snapshot.graph, step, children)
        owned = await query_projection(system, "blueprints", min_position, owned_blueprint_types, user_id, recipes)
        inputs = step_inputs(snapshot.graph, step, children, snapshot.names, snapshot.volumes, owned, runs)
        return msgspec.convert(inputs, StepInputsOut, from_attributes=True)

    @get("/v1/industry/plans/{plan_id:uuid}/runs", tags=["queries"])
    async def get_plan_runs(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        plan_id: PlanIdPath,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[RunView]:
        found = await query_projection(system, PROJECTION, min_position, find_plan, user_id, plan_id)
        if found is None:
            raise NotFound("plan not found", "plan_id")
        runs = await query_projection(system, PROJECTION, None, list_runs, user_id, plan_id, limit, offset)
        return msgspec.convert(runs, list[RunView], from_attributes=True)

    @get("/v1/industry/plans/runs", tags=["queries"])
    async def get_all_runs(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[RunView]:
        """Every run of every plan, newest first, with derived status and job summary."""
        runs = await query_projection(system, PROJECTION, min_position, list_runs, user_id, None, limit, offset)
        return msgspec.convert(runs, list[RunView], from_attributes=True)

    @get("/v1/industry/plans/{plan_id:uuid}/runs/{run_id:uuid}", tags=["queries"])
    async def get_run(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        plan_id: PlanIdPath,
        run_id: RunIdPath,
        min_position: MinPosition = None,
    ) -> RunDetailOut:
        found = await query_projection(system, PROJECTION, min_position, find_run, user_id, plan_id, run_id)
        if found is None:
            raise NotFound("plan run not found", "run_id")
        detail = Attributes(found.run, **{name: getattr(found, name) for name in found.__struct_fields__})
        return msgspec.convert(detail, RunDetailOut, from_attributes=True)

    @get("/v1/industry/plans/runs/{run_id:uuid}/shopping-list", tags=["queries"], operation_class=ShoppingListOperation)
    async def get_run_shopping_list(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        run_id: RunIdPath,
        format: FormatQuery = "json",
        location_id: LocationQuery = None,
        region_id: RegionQuery = None,
        min_position: MinPosition = None,
    ) -> Response[RunShoppingListOut]:
        """What the run still has to buy: what its planned jobs consume of what it buys (a
        started job has its materials; what the run's own jobs make is not bought). With
        ``locationId`` what is held there is subtracted and only what is still missing listed;
        each line has its volume and, with ``region_id``, its cost at the lowest sell."""
        found = await query_projection(system, PROJECTION, min_position, find_run, user_id, None, run_id)
        if found is None:
            raise NotFound("plan run not found", "run_id")
        needs = run_purchases(
            [
                RunJobNeeds(planned=job.status == "planned", materials=msgspec.convert(job.materials, JobMaterials))
                for job in found.jobs
            ],
            msgspec.convert(found.skipped, tuple[SkippedItem, ...]),
        )
        snapshot = await user_catalog(system, catalog_cache, user_id, min_position)
        held = await held_at(system, user_id, location_id, min_position)
        listed = await shopping(system, user_id, needs, snapshot, held, region_id, min_position)
        body = RunShoppingListOut(
            run_id=run_id,
            plan_id=found.run.plan_id,
            location_id=location_id,
            region_id=region_id,
            lines=list(listed.lines),
            totals=listed.totals,
            missing=list(listed.missing),
        )
        return answer(body, format)

    @get("/v1/industry/plans/{plan_id:uuid}/profit", tags=["queries"])
    async def get_plan_profit(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        plan_id: PlanIdPath,
        min_position: MinPosition = None,
    ) -> PlanProfit:
        """Expected vs realized profit of the plan's runs: their jobs' estimated costs (cancelled
        jobs left out), expected revenues (generated with a ``regionId``: the product at its lowest
        sell) and the revenues recorded for completed jobs (``PATCH
        /v1/production/workflow/jobs/{id}`` with ``actualRevenue``). Each run shows its own."""
        found = await query_projection(system, PROJECTION, min_position, find_plan, user_id, plan_id)
        if found is None:
            raise NotFound("plan not found", "plan_id")
        profit = await query_projection(system, PROJECTION, None, plan_profit, plan_id)
        return PlanProfit(plan_id=plan_id, profit=profit)

    @get("/v1/industry/plans/{plan_id:uuid}/pending-output", tags=["queries"])
    async def get_pending_output(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        plan_id: PlanIdPath,
        min_position: MinPosition = None,
    ) -> PendingOutput:
        """Units of the plan's product your planned and active jobs will still deliver, at any
        station: every such job counts, whether this plan's runs queued it, a deleted run left it
        or you created it by hand (what auto-production subtracts before building more)."""
        found = await query_projection(system, PROJECTION, min_position, find_plan, user_id, plan_id)
        if found is None:
            raise NotFound("plan not found", "plan_id")
        product = found.plan.product_type_id
        pending = await query_projection(system, PROJECTION, None, pending_output, user_id, [product])
        return PendingOutput(plan_id=plan_id, product_type_id=product, pending_output=sum(p.units for p in pending))

    @get("/v1/industry/jobs", tags=["queries"])
    async def get_jobs(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        status: JobStatusQuery = None,
        character_id: CharacterIdQuery = None,
        limit: Limit = MAX_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[JobView]:
        """The job queue, deepest dependencies first, a page at a time. An active job past its
        end is shown ``ready`` to deliver."""
        return await job_queue(system, user_id, status, character_id, limit, offset, min_position)

    @get("/v1/industry/jobs/{job_id:uuid}", tags=["queries"])
    async def get_job(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        job_id: JobIdPath,
        min_position: MinPosition = None,
    ) -> JobView:
        found = await query_projection(system, PROJECTION, min_position, find_job, user_id, job_id)
        if found is None:
            raise NotFound("job not found", "job_id")
        return msgspec.convert(found, JobView, from_attributes=True)

    @get("/v1/industry/board", tags=["queries"])
    async def get_board(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        status: Annotated[Literal["ready", "active", "paused"] | None, QueryParameter()] = None,
        character_id: CharacterIdQuery = None,
        limit: Limit = MAX_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> Board:
        """Every job of yours not delivered yet, across all your characters and corporations:
        the game's jobs, and the jobs started here the game has not reported yet; ready to
        deliver first, then by end; with the counts per status of the whole board (of the
        character asked for)."""
        found = await query_projection(
            system,
            PROJECTION,
            min_position,
            job_board,
            user_id,
            status=status,
            character_id=character_id,
            limit=limit,
            offset=offset,
        )
        return msgspec.convert(found, Board, from_attributes=True)

    @get("/v1/industry/slots", tags=["queries"])
    async def get_slots(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[CharacterSlots]:
        """Each character of your roster with its job slots per group (manufacturing, science,
        reactions): the total its skills give, the busy ones (the game's jobs not delivered that
        it installed, a corporation's too, and jobs started here the game has not reported
        yet), the free ones, and when the next busy one could free while none is."""
        found = await query_projection(system, PROJECTION, min_position, character_slots, user_id, limit, offset)
        return msgspec.convert(found, list[CharacterSlots], from_attributes=True)

    @get("/v1/industry/characters", tags=["queries"])
    async def get_characters(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[CharacterOut]:
        characters = await query_projection(system, PROJECTION, min_position, list_characters, user_id, limit, offset)
        return [CharacterOut.of(character) for character in characters]
