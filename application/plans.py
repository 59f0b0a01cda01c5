"""Commands on production plans and their runs, including generating a run's jobs.

Generating a run is one atomic save: the plan records the run (so a concurrent delete or
edit of the plan collides and the generation is retried on the new state), the run records
what was decided, and every job is queued, or none of it is. Cancelling a run's planned
jobs is atomic in the same way: a job started concurrently collides, and the retry leaves
it alone because it is no longer planned.

A run is planned around what the read models say as it is generated: the slots other jobs
keep busy, and the copy runs planned jobs of other runs already hold. Two runs of different
plans generated at the same instant do not collide, so they can both count on the same copy
runs; the later one's answer is then optimistic, as any plan is once the game moves on.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from application.catalog_graphs import CatalogGraphs
from application.command_runner import (
    CommandResult,
    create_aggregate,
    load_expecting,
    save_atomically,
    update_aggregate,
)
from application.event_store import EventStore
from application.ports import JobQueue, OwnedBlueprints, RegionMarkets, SlotOccupancy, StationRoutes
from application.transport import TransportService
from domain.aggregate import Aggregate
from domain.catalog.universe import RouteRule
from domain.errors import NotFound, RuleViolation
from domain.events import CommandMeta, utcnow
from domain.industry.blueprints import OwnedBlueprint
from domain.industry.characters import Character, Roster, roster_id
from domain.industry.generation import Generation, generate, validate_quantity
from domain.industry.jobs import Job, JobStatus
from domain.industry.plan import Plan, PlanStep, Source, StepSetup, TransportSettings
from domain.industry.preview import CrewTiming, crew_timings
from domain.industry.pricing import RunPricing, price_jobs, sell_price
from domain.industry.runs import PlanRun, RunReason, RunTransport
from domain.industry.slots import BusySlot
from domain.work_limits import DEFAULT_LIMITS, WorkLimits


class GeneratedRun(msgspec.Struct, frozen=True, kw_only=True):
    run: PlanRun
    plan: Plan
    jobs: tuple[Job, ...]  # the industry jobs, in ``generation.jobs`` order
    haul_jobs: tuple[Job, ...]  # a transport job per haul, in ``transports`` order
    generation: Generation
    transports: tuple[RunTransport, ...]
    pricing: RunPricing | None = None
    characters: tuple[Character, ...] = ()  # the roster the jobs were spread over


class _Generator(msgspec.Struct, frozen=True, kw_only=True):
    """A plan's generation with every input read but the quantity, crew, parallelism and now."""

    run: Callable[[int, Sequence[Character], int, datetime], tuple[Generation, RunPricing | None]]
    busy: tuple[BusySlot, ...]  # the slots other jobs hold, as the generation sees them


class PlanPreview(msgspec.Struct, frozen=True, kw_only=True):
    """What generating a run would give, recorded nowhere: the run with every character (as
    ``generate`` would make it now), and how long it takes with the best 1, 2, … N of them."""

    plan: Plan
    quantity: int
    parallelism: int
    generation: Generation
    pricing: RunPricing | None
    characters: tuple[Character, ...]
    crews: tuple[CrewTiming, ...]
    now: datetime


class PlanPlaces(msgspec.Struct, frozen=True, kw_only=True):
    """A new plan's default stations by activity and its notes."""

    default_manufacturing_station_id: int | None = None
    default_reaction_station_id: int | None = None
    notes: str = ""


class CancelledRun(msgspec.Struct, frozen=True, kw_only=True):
    jobs_cancelled: int


def _transport_named(transport: TransportSettings | None) -> tuple[UUID | None, str]:
    """The profile plan transport settings name, and the field naming it."""
    return (transport.transport_profile_id if transport else None), "transport.transport_profile_id"


class PlanService:
    def __init__(
        self,
        store: EventStore,
        graphs: CatalogGraphs,
        markets: RegionMarkets,
        blueprints: OwnedBlueprints,
        queue: JobQueue,
        slot_occupancy: SlotOccupancy,
        routes: StationRoutes,
        transport: TransportService,
        limits: WorkLimits = DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self.graphs = graphs
        self._markets = markets  # a user's market data for a region (prices jobs and hauls)
        self._blueprints = blueprints  # a user's blueprint library (the ME/TE and copies jobs run with)
        self._queue = queue  # the planned jobs, whose copy runs a new run cannot have
        self._slot_occupancy = slot_occupancy  # the slots busy with jobs already running or ready
        self._routes = routes  # the map's routes between stations, which hauls are counted on
        self._transport = transport  # the user's transport profiles, which hauls go by

        self.limits = limits

    # ------------------------------------------------------------ plans

    def create(
        self,
        name: str,
        product_type_id: int,
        setup: StepSetup,
        transport: TransportSettings | None,
        meta: CommandMeta,
        invention_confidence: float | None = None,
        places: PlanPlaces | None = None,
    ) -> CommandResult[Plan]:
        graph = self.graphs.snapshot(meta.user_id).graph
        places = places or PlanPlaces()
        self._ensure_profiles(meta.user_id, [_transport_named(transport)])
        plan = Plan.create(
            uuid.uuid4(),
            name,
            product_type_id,
            graph,
            setup,
            transport,
            meta,
            self.limits,
            invention_confidence,
            default_manufacturing_station_id=places.default_manufacturing_station_id,
            default_reaction_station_id=places.default_reaction_station_id,
            notes=places.notes,
        )
        return create_aggregate(self.store, plan, "plan")

    def _change(
        self,
        plan_id: UUID,
        meta: CommandMeta,
        expected_version: int | None,
        decide: Callable[[Plan, Any], object],
        needs_graph: bool = False,
    ) -> CommandResult[Plan]:
        """Any edit of a live plan; ``decide(plan, graph)`` gets the catalog if it needs it."""
        graph = self.graphs.snapshot(meta.user_id, "step_id").graph if needs_graph else None

        def decide_live(plan: Plan) -> None:
            plan.ensure_live()
            decide(plan, graph)

        return update_aggregate(self.store, Plan, plan_id, meta.user_id, decide_live, expected_version)

    def patch(
        self,
        plan_id: UUID,
        meta: CommandMeta,
        expected: int | None,
        *,
        name: str | msgspec.UnsetType = msgspec.UNSET,
        transport: TransportSettings | None | msgspec.UnsetType = msgspec.UNSET,
        invention_confidence: float | None | msgspec.UnsetType = msgspec.UNSET,
        default_manufacturing_station_id: int | None | msgspec.UnsetType = msgspec.UNSET,
        default_reaction_station_id: int | None | msgspec.UnsetType = msgspec.UNSET,
        notes: str | msgspec.UnsetType = msgspec.UNSET,
    ) -> CommandResult[Plan]:
        """Rename the plan, change its transport settings (``None`` removes them), how it
        counts invention attempts, its default stations (``None``: none) and/or its notes in one
        command: one save, whichever was given (none: nothing changes)."""

        if not isinstance(transport, msgspec.UnsetType):
            self._ensure_profiles(meta.user_id, [_transport_named(transport)])

        def decide(plan: Plan, _: Any) -> None:
            if not isinstance(name, msgspec.UnsetType):
                plan.rename(name, meta)
            if not isinstance(transport, msgspec.UnsetType):
                plan.set_transport(transport, meta)
            if not isinstance(invention_confidence, msgspec.UnsetType):
                plan.set_invention_confidence(invention_confidence, meta)
            manufacturing, reaction = default_manufacturing_station_id, default_reaction_station_id
            if not isinstance(manufacturing, msgspec.UnsetType) or not isinstance(reaction, msgspec.UnsetType):
                plan.set_station_defaults(
                    plan.default_manufacturing_station_id
                    if isinstance(manufacturing, msgspec.UnsetType)
                    else manufacturing,
                    plan.default_reaction_station_id if isinstance(reaction, msgspec.UnsetType) else reaction,
                    meta,
                )
            if not isinstance(notes, msgspec.UnsetType):
                plan.set_notes(notes, meta)

        return self._change(plan_id, meta, expected, decide)

    def add_step(
        self,
        plan_id: UUID,
        parent_step_id: int,
        product_type_id: int,
        blueprint_type_id: int | None,
        changes: dict[str, Any],
        meta: CommandMeta,
        expected: int | None,
    ) -> tuple[CommandResult[Plan], PlanStep]:
        added: list[PlanStep] = []
        self._ensure_profiles(meta.user_id, [(changes.get("transport_profile_id"), "transport_profile_id")])

        decryptors = self.graphs.snapshot(meta.user_id, "step_id").decryptors

        def decide(plan: Plan, graph: Any) -> None:
            added.append(
                plan.add_step(
                    parent_step_id, product_type_id, blueprint_type_id, changes, graph, meta, self.limits, decryptors
                )
            )

        result = self._change(plan_id, meta, expected, decide, needs_graph=True)
        return result, added[-1]

    def update_step(
        self, plan_id: UUID, step_id: int, changes: dict[str, Any], meta: CommandMeta, expected: int | None
    ) -> CommandResult[Plan]:
        self._ensure_profiles(meta.user_id, [(changes.get("transport_profile_id"), "transport_profile_id")])
        decryptors = self.graphs.snapshot(meta.user_id, "step_id").decryptors
        return self._change(
            plan_id,
            meta,
            expected,
            lambda plan, graph: plan.update_step(step_id, dict(changes), graph, meta, decryptors),
            True,
        )

    def update_steps(
        self,
        plan_id: UUID,
        entries: list[tuple[int, dict[str, Any]]],
        meta: CommandMeta,
        expected: int | None,
    ) -> CommandResult[Plan]:
        """Several step updates as one command: all applied (one event, one new version) or,
        if any entry is refused, none."""
        self._ensure_profiles(
            meta.user_id,
            [
                (changes.get("transport_profile_id"), f"steps[{index}].transport_profile_id")
                for index, (_, changes) in enumerate(entries)
            ],
        )
        decryptors = self.graphs.snapshot(meta.user_id, "step_id").decryptors
        return self._change(
            plan_id,
            meta,
            expected,
            lambda plan, graph: plan.update_steps(entries, graph, meta, decryptors),
            True,
        )

    def remove_step(self, plan_id: UUID, step_id: int, meta: CommandMeta, expected: int | None) -> CommandResult[Plan]:
        return self._change(plan_id, meta, expected, lambda plan, _: plan.remove_step(step_id, meta))

    def set_source(
        self, plan_id: UUID, step_id: int, material: int, source: Source, meta: CommandMeta, expected: int | None
    ) -> CommandResult[Plan]:
        return self._change(
            plan_id,
            meta,
            expected,
            lambda plan, graph: plan.set_source(step_id, material, source, graph, meta, self.limits),
            True,
        )

    def delete(self, plan_id: UUID, meta: CommandMeta, expected: int | None) -> CommandResult[Plan]:
        return self._change(plan_id, meta, expected, lambda plan, _: plan.delete(meta))

    def load(self, plan_id: UUID, owner: UUID, version: int | None = None) -> Plan:
        plan = self.store.load(plan_id, Plan, version)
        plan.ensure_owned_by(owner)
        if version is None:
            plan.ensure_live()
        return plan

    # ------------------------------------------------------------ runs

    def generate(
        self,
        plan_id: UUID,
        quantity: int,
        meta: CommandMeta,
        *,
        parallelism: int = 0,
        reason: RunReason | None = None,
        expected_version: int | None = None,
        cooldown_since: datetime | None = None,
        region_id: int | None = None,
    ) -> tuple[GeneratedRun, int]:
        """Record a run of ``quantity`` units and queue its jobs, atomically. With
        ``cooldown_since``, refuse (RecentlyTriggered) if an automatic run came after it. With
        ``region_id``, price every job and haul with the user's market data there."""
        validate_quantity(quantity)
        owner = meta.user_id

        def decide() -> tuple[list[Aggregate], GeneratedRun]:
            plan = load_expecting(self.store, Plan, plan_id, owner, expected_version)
            plan.ensure_live()
            plan.ensure_room_for_a_run(self.limits)  # before any work
            if cooldown_since is not None:
                plan.ensure_not_auto_triggered_since(cooldown_since)
            characters = self._characters(owner)
            generator = self._generator(plan, owner, region_id, characters)
            generation, pricing = generator.run(quantity, characters, parallelism, utcnow())
            run_id = uuid.uuid4()
            job_ids = tuple(uuid.uuid4() for _ in generation.jobs)
            jobs = [
                Job.queue(job_id, job.to_spec(run_id), meta)
                for job_id, job in zip(job_ids, generation.jobs, strict=True)
            ]
            hauls = [(haul, uuid.uuid4(), uuid.uuid4()) for haul in generation.transports]  # haul id, job id
            transports = tuple(RunTransport.of(haul, haul_id, job_ids, job_id) for haul, haul_id, job_id in hauls)
            haul_jobs = [Job.queue(job_id, haul.to_spec(run_id, haul_id), meta) for haul, haul_id, job_id in hauls]
            run = PlanRun.record(
                run_id,
                plan.id,
                plan.name,
                plan.product_type_id,
                quantity,
                parallelism,
                (*job_ids, *(job.id for job in haul_jobs)),
                transports,
                generation.skipped,
                generation.leftovers,
                reason,
                meta,
                generation.inventions,
            )
            plan.record_run(run_id, quantity, reason is not None, meta, self.limits)
            answer = GeneratedRun(
                run=run,
                plan=plan,
                jobs=tuple(jobs),
                haul_jobs=tuple(haul_jobs),
                generation=generation,
                transports=transports,
                pricing=pricing,
                characters=tuple(characters),
            )
            return [plan, run, *jobs, *haul_jobs], answer

        return save_atomically(self.store, [plan_id], decide)

    def _generator(self, plan: Plan, owner: UUID, region_id: int | None, roster: Sequence[Character]) -> _Generator:
        """What a run of the plan would be, for a quantity, characters (of the ``roster``),
        parallelism and instant: the one path both a recorded run and a preview take. The
        catalog, market data, the owned blueprints of the plan's recipes, the runs planned jobs
        promised them and the roster's busy slots are read once, here."""
        snapshot = self.graphs.snapshot(owner, "plan_id")
        plan.check_against(snapshot.graph)
        region = self._markets.current(owner, region_id) if region_id is not None else None
        blueprints = self._owned_blueprints(owner, plan)
        promised = self._queue.promised_runs(owner, [b.blueprint_id for owned in blueprints.values() for b in owned])
        busy = self._slot_occupancy.busy(owner, [character.character_id for character in roster])
        policy = plan.invention_policy(snapshot.decryptors)
        saved = self._transport.profiles(owner)
        profiles = {profile.profile_id: profile for profile in saved.shown()} if saved is not None else {}

        @functools.cache
        def route(start: int, end: int, rule: RouteRule) -> tuple[int, ...] | None:
            """Each route once per generator (a preview generates once per crew size)."""
            return self._routes.route(owner, start, end, rule)

        def run(
            quantity: int, characters: Sequence[Character], parallelism: int, now: datetime
        ) -> tuple[Generation, RunPricing | None]:
            generation = generate(
                plan.steps,
                snapshot.graph,
                quantity,
                transport=plan.transport,
                volumes=snapshot.volumes,
                characters=characters,
                parallelism=parallelism,
                price_of=sell_price(region.data) if region is not None else None,
                limits=self.limits,
                blueprints=blueprints,
                promised_copy_runs=promised,
                names=snapshot.names,
                busy=busy,
                now=now,
                invention=policy,
                profiles=profiles,
                routes=route,
            )
            if region is None or region_id is None:
                return generation, None
            priced, pricing = price_jobs(
                generation.jobs, snapshot.graph, region_id, region.data, region.job_site, plan.product_type_id
            )
            return msgspec.structs.replace(generation, jobs=tuple(priced)), pricing

        return _Generator(run=run, busy=tuple(busy))

    def preview(
        self,
        plan_id: UUID,
        quantity: int,
        owner: UUID,
        *,
        parallelism: int = 0,
        region_id: int | None = None,
    ) -> PlanPreview:
        """What ``generate`` would record now, and the run's length with 1, 2, … N characters;
        nothing is saved (a query that takes a body, so a command route)."""
        validate_quantity(quantity)
        plan = self.load(plan_id, owner)
        characters = tuple(self._characters(owner))
        generator = self._generator(plan, owner, region_id, characters)
        now = utcnow()
        generation, pricing = generator.run(quantity, characters, parallelism, now)
        crews = crew_timings(
            lambda crew: generator.run(quantity, crew, parallelism, now)[0], characters, generator.busy, now
        )
        return PlanPreview(
            plan=plan,
            quantity=quantity,
            parallelism=parallelism,
            generation=generation,
            pricing=pricing,
            characters=characters,
            crews=tuple(crews),
            now=now,
        )

    def _ensure_profiles(self, owner: UUID, named: Iterable[tuple[UUID | None, str]]) -> None:
        """Each transport profile a command names (with the field naming it) is one of the
        owner's: anyone else's is refused exactly as a missing one."""
        wanted = [(profile_id, field) for profile_id, field in named if profile_id is not None]
        if not wanted:
            return
        saved = self._transport.profiles(owner)
        for profile_id, field in wanted:
            if saved is None or profile_id not in saved.profiles:
                raise RuleViolation(f"transport profile {profile_id} is not one of yours", field)

    def _owned_blueprints(self, owner: UUID, plan: Plan) -> dict[int, list[OwnedBlueprint]]:
        """The owner's blueprints of the plan's recipes by type: the only ones its steps build with."""
        by_type: dict[int, list[OwnedBlueprint]] = defaultdict(list)
        for blueprint in self._blueprints.of_types(owner, {step.blueprint_type_id for step in plan.steps.values()}):
            by_type[blueprint.type_id].append(blueprint)
        return by_type

    def _characters(self, owner: UUID) -> list[Character]:
        try:
            return list(self.store.load(roster_id(owner), Roster).state())
        except NotFound:
            return []

    def _run_of(self, run_id: UUID, owner: UUID, plan_id: UUID | None) -> PlanRun:
        try:
            run = self.store.load(run_id, PlanRun)
            run.ensure_owned_by(owner)
            run.ensure_of_plan(plan_id if plan_id is not None else run.plan_id)
        except NotFound:
            raise NotFound("plan run not found", "run_id") from None
        return run

    def delete_run(self, plan_id: UUID, run_id: UUID, meta: CommandMeta) -> int:
        """The run goes; its jobs stay, unlinked."""

        def decide() -> tuple[list[Aggregate], None]:
            plan = self.load(plan_id, meta.user_id)
            run = self._run_of(run_id, meta.user_id, plan_id)
            run.delete(meta)
            plan.forget_run(run_id, meta)
            return [plan, run], None

        return save_atomically(self.store, [plan_id, run_id], decide)[1]

    def cancel_run(self, run_id: UUID, meta: CommandMeta) -> tuple[CancelledRun, int]:
        """Cancel the run's planned jobs (active ones are already running in the game)."""

        def decide() -> tuple[list[Aggregate], CancelledRun]:
            run = self._run_of(run_id, meta.user_id, None)
            self.load(run.plan_id, meta.user_id)  # a run of a deleted plan is gone too
            jobs = [self.store.load(job_id, Job) for job_id in run.job_ids]
            planned = [job for job in jobs if job.status is JobStatus.PLANNED]
            for job in planned:
                job.cancel(meta)
            if planned:
                run.cancelled(tuple(job.id for job in planned), meta)
            return [run, *planned], CancelledRun(jobs_cancelled=len(planned))

        touched = [run_id, *self._run_of(run_id, meta.user_id, None).job_ids]
        return save_atomically(self.store, touched, decide)
