"""Commands on queued jobs, the game-job sync, and the user's characters.

A job is queued from a spec the caller gives (``create``) or from an order the workflow API
takes (``order``): the order is worked out against the user's catalog into a spec first
(``domain.industry.workflow``), then queued by ``create`` like any other."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

import msgspec
from msgspec import UNSET

from application.catalog_graphs import CatalogGraphs
from application.command_runner import (
    CommandResult,
    create_aggregate,
    load_expecting,
    save_atomically,
    update_aggregate,
)
from application.event_store import EventStore
from application.ports import JobQueue, RegionMarkets
from application.stock import load_or_open_assets
from domain.aggregate import Aggregate
from domain.catalog.industry import Skills
from domain.catalog.model import ActivityKind
from domain.economics.market import Missing
from domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from domain.events import CommandMeta, utcnow
from domain.industry.characters import Character, Roster, roster_id
from domain.industry.game_sync import Action, GameJob, plan_sync
from domain.industry.invention_runs import RunJob, shortfall, top_up_specs
from domain.industry.job_edits import JobEdit, edited_spec
from domain.industry.jobs import GameJobLink, Job, JobSpec, JobStatus, game_job_link_id
from domain.industry.pricing import priced_spec
from domain.industry.runs import PlanRun
from domain.industry.workflow import JobOrder, ordered_job
from domain.stock.assets import assets_id
from domain.work_limits import DEFAULT_LIMITS, WorkLimits


class SyncResult(msgspec.Struct, frozen=True, kw_only=True):
    started: list[UUID]
    linked: list[UUID]  # started by hand without the game's job id, now known as the game's job
    completed: list[UUID]
    cancelled: list[UUID]
    unmatched: list[int]  # game job ids that no queued job fits
    topped_up: list[UUID] = []  # jobs queued for more invention attempts (a batch won too few copies)


def _move(job: Job, status: JobStatus, actual_revenue: float | None, meta: CommandMeta) -> None:
    """The command that takes a job to ``status``; the job refuses what its status forbids."""
    if status is JobStatus.ACTIVE:
        job.start(None, None, utcnow(), meta)
    elif status is JobStatus.COMPLETED:
        job.complete(utcnow(), actual_revenue, meta)
    elif status is JobStatus.CANCELLED:
        job.cancel(meta)
    else:
        raise Conflict(f"job is {job.status.value}; a job never goes back to planned", "status")


class OrderedJob(msgspec.Struct, frozen=True, kw_only=True):
    result: CommandResult[Job]
    missing: list[Missing]  # the prices the job's cost lacked (priced in a region only)


class JobService:
    def __init__(
        self,
        store: EventStore,
        queue: JobQueue,
        graphs: CatalogGraphs,
        markets: RegionMarkets,
        limits: WorkLimits = DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self.limits = limits
        self._queue = queue  # as of the log head: the sync matches the queue of every saved command
        self._graphs = graphs  # the user's catalog, which an order is worked out with
        self._markets = markets  # a user's market data for a region (prices an order)

    def create(self, spec: JobSpec, meta: CommandMeta) -> CommandResult[Job]:
        if spec.plan_run_id is not None or spec.plan_step_id is not None:
            raise InvalidInput("jobs created by hand belong to no plan run", "plan_run_id")
        return create_aggregate(self.store, Job.queue(uuid.uuid4(), spec, meta), "job")

    def order(self, order: JobOrder, meta: CommandMeta) -> OrderedJob:
        """Queue the job an order describes, worked out with the catalog and the skills of its
        character (if in the roster); with its ``region_id``, priced with the market data
        there: its cost, and its output's expected revenue at the lowest sell."""
        snapshot = self._graphs.snapshot(meta.user_id)
        spec = ordered_job(order, snapshot, self._character(meta.user_id, order.character_id))
        missing: list[Missing] = []
        if order.region_id is not None:
            try:
                region = self._markets.current(meta.user_id, order.region_id)
            except NotFound as error:
                raise NotFound(error.detail, "region_id") from None
            spec, missing = priced_spec(spec, snapshot.graph, region.data, region.job_site, sold=True)
        return OrderedJob(result=self.create(spec, meta), missing=missing)

    def _character(self, owner: UUID, character_id: int | None) -> Character | None:
        if character_id is None:
            return None
        try:
            roster = self.store.load(roster_id(owner), Roster)
        except NotFound:
            return None
        return roster.characters.get(character_id)

    def start(
        self,
        job_id: UUID,
        esi_job_id: int | None,
        character_id: int | None,
        started_at: datetime | None,
        meta: CommandMeta,
        expected: int | None,
    ) -> CommandResult[Job]:
        if esi_job_id is None:
            return self._update(
                job_id, meta, expected, lambda job: job.start(None, character_id, started_at or utcnow(), meta)
            )

        def decide() -> tuple[list[Aggregate], Job]:
            job = self._load(job_id, meta.user_id, expected)
            job.start(esi_job_id, character_id, started_at or utcnow(), meta)
            try:
                self.store.load(game_job_link_id(meta.user_id, esi_job_id), GameJobLink, fresh=True)
            except NotFound:
                return [job, GameJobLink.claim(esi_job_id, job_id, meta)], job
            raise Conflict(f"game job {esi_job_id} is already linked to another job", "esi_job_id")

        job, position = save_atomically(self.store, [job_id], decide)
        return CommandResult(job, position, changed=True)

    def complete(
        self, job_id: UUID, actual_revenue: float | None, meta: CommandMeta, expected: int | None
    ) -> CommandResult[Job]:
        """The job is delivered, and its output is added to the assets at its station."""

        def decide() -> tuple[list[Aggregate], Job]:
            job = self._load(job_id, meta.user_id, expected)
            job.complete(utcnow(), actual_revenue, meta)
            return [job, *self._deliver([job], meta)], job

        job, position = save_atomically(self.store, [job_id, assets_id(meta.user_id)], decide)
        return CommandResult(job, position, changed=True)

    def update(
        self,
        job_id: UUID,
        status: JobStatus | None,
        actual_revenue: float | None,
        meta: CommandMeta,
        expected: int | None,
    ) -> CommandResult[Job]:
        """Move the job to ``status`` through its commands (start, complete, cancel; the status
        it has already: nothing) and/or record what its output sold for, in one command. A job
        completed here delivers its output as ``complete`` does; one completed before may
        still get its revenue, and the same revenue twice records nothing."""

        def decide() -> tuple[list[Aggregate], tuple[Job, bool]]:
            job = self._load(job_id, meta.user_id, expected)
            was = job.status
            if status is not None and status is not was:
                _move(job, status, actual_revenue, meta)
            if actual_revenue is not None:
                job.record_revenue(actual_revenue, meta)
            delivered = self._deliver([job], meta) if was is not JobStatus.COMPLETED else []
            return [job, *delivered], (job, job.has_pending_events)

        (job, changed), position = save_atomically(self.store, [job_id, assets_id(meta.user_id)], decide)
        return CommandResult(job, position, changed=changed)

    def _deliver(self, jobs: Sequence[Job], meta: CommandMeta) -> list[Aggregate]:
        """Completed industry jobs' output lands in the user's assets where they ran (a job
        without a station has nowhere to land; the next asset snapshot will show it). A haul
        makes nothing: the asset snapshots show its goods where they arrive."""
        delivered = [
            (job.spec.station_id, job)
            for job in jobs
            if job.status is JobStatus.COMPLETED and job.spec.station_id is not None and job.spec.kind == "industry"
        ]
        if not delivered:
            return []
        assets = load_or_open_assets(self.store, meta.user_id, meta)
        for station_id, job in delivered:
            spec, delivered_at = job.spec, job.completed_at or utcnow()
            reason = f"job {job.id} completed"
            assets.receive(station_id, spec.product_type_id, job.delivered_output, reason, delivered_at, meta)
        return [assets]

    def cancel(self, job_id: UUID, meta: CommandMeta, expected: int | None) -> CommandResult[Job]:
        return self._update(job_id, meta, expected, lambda job: job.cancel(meta))

    def assign(
        self, job_id: UUID, character_id: int | None, meta: CommandMeta, expected: int | None
    ) -> CommandResult[Job]:
        """Say who runs a planned job: one of the roster's characters, or nobody (None)."""

        def decide(job: Job) -> None:
            self._roster_character(meta.user_id, character_id)
            job.assign(character_id, meta)

        return self._update(job_id, meta, expected, decide)

    def edit(self, job_id: UUID, edit: JobEdit, meta: CommandMeta, expected: int | None) -> CommandResult[Job]:
        """Edit a planned job (see ``domain.industry.job_edits``), timed with the skills of the
        character who runs it after the edit."""

        def decide(job: Job) -> None:
            job.ensure_industry("edited")
            runner = job.character_id if edit.character_id is UNSET else edit.character_id
            character = self._roster_character(meta.user_id, runner)
            skills = character.skills.for_time if character is not None else Skills()
            graph = self._graphs.snapshot(meta.user_id).graph
            spec = job.spec
            build = next(
                (
                    step
                    for step in graph.alternatives(spec.product_type_id)
                    if (step.recipe_id, step.kind) == (spec.blueprint_type_id, spec.activity)
                ),
                None,
            )
            job.edit(edited_spec(spec, edit, build, skills), meta)
            if edit.character_id is not UNSET:
                job.assign(edit.character_id, meta)

        return self._update(job_id, meta, expected, decide)

    def _roster_character(self, owner: UUID, character_id: int | None) -> Character | None:
        """The roster's character (None for nobody); one not in the roster is refused: a job
        runs on one of the user's own characters."""
        character = self._character(owner, character_id)
        if character_id is not None and character is None:
            raise RuleViolation(f"character {character_id} is not in your roster", "character_id")
        return character

    def _update(
        self, job_id: UUID, meta: CommandMeta, expected: int | None, decide: Callable[[Job], object]
    ) -> CommandResult[Job]:
        try:
            return update_aggregate(self.store, Job, job_id, meta.user_id, decide, expected)
        except NotFound:
            raise NotFound("job not found", "job_id") from None

    def _load(self, job_id: UUID, owner: UUID, expected: int | None) -> Job:
        try:
            return load_expecting(self.store, Job, job_id, owner, expected)
        except NotFound:
            raise NotFound("job not found", "job_id") from None

    # ------------------------------------------------------------ game sync

    def sync(self, character_id: int, game_jobs: Sequence[GameJob], meta: CommandMeta) -> tuple[SyncResult, int]:
        """Apply the game's view of one character's jobs to the queue, atomically."""
        if character_id < 1:
            raise InvalidInput("characterId must be a positive game character id", "character_id")
        owner = meta.user_id

        def decide() -> tuple[list[Aggregate], SyncResult]:
            unlinked = self._queue.unlinked(owner)
            linked = self._queue.linked(owner, [g.job_id for g in game_jobs])
            steps = plan_sync(game_jobs, unlinked, linked, character_id)
            jobs: dict[UUID, Job] = {}
            links: list[Aggregate] = []
            done: dict[Action, list[UUID]] = {action: [] for action in Action}
            for step in steps:
                job = jobs.get(step.job_id) or self.store.load(step.job_id, Job)
                jobs[step.job_id] = job
                game = step.game_job
                if step.action is Action.START:
                    job.start(game.job_id, character_id, game.start_date, meta, ends_at=game.end_date)
                    links.append(GameJobLink.claim(game.job_id, job.id, meta))
                elif step.action is Action.LINK:
                    job.link(game.job_id, game.start_date, game.end_date, meta)
                    links.append(GameJobLink.claim(game.job_id, job.id, meta))
                elif step.action is Action.COMPLETE:
                    job.complete(game.completed_date or game.end_date, None, meta, game.successful_runs)
                else:
                    job.cancel(meta)
                done[step.action].append(job.id)
            matched = {step.game_job.job_id for step in steps} | {j.esi_job_id for j in linked}
            ended = [jobs[job_id] for job_id in (*done[Action.COMPLETE], *done[Action.CANCEL])]
            runs, topped_up = self._top_up_invention(ended, jobs, meta)
            result = SyncResult(
                started=done[Action.START],
                linked=done[Action.LINK],
                completed=done[Action.COMPLETE],
                cancelled=done[Action.CANCEL],
                unmatched=sorted(g.job_id for g in game_jobs if g.job_id not in matched),
                topped_up=[job.id for job in topped_up],
            )
            delivered = self._deliver(list(jobs.values()), meta)
            return [*jobs.values(), *links, *delivered, *runs, *topped_up], result

        return save_atomically(self.store, [], decide)

    def _top_up_invention(
        self, ended: Sequence[Job], changed: dict[UUID, Job], meta: CommandMeta
    ) -> tuple[list[PlanRun], list[Job]]:
        """For each run an invention job of which just ended: every invention step whose jobs
        have all ended short of the copies it needs gets more attempts queued
        (``domain.industry.invention_runs``); a failed batch is followed up, not left."""
        run_ids = {
            job.plan_run_id
            for job in ended
            if job.spec.activity is ActivityKind.INVENTION and job.plan_run_id is not None
        }
        runs: list[PlanRun] = []
        queued: list[Job] = []
        for run_id in sorted(run_ids, key=str):
            try:
                run = self.store.load(run_id, PlanRun)
            except NotFound:
                continue
            if run.deleted or not run.inventions:
                continue
            run_jobs = [
                RunJob(spec=job.spec, status=job.status, successful_runs=job.successful_runs)
                for job in (changed.get(job_id) or self.store.load(job_id, Job) for job_id in run.job_ids)
            ]
            for need in run.inventions:
                specs = top_up_specs(need, shortfall(need, run_jobs), run_jobs, run.id)
                if not specs:
                    continue
                added = [Job.queue(uuid.uuid4(), spec, meta) for spec in specs]
                run.top_up_invention(need.plan_step_id, shortfall(need, run_jobs), tuple(j.id for j in added), meta)
                queued.extend(added)
            if run.has_pending_events:
                runs.append(run)
        return runs, queued

    # ------------------------------------------------------------ characters

    def register_character(self, character: Character, meta: CommandMeta) -> CommandResult[Roster]:
        return self._roster(meta, lambda roster: roster.register(character, meta, self.limits))

    def remove_character(self, character_id: int, meta: CommandMeta) -> CommandResult[Roster]:
        return self._roster(meta, lambda roster: roster.remove(character_id, meta))

    def _roster(self, meta: CommandMeta, decide: Callable[[Roster], object]) -> CommandResult[Roster]:
        aggregate_id = roster_id(meta.user_id)
        try:
            return update_aggregate(self.store, Roster, aggregate_id, meta.user_id, decide)
        except NotFound as missing:
            if missing.field == "character_id":
                raise
        roster = Roster.open(meta.user_id, meta)
        decide(roster)
        try:
            return create_aggregate(self.store, roster, "roster")
        except Conflict:  # another first registration won: apply on top of it
            return update_aggregate(self.store, Roster, aggregate_id, meta.user_id, decide)
