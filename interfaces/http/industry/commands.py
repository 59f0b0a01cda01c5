"""Command routes of production plans, plan runs, the job queue and characters.

Each answers with what changed (straight from the aggregates, so a client need not wait for
the read models) and the log ``position`` to pass as ``minPosition`` to a later query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, delete, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.command_runner import CommandResult
from application.jobs import JobService
from application.plans import GeneratedRun, PlanPlaces, PlanPreview, PlanService
from application.system import Manufactory
from domain.errors import RuleViolation
from domain.events import CommandMeta
from domain.industry.characters import Character
from domain.industry.jobs import Job
from domain.industry.plan import Plan, Source
from domain.industry.preview import assignments
from domain.industry.runs import planned_profit
from domain.limits import INT32_MAX, INT64_MAX
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.industry.schemas import (
    AddStep,
    AssignCharacter,
    CharacterOut,
    CharactersChanged,
    CompleteJob,
    CreateJob,
    CreatePlan,
    EditJob,
    Generate,
    GeneratedOut,
    JobBlueprint,
    JobChanged,
    JobView,
    MissingBlueprint,
    PatchPlan,
    PlanChanged,
    PlanOut,
    PreviewOut,
    RegisterCharacter,
    RunCancelled,
    RunDeleted,
    RunPricing,
    RunView,
    SetSource,
    StartJob,
    StepAdded,
    SyncJobs,
    SyncOut,
    UpdateStep,
    UpdateSteps,
    assignments_out,
    crews_out,
    preview_hauls,
    preview_jobs,
    skipped_out,
    steps_out,
)
from projections.industry.jobs import job_view_of
from projections.industry.plans import plan_summary_of
from projections.industry.runs import new_run_view

PlanIdPath = Annotated[UUID, PathParameter(description="The plan's id")]


StepIdPath = Annotated[int, PathParameter(description="A step's id within its plan", ge=1, le=INT32_MAX)]


CharacterIdPath = Annotated[int, PathParameter(description="The game's character id", ge=1, le=INT64_MAX)]


RunIdPath = Annotated[UUID, PathParameter(description="The plan run's id")]


JobIdPath = Annotated[UUID, PathParameter(description="The job's id")]


def plan_out(system: Manufactory, plan: Plan) -> PlanOut:
    snapshot = system.catalog_graphs.snapshot(plan.owner_id)
    summary = plan_summary_of(plan, snapshot.names.get(plan.product_type_id))
    steps = steps_out(list(plan.state().steps), snapshot.graph, snapshot.names)
    return PlanOut(**msgspec.structs.asdict(summary), steps=steps)


def _plan_changed(system: Manufactory, result: CommandResult[Plan]) -> PlanChanged:
    return PlanChanged(
        plan=plan_out(system, result.aggregate),
        aggregate_id=result.aggregate.id,
        version=result.aggregate.version,
        position=result.position,
        changed=result.changed,
    )


def _names(system: Manufactory, owner: UUID) -> Mapping[int, str]:
    """Item names for answers; a user without a catalog simply gets none."""
    try:
        return system.catalog_graphs.snapshot(owner).names
    except RuleViolation:
        return {}


def _job_view(job: Job, names: Mapping[int, str]) -> JobView:
    """A job as the queue shows it, straight from the aggregate (before the projection has it)."""
    view = job_view_of(job.state(), names.get(job.spec.product_type_id))
    return msgspec.convert(view, JobView, from_attributes=True)


def job_changed(system: Manufactory, result: CommandResult[Job]) -> JobChanged:
    return JobChanged(
        job=_job_view(result.aggregate, _names(system, result.aggregate.owner_id)),
        aggregate_id=result.aggregate.id,
        version=result.aggregate.version,
        position=result.position,
        changed=result.changed,
    )


def generated_out(system: Manufactory, generated: GeneratedRun, position: int) -> GeneratedOut:
    """The spec's answer: ``{run, created, skipped, transportJobs}`` (and leftovers)."""
    names, plan = _names(system, generated.run.owner_id), generated.plan
    queued = (*generated.jobs, *generated.haul_jobs)  # the industry jobs, then a transport job per haul
    profit = planned_profit(job.spec for job in queued)
    run = new_run_view(generated.run, plan.name, plan.product_type_id, names.get(plan.product_type_id), profit)
    assigned = assignments([job.spec for job in generated.jobs], generated.characters)
    return GeneratedOut(
        run=msgspec.convert(run, RunView, from_attributes=True),
        created=[_job_view(job, names) for job in queued],
        skipped=skipped_out(generated.generation.skipped, names),
        transport_jobs=list(generated.transports),
        leftovers=list(generated.generation.leftovers),
        pricing=msgspec.convert(generated.pricing, RunPricing | None, from_attributes=True),
        position=position,
        blueprints_used=[
            JobBlueprint(job_id=job.id, blueprint_id=job.spec.blueprint_id)
            for job in generated.jobs
            if job.spec.blueprint_id is not None
        ],
        missing_blueprints=msgspec.convert(
            generated.generation.missing_blueprints, list[MissingBlueprint], from_attributes=True
        ),
        estimated_finish=generated.generation.finishes_at,
        character_assignments=assignments_out(assigned, [job.id for job in generated.jobs]),
        unassigned_count=assigned.unassigned,
    )


def preview_out(system: Manufactory, previewed: PlanPreview) -> PreviewOut:
    """A preview as the generate answer's fields (jobs without ids), with the crews' timings."""
    names, generation = _names(system, previewed.plan.owner_id), previewed.generation
    assigned = assignments([job.spec for job in generation.jobs], previewed.characters)
    return PreviewOut(
        quantity=previewed.quantity,
        parallelism=previewed.parallelism,
        now=previewed.now,
        jobs=preview_jobs(generation.jobs, names),
        skipped=skipped_out(generation.skipped, names),
        transport_jobs=preview_hauls(generation.transports),
        leftovers=list(generation.leftovers),
        pricing=msgspec.convert(previewed.pricing, RunPricing | None, from_attributes=True),
        missing_blueprints=msgspec.convert(generation.missing_blueprints, list[MissingBlueprint], from_attributes=True),
        inventions=list(generation.inventions),
        estimated_finish=generation.finishes_at,
        character_assignments=assignments_out(assigned),
        unassigned_count=assigned.unassigned,
        crews=crews_out(previewed.crews),
    )


def _characters_changed(result: CommandResult[Any]) -> CharactersChanged:
    return CharactersChanged(
        characters=[CharacterOut.of(c) for c in result.aggregate.state()],
        version=result.aggregate.version,
        position=result.position,
        changed=result.changed,
    )


class IndustryCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/industry/plans", tags=["commands"], status_code=201, sync_to_thread=True)
    def create_plan(
        self, system: NamedDependency[Manufactory], data: JSONBody[CreatePlan], meta: NamedDependency[CommandMeta]
    ) -> PlanChanged:
        """A plan for a product; its steps are proposed from your catalog's chain, everything
        made down to raw materials. Edit them afterwards."""
        result = system.plans.create(
            data.name,
            data.product_type_id,
            data.defaults.setup(),
            data.transport,
            meta,
            invention_confidence=data.invention_confidence,
            places=PlanPlaces(
                default_manufacturing_station_id=data.default_manufacturing_station_id,
                default_reaction_station_id=data.default_reaction_station_id,
                notes=data.notes,
            ),
        )
        return _plan_changed(system, result)

    @patch("/v1/industry/plans/{plan_id:uuid}", tags=["commands"], sync_to_thread=True)
    def patch_plan(
        self,
        system: NamedDependency[Manufactory],
        plan_id: PlanIdPath,
        data: JSONBody[PatchPlan],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> PlanChanged:
        """Rename the plan, change its transport settings (``null`` removes them), how it
        counts invention attempts (``inventionConfidence``: ``null`` is expected value), its
        default stations for new manufacturing and reaction steps (``null``: none) and/or its
        ``notes``."""

        result = system.plans.patch(
            plan_id,
            meta,
            expected,
            name=data.name,
            transport=data.transport,
            invention_confidence=data.invention_confidence,
            default_manufacturing_station_id=data.default_manufacturing_station_id,
            default_reaction_station_id=data.default_reaction_station_id,
            notes=data.notes,
        )
        return _plan_changed(system, result)

    @delete("/v1/industry/plans/{plan_id:uuid}", tags=["commands"], status_code=200, sync_to_thread=True)
    def delete_plan(
        self,
        plans: NamedDependency[PlanService],
        plan_id: PlanIdPath,
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> RunDeleted:
        """Delete the plan and its runs; the runs' jobs stay in the queue, unlinked."""
        result = plans.delete(plan_id, meta, expected)
        return RunDeleted(status="deleted", position=result.position)

    @post("/v1/industry/plans/{plan_id:uuid}/steps", tags=["commands"], status_code=201, sync_to_thread=True)
    def add_step(
        self,
        system: NamedDependency[Manufactory],
        plan_id: PlanIdPath,
        data: JSONBody[AddStep],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> StepAdded:
        """Make one input of a step with a new step (with the parent's settings unless given; with
        no station named, at the plan's default station for its activity), optionally naming
        where it takes its inputs (``inputPlace``) and puts its output (``outputPlace``)."""
        plans = system.plans
        changes = data.changes()
        result, step = plans.add_step(
            plan_id, data.parent_step_id, data.product_type_id, data.blueprint_type_id, changes, meta, expected
        )
        changed = _plan_changed(system, result)
        return StepAdded(**msgspec.structs.asdict(changed), step_id=step.step_id)

    @patch("/v1/industry/plans/{plan_id:uuid}/steps/{step_id:int}", tags=["commands"], sync_to_thread=True)
    def update_step(
        self,
        system: NamedDependency[Manufactory],
        plan_id: PlanIdPath,
        step_id: StepIdPath,
        data: JSONBody[UpdateStep],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> PlanChanged:
        """Change a step's recipe (``blueprintTypeId``), ME/TE, station, facility or tax, its
        places (``inputPlace``, ``outputPlace``; ``null``: not said), or an invention step's
        decryptor (``decryptorTypeId``, ``null`` for none)."""
        changes = data.changes()
        return _plan_changed(system, system.plans.update_step(plan_id, step_id, changes, meta, expected))

    @patch("/v1/industry/plans/{plan_id:uuid}/steps", tags=["commands"], sync_to_thread=True)
    def update_steps(
        self,
        system: NamedDependency[Manufactory],
        plan_id: PlanIdPath,
        data: JSONBody[UpdateSteps],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> PlanChanged:
        """Update several steps at once (``steps``: each ``{stepId, ...}`` with the fields of a
        single step's update), in order: all of them (one new version) or, if one is refused
        (its error names ``steps[i].field``), none."""
        entries = [(entry.step_id, entry.changes()) for entry in data.steps]
        return _plan_changed(system, system.plans.update_steps(plan_id, entries, meta, expected))

    @delete(
        "/v1/industry/plans/{plan_id:uuid}/steps/{step_id:int}", tags=["commands"], status_code=200, sync_to_thread=True
    )
    def remove_step(
        self,
        system: NamedDependency[Manufactory],
        plan_id: PlanIdPath,
        step_id: StepIdPath,
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> PlanChanged:
        """Remove a step and everything below it: its parent buys that material instead."""
        return _plan_changed(system, system.plans.remove_step(plan_id, step_id, meta, expected))

    @put(
        "/v1/industry/plans/{plan_id:uuid}/steps/{step_id:int}/materials/{type_id:int}",
        tags=["commands"],
        sync_to_thread=True,
    )
    def set_source(
        self,
        system: NamedDependency[Manufactory],
        plan_id: PlanIdPath,
        step_id: StepIdPath,
        type_id: Annotated[int, PathParameter(description="An input material of the step", ge=1, le=INT64_MAX)],
        data: JSONBody[SetSource],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> PlanChanged:
        """Make a material (the catalog's chain below it is proposed) or buy it (its steps go)."""
        result = system.plans.set_source(plan_id, step_id, type_id, Source(data.source), meta, expected)
        return _plan_changed(system, result)

    @post("/v1/industry/plans/{plan_id:uuid}/generate", tags=["commands"], status_code=201, sync_to_thread=True)
    def generate_run(
        self,
        system: NamedDependency[Manufactory],
        plan_id: PlanIdPath,
        data: JSONBody[Generate],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> GeneratedOut:
        """Record a plan run for ``quantity`` units of the product and queue its jobs (and hauls,
        when steps span stations and the plan has transport settings): all or nothing."""
        generated = system.plans.generate(
            plan_id,
            data.quantity,
            meta,
            parallelism=data.parallelism,
            expected_version=expected,
            region_id=data.region_id,
        )
        return generated_out(system, *generated)

    @post("/v1/industry/plans/{plan_id:uuid}/preview", tags=["commands"], status_code=200, sync_to_thread=True)
    def preview_run(
        self,
        system: NamedDependency[Manufactory],
        plan_id: PlanIdPath,
        data: JSONBody[Generate],
        meta: NamedDependency[CommandMeta],
    ) -> PreviewOut:
        """What ``generate`` would answer now (jobs, merged steps, purchases, leftovers, hauls,
        costs with a ``regionId``, who gets which job), and how long the run takes with the best
        1, 2, … N of your characters (at most 10), stage by stage; recording nothing. A query
        with a body, so it is posted like the command it previews, with the same body."""
        previewed = system.plans.preview(
            plan_id, data.quantity, meta.user_id, parallelism=data.parallelism, region_id=data.region_id
        )
        return preview_out(system, previewed)

    @delete(
        "/v1/industry/plans/{plan_id:uuid}/runs/{run_id:uuid}", tags=["commands"], status_code=200, sync_to_thread=True
    )
    def delete_run(
        self,
        plans: NamedDependency[PlanService],
        plan_id: PlanIdPath,
        run_id: RunIdPath,
        meta: NamedDependency[CommandMeta],
    ) -> RunDeleted:
        """Delete a run; its jobs survive without the link."""
        return RunDeleted(status="deleted", position=plans.delete_run(plan_id, run_id, meta))

    @post("/v1/industry/plans/runs/{run_id:uuid}/cancel", tags=["commands"], status_code=200, sync_to_thread=True)
    def cancel_run(
        self, plans: NamedDependency[PlanService], run_id: RunIdPath, meta: NamedDependency[CommandMeta]
    ) -> RunCancelled:
        """Cancel every planned job of the run at once; active and completed jobs are untouched."""
        cancelled, position = plans.cancel_run(run_id, meta)
        return RunCancelled(status="cancelled", jobs_cancelled=cancelled.jobs_cancelled, position=position)

    @post("/v1/industry/jobs", tags=["commands"], status_code=201, sync_to_thread=True)
    def create_job(
        self, system: NamedDependency[Manufactory], data: JSONBody[CreateJob], meta: NamedDependency[CommandMeta]
    ) -> JobChanged:
        """Queue a job by hand (not every job comes from a plan)."""
        return job_changed(system, system.jobs.create(data.spec(), meta))

    @post("/v1/industry/jobs/{job_id:uuid}/start", tags=["commands"], status_code=200, sync_to_thread=True)
    def start_job(
        self,
        system: NamedDependency[Manufactory],
        job_id: JobIdPath,
        data: JSONBody[StartJob],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> JobChanged:
        """A planned job is running in the game (with its game job id and/or character)."""
        result = system.jobs.start(job_id, data.esi_job_id, data.character_id, data.started_at, meta, expected)
        return job_changed(system, result)

    @post("/v1/industry/jobs/{job_id:uuid}/complete", tags=["commands"], status_code=200, sync_to_thread=True)
    def complete_job(
        self,
        system: NamedDependency[Manufactory],
        job_id: JobIdPath,
        data: JSONBody[CompleteJob],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> JobChanged:
        """An active job was delivered."""
        return job_changed(system, system.jobs.complete(job_id, data.actual_revenue, meta, expected))

    @post("/v1/industry/jobs/{job_id:uuid}/cancel", tags=["commands"], status_code=200, sync_to_thread=True)
    def cancel_job(
        self,
        system: NamedDependency[Manufactory],
        job_id: JobIdPath,
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> JobChanged:
        """Cancel a planned or active job."""
        return job_changed(system, system.jobs.cancel(job_id, meta, expected))

    @patch("/v1/industry/jobs/{job_id:uuid}", tags=["commands"], sync_to_thread=True)
    def edit_job(
        self,
        system: NamedDependency[Manufactory],
        job_id: JobIdPath,
        data: JSONBody[EditJob],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> JobChanged:
        """Edit a planned job: ``runs``, ``meLevel``, ``teLevel``, ``stationId``,
        ``characterId`` (``null`` unassigns; one not in your roster is a 422) and ``notes``;
        fields left out keep their values. New runs, ME or TE work the materials (the game's
        rounding per job, at the job's facility), the output and the duration out again; the
        job's cost and expected revenue become unknown until its run is priced again. A job
        already started is a 409."""
        return job_changed(system, system.jobs.edit(job_id, data, meta, expected))

    @put("/v1/industry/jobs/{job_id:uuid}/character", tags=["commands"], sync_to_thread=True)
    def assign_job(
        self,
        system: NamedDependency[Manufactory],
        job_id: JobIdPath,
        data: JSONBody[AssignCharacter],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> JobChanged:
        """Say which character of your roster will run a planned job (``null``: anyone; one not
        in your roster is a 422)."""
        return job_changed(system, system.jobs.assign(job_id, data.character_id, meta, expected))

    @post("/v1/industry/jobs/sync", tags=["commands"], status_code=200, sync_to_thread=True)
    def sync_jobs(
        self, jobs: NamedDependency[JobService], data: JSONBody[SyncJobs], meta: NamedDependency[CommandMeta]
    ) -> SyncOut:
        """Match a character's in-game jobs (ESI's list, as is) to the queue: fitting planned
        jobs become active, jobs started here without the game's job id are linked to it, delivered
        ones completed. Sending the same list again changes nothing."""
        result, position = jobs.sync(data.character_id, data.jobs, meta)
        return SyncOut(**msgspec.structs.asdict(result), position=position)

    @put("/v1/industry/characters/{character_id:int}", tags=["commands"], sync_to_thread=True)
    def register_character(
        self,
        jobs: NamedDependency[JobService],
        character_id: CharacterIdPath,
        data: JSONBody[RegisterCharacter],
        meta: NamedDependency[CommandMeta],
    ) -> CharactersChanged:
        """Add or update a character; its skills give its job slots."""
        character = Character(character_id=character_id, name=data.name, skills=data.skills)
        return _characters_changed(jobs.register_character(character, meta))

    @delete("/v1/industry/characters/{character_id:int}", tags=["commands"], status_code=200, sync_to_thread=True)
    def remove_character(
        self,
        jobs: NamedDependency[JobService],
        character_id: CharacterIdPath,
        meta: NamedDependency[CommandMeta],
    ) -> CharactersChanged:
        return _characters_changed(jobs.remove_character(character_id, meta))
