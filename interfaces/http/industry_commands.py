"""Command routes of production plans, plan runs, the job queue and characters.

Each answers with what changed (straight from the aggregates, so a client need not wait for
the read models) and the log ``position`` to pass as ``minPosition`` to a later query.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import delete, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, PathParameter

from application.commands import CommandResult
from application.plans import GeneratedRun
from application.system import Manufactory
from domain.errors import RuleViolation
from domain.events import CommandMeta
from domain.industry.characters import Character
from domain.industry.jobs import Job
from domain.industry.plan import Plan, Source
from domain.limits import INT32_MAX, INT64_MAX
from interfaces.http.commands import COMMAND_DEPENDENCIES
from interfaces.http.context import system_of
from interfaces.http.industry_schemas import (
    AddStep,
    AssignCharacter,
    CharacterOut,
    CharactersChanged,
    CompleteJob,
    CreateJob,
    CreatePlan,
    Generate,
    GeneratedOut,
    JobChanged,
    PatchPlan,
    PlanChanged,
    PlanOut,
    RegisterCharacter,
    RunCancelled,
    RunDeleted,
    SetSource,
    StartJob,
    StepAdded,
    SyncJobs,
    SyncOut,
    UpdateStep,
    job_view,
    new_run_view,
    steps_out,
)

PlanIdPath = Annotated[UUID, PathParameter(description="The plan's id")]
StepIdPath = Annotated[int, PathParameter(description="A step's id within its plan", ge=1, le=INT32_MAX)]
CharacterIdPath = Annotated[int, PathParameter(description="The game's character id", ge=1, le=INT64_MAX)]
RunIdPath = Annotated[UUID, PathParameter(description="The plan run's id")]
JobIdPath = Annotated[UUID, PathParameter(description="The job's id")]


def plan_out(system: Manufactory, plan: Plan) -> PlanOut:
    snapshot = system.catalog_graphs.snapshot(plan.owner_id)
    state = plan.state()
    return PlanOut(
        id=plan.id,
        user_id=plan.owner_id,
        name=plan.name,
        product_type_id=plan.product_type_id,
        product_name=snapshot.names.get(plan.product_type_id),
        step_count=len(plan.steps),
        transport=plan.transport,
        version=plan.version,
        last_generated_at=plan.last_generated_at,
        created_at=plan.created_on,
        updated_at=plan.modified_on,
        steps=steps_out(list(state.steps), snapshot.graph, snapshot.names),
    )


def _plan_changed(system: Manufactory, result: CommandResult[Plan]) -> PlanChanged:
    return PlanChanged(
        plan=plan_out(system, result.aggregate),
        aggregate_id=result.aggregate.id,
        version=result.aggregate.version,
        position=result.position,
        changed=result.changed,
    )


def _names(system: Manufactory, owner: UUID) -> dict[int, str]:
    """Item names for answers; a user without a catalog simply gets none."""
    try:
        return system.catalog_graphs.snapshot(owner).names
    except RuleViolation:
        return {}


def _job_changed(system: Manufactory, result: CommandResult[Job]) -> JobChanged:
    return JobChanged(
        job=job_view(result.aggregate, _names(system, result.aggregate.owner_id)),
        aggregate_id=result.aggregate.id,
        version=result.aggregate.version,
        position=result.position,
        changed=result.changed,
    )


# ------------------------------------------------------------------ plans

ROUTE = {"tags": ["commands"], "dependencies": COMMAND_DEPENDENCIES, "sync_to_thread": True}


@post("/v1/industry/plans", status_code=201, **ROUTE)
def create_plan(state: State, data: JSONBody[CreatePlan], meta: NamedDependency[CommandMeta]) -> PlanChanged:
    """A plan for a product; its steps are proposed from your catalog's chain, everything
    made down to raw materials. Edit them afterwards."""
    system = system_of(state)
    result = system.plans.create(data.name, data.product_type_id, data.defaults.setup(), data.transport, meta)
    return _plan_changed(system, result)


@patch("/v1/industry/plans/{plan_id:uuid}", **ROUTE)
def patch_plan(
    state: State,
    plan_id: PlanIdPath,
    data: JSONBody[PatchPlan],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> PlanChanged:
    """Rename the plan and/or change its transport settings (``null`` removes them)."""
    system = system_of(state)

    def decide(plan: Plan, _: Any) -> None:
        if data.name is not msgspec.UNSET:
            plan.rename(data.name, meta)
        if data.transport is not msgspec.UNSET:
            plan.set_transport(data.transport, meta)

    return _plan_changed(system, system.plans.change(plan_id, meta, expected, decide))


@delete("/v1/industry/plans/{plan_id:uuid}", status_code=200, **ROUTE)
def delete_plan(
    state: State, plan_id: PlanIdPath, meta: NamedDependency[CommandMeta], expected: NamedDependency[int | None]
) -> RunDeleted:
    """Delete the plan and its runs; the runs' jobs stay in the queue, unlinked."""
    result = system_of(state).plans.delete(plan_id, meta, expected)
    return RunDeleted(status="deleted", position=result.position)


@post("/v1/industry/plans/{plan_id:uuid}/steps", status_code=201, **ROUTE)
def add_step(
    state: State,
    plan_id: PlanIdPath,
    data: JSONBody[AddStep],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> StepAdded:
    """Make one input of a step with a new step (with the parent's settings unless given)."""
    system = system_of(state)
    plans = system.plans
    changes = data.settings.changes() if data.settings else {}
    result, step = plans.add_step(
        plan_id, data.parent_step_id, data.product_type_id, data.blueprint_type_id, changes, meta, expected
    )
    changed = _plan_changed(system, result)
    return StepAdded(**msgspec.structs.asdict(changed), step_id=step.step_id)


@patch("/v1/industry/plans/{plan_id:uuid}/steps/{step_id:int}", **ROUTE)
def update_step(
    state: State,
    plan_id: PlanIdPath,
    step_id: StepIdPath,
    data: JSONBody[UpdateStep],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> PlanChanged:
    """Change a step's recipe (``blueprintTypeId``), ME/TE, station, facility or tax."""
    system = system_of(state)
    changes = data.changes()
    return _plan_changed(system, system.plans.update_step(plan_id, step_id, changes, meta, expected))


@delete("/v1/industry/plans/{plan_id:uuid}/steps/{step_id:int}", status_code=200, **ROUTE)
def remove_step(
    state: State,
    plan_id: PlanIdPath,
    step_id: StepIdPath,
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> PlanChanged:
    """Remove a step and everything below it: its parent buys that material instead."""
    system = system_of(state)
    return _plan_changed(system, system.plans.remove_step(plan_id, step_id, meta, expected))


@put("/v1/industry/plans/{plan_id:uuid}/steps/{step_id:int}/materials/{type_id:int}", **ROUTE)
def set_source(
    state: State,
    plan_id: PlanIdPath,
    step_id: StepIdPath,
    type_id: Annotated[int, PathParameter(description="An input material of the step", ge=1, le=INT64_MAX)],
    data: JSONBody[SetSource],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> PlanChanged:
    """Make a material (the catalog's chain below it is proposed) or buy it (its steps go)."""
    system = system_of(state)
    result = system.plans.set_source(plan_id, step_id, type_id, Source(data.source), meta, expected)
    return _plan_changed(system, result)


# ------------------------------------------------------------------ runs


@post("/v1/industry/plans/{plan_id:uuid}/generate", status_code=201, **ROUTE)
def generate_run(
    state: State,
    plan_id: PlanIdPath,
    data: JSONBody[Generate],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> GeneratedOut:
    """Record a plan run for ``quantity`` units of the product and queue its jobs (and hauls,
    when steps span stations and the plan has transport settings): all or nothing."""
    system = system_of(state)
    generated = system.plans.generate(
        plan_id, data.quantity, meta, parallelism=data.parallelism, expected_version=expected, region_id=data.region_id
    )
    return generated_out(system, *generated)


def generated_out(system: Manufactory, generated: GeneratedRun, position: int) -> GeneratedOut:
    """The spec's answer: ``{run, created, skipped, transportJobs}`` (and leftovers)."""
    names = _names(system, generated.run.owner_id)
    return GeneratedOut(
        run=new_run_view(generated.run, generated.plan, names),
        created=[job_view(job, names) for job in generated.jobs],
        skipped=list(generated.generation.skipped),
        transport_jobs=list(generated.transports),
        leftovers=list(generated.generation.leftovers),
        pricing=generated.pricing,
        position=position,
    )


@delete("/v1/industry/plans/{plan_id:uuid}/runs/{run_id:uuid}", status_code=200, **ROUTE)
def delete_run(state: State, plan_id: PlanIdPath, run_id: RunIdPath, meta: NamedDependency[CommandMeta]) -> RunDeleted:
    """Delete a run; its jobs survive without the link."""
    return RunDeleted(status="deleted", position=system_of(state).plans.delete_run(plan_id, run_id, meta))


@post("/v1/industry/plans/runs/{run_id:uuid}/cancel", status_code=200, **ROUTE)
def cancel_run(state: State, run_id: RunIdPath, meta: NamedDependency[CommandMeta]) -> RunCancelled:
    """Cancel every planned job of the run at once; active and completed jobs are untouched."""
    cancelled, position = system_of(state).plans.cancel_run(run_id, meta)
    return RunCancelled(status="cancelled", jobs_cancelled=cancelled.jobs_cancelled, position=position)


# ------------------------------------------------------------------ jobs


@post("/v1/industry/jobs", status_code=201, **ROUTE)
def create_job(state: State, data: JSONBody[CreateJob], meta: NamedDependency[CommandMeta]) -> JobChanged:
    """Queue a job by hand (not every job comes from a plan)."""
    system = system_of(state)
    return _job_changed(system, system.jobs.create(data.spec(), meta))


@post("/v1/industry/jobs/{job_id:uuid}/start", status_code=200, **ROUTE)
def start_job(
    state: State,
    job_id: JobIdPath,
    data: JSONBody[StartJob],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> JobChanged:
    """A planned job is running in the game (with its game job id and/or character)."""
    system = system_of(state)
    result = system.jobs.start(job_id, data.esi_job_id, data.character_id, data.started_at, meta, expected)
    return _job_changed(system, result)


@post("/v1/industry/jobs/{job_id:uuid}/complete", status_code=200, **ROUTE)
def complete_job(
    state: State,
    job_id: JobIdPath,
    data: JSONBody[CompleteJob],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> JobChanged:
    """An active job was delivered."""
    system = system_of(state)
    return _job_changed(system, system.jobs.complete(job_id, data.actual_revenue, meta, expected))


@post("/v1/industry/jobs/{job_id:uuid}/cancel", status_code=200, **ROUTE)
def cancel_job(
    state: State, job_id: JobIdPath, meta: NamedDependency[CommandMeta], expected: NamedDependency[int | None]
) -> JobChanged:
    """Cancel a planned or active job."""
    system = system_of(state)
    return _job_changed(system, system.jobs.cancel(job_id, meta, expected))


@put("/v1/industry/jobs/{job_id:uuid}/character", **ROUTE)
def assign_job(
    state: State,
    job_id: JobIdPath,
    data: JSONBody[AssignCharacter],
    meta: NamedDependency[CommandMeta],
    expected: NamedDependency[int | None],
) -> JobChanged:
    """Say which character will run a planned job (``null``: anyone)."""
    system = system_of(state)
    return _job_changed(system, system.jobs.assign(job_id, data.character_id, meta, expected))


@post("/v1/industry/jobs/sync", status_code=200, **ROUTE)
def sync_jobs(state: State, data: JSONBody[SyncJobs], meta: NamedDependency[CommandMeta]) -> SyncOut:
    """Match a character's in-game jobs (ESI's list, as is) to the queue: fitting planned
    jobs become active, delivered ones completed. Sending the same list again changes nothing."""
    result, position = system_of(state).jobs.sync(data.character_id, data.jobs, meta)
    return SyncOut(**msgspec.structs.asdict(result), position=position)


# ------------------------------------------------------------------ characters


def _characters_changed(result: CommandResult[Any]) -> CharactersChanged:
    return CharactersChanged(
        characters=[CharacterOut.of(c) for c in result.aggregate.state()],
        version=result.aggregate.version,
        position=result.position,
        changed=result.changed,
    )


@put("/v1/industry/characters/{character_id:int}", **ROUTE)
def register_character(
    state: State,
    character_id: CharacterIdPath,
    data: JSONBody[RegisterCharacter],
    meta: NamedDependency[CommandMeta],
) -> CharactersChanged:
    """Add or update a character; its skills give its job slots."""
    character = Character(character_id=character_id, name=data.name, skills=data.skills)
    return _characters_changed(system_of(state).jobs.register_character(character, meta))


@delete("/v1/industry/characters/{character_id:int}", status_code=200, **ROUTE)
def remove_character(
    state: State,
    character_id: CharacterIdPath,
    meta: NamedDependency[CommandMeta],
) -> CharactersChanged:
    return _characters_changed(system_of(state).jobs.remove_character(character_id, meta))


def industry_command_routes() -> list[HTTPRouteHandler]:
    return [
        create_plan,
        patch_plan,
        delete_plan,
        add_step,
        update_step,
        remove_step,
        set_source,
        generate_run,
        delete_run,
        cancel_run,
        create_job,
        start_job,
        complete_job,
        cancel_job,
        assign_job,
        sync_jobs,
        register_character,
        remove_character,
    ]
