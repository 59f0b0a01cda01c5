"""The job queue: one row per job, its spec's fields as columns beside its lifecycle.

The spec's columns come from ``JobSpec`` itself (``struct_columns``) and a job's row from its
spec (``struct_cells``), and the view takes every column by name: a new job field is a
``JobSpec`` field plus a ``JobView`` field. A job's status change moves its run's counts.

An active job past its ``ends_at`` is shown ``ready`` to deliver: derived when read (the
query's clock), never stored, so the run counts and the queue the game sync matches keep the
stored ``active``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Float,
    Integer,
    String,
    Uuid,
    and_,
    case,
    func,
    or_,
    select,
)

from domain.events import utcnow
from domain.industry.game_sync import QueuedJob, shown_status
from domain.industry.jobs import (
    JobCancelled,
    JobCharacterAssigned,
    JobCompleted,
    JobEdited,
    JobLinked,
    JobQueued,
    JobRevenueRecorded,
    JobSpec,
    JobStarted,
    JobState,
    JobStatus,
)
from projections.industry.batch import IndustryBatch
from projections.industry.game_jobs import link_queue_job
from projections.industry.names import product_name
from projections.industry.plans import touched
from projections.readmodel import Attributes, ReadModelTable, struct_cells, struct_columns
from projections.runtime import handles
from projections.types import UtcDateTime

JOBS = ReadModelTable(
    "industry_jobs",
    lambda: [
        Column("job_id", Uuid, primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        *struct_columns(JobSpec, activity=String(24), notes=String(2000)),
        Column("actual_revenue", Float),
        Column("successful_runs", Integer),  # invention: attempts that won a copy, as the game reported
        Column("status", String(16), nullable=False),
        Column("esi_job_id", BigInteger),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("started_at", UtcDateTime),
        Column("ends_at", UtcDateTime),
        Column("completed_at", UtcDateTime),
        Column("updated_at", UtcDateTime, nullable=False),
    ],
    indexes=[
        ("owner_status", ["owner_id", "status"], False),
        ("run", ["plan_run_id"], False),
        ("owner_esi", ["owner_id", "esi_job_id"], False),
    ],
)


class JobHandlers:
    """The industry projection's handlers of job events."""

    @handles(JobQueued)
    def _job_queued(self, batch: IndustryBatch, event: JobQueued) -> None:
        batch.jobs.put(
            {
                "job_id": event.originator_id,
                "owner_id": event.owner_id,
                **job_cells(event.spec),
                "actual_revenue": None,
                "successful_runs": None,
                "status": JobStatus.PLANNED.value,
                "esi_job_id": None,
                "created_at": event.timestamp,
                "started_at": None,
                "ends_at": None,
                "completed_at": None,
                **touched(event),
            },
        )

    @handles(JobStarted)
    def _job_started(self, batch: IndustryBatch, event: JobStarted) -> None:
        _change(
            batch,
            event,
            status="active",
            esi_job_id=event.esi_job_id,
            character_id=event.character_id,
            started_at=event.started_at,
            ends_at=event.ends_at,
        )
        if event.esi_job_id is not None:
            link_queue_job(batch, event.meta.user_id, event.esi_job_id, event.originator_id)

    @handles(JobLinked)
    def _job_linked(self, batch: IndustryBatch, event: JobLinked) -> None:
        _change(batch, event, esi_job_id=event.esi_job_id, started_at=event.started_at, ends_at=event.ends_at)
        link_queue_job(batch, event.meta.user_id, event.esi_job_id, event.originator_id)

    @handles(JobCompleted)
    def _job_completed(self, batch: IndustryBatch, event: JobCompleted) -> None:
        _change(
            batch,
            event,
            status="completed",
            completed_at=event.completed_at,
            actual_revenue=event.actual_revenue,
            successful_runs=event.successful_runs,
        )

    @handles(JobRevenueRecorded)
    def _revenue_recorded(self, batch: IndustryBatch, event: JobRevenueRecorded) -> None:
        _change(batch, event, actual_revenue=event.actual_revenue)

    @handles(JobCancelled)
    def _job_cancelled(self, batch: IndustryBatch, event: JobCancelled) -> None:
        _change(batch, event, status="cancelled")

    @handles(JobEdited)
    def _job_edited(self, batch: IndustryBatch, event: JobEdited) -> None:
        _change(batch, event, **job_cells(event.spec))

    @handles(JobCharacterAssigned)
    def _character_assigned(self, batch: IndustryBatch, event: JobCharacterAssigned) -> None:
        _change(batch, event, character_id=event.character_id)


def job_cells(spec: JobSpec) -> dict[str, Any]:
    """A job's spec as its row's cells, its activity as the queue shows it (``transport`` for
    a haul)."""
    return {**struct_cells(spec), "activity": spec.shown_activity}


def _change(batch: IndustryBatch, event: Any, **values: Any) -> None:
    """Set a job's ``values``; a new status moves its run's counts from the old one to it."""
    job = batch.jobs.get(event.originator_id)
    if job is None:
        return
    old_status: str = job["status"]
    run_id = job["plan_run_id"]
    batch.jobs.update(job, **touched(event), **values)
    new_status: str = values.get("status") or old_status
    if run_id is not None and new_status != old_status:
        run = batch.runs.get(run_id)
        if run is not None:
            batch.runs.update(run, **{old_status: run[old_status] - 1, new_status: run[new_status] + 1})


# ------------------------------------------------------------------- queries


class JobView(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    user_id: UUID
    character_id: int | None
    product_type_id: int
    product_name: str | None
    blueprint_type_id: int
    blueprint_id: int | None
    activity: str
    runs: int
    me_level: int
    te_level: int
    facility_tax: float
    station_id: int | None
    expected_output: int
    estimated_duration: int | None  # whole seconds
    start_after: datetime | None
    materials: list[dict[str, Any]]
    total_cost: float | None
    expected_revenue: float | None
    actual_revenue: float | None
    notes: str
    status: str
    esi_job_id: int | None
    plan_run_id: UUID | None
    plan_step_id: int | None
    sort_order: int
    version: int
    created_at: datetime
    started_at: datetime | None
    ends_at: datetime | None  # the game's end date, or the estimated end of a job started by hand
    completed_at: datetime | None
    updated_at: datetime
    successful_runs: int | None = None  # invention: attempts that won a copy, once the game delivered it
    runs_per_copy: int | None = None  # invention: runs of each copy a success wins
    kind: str = "industry"  # or "transport": a plan run's haul (activity "transport", no industry slot)
    from_station_id: int | None = None  # transport: where the haul leaves from
    haul_id: UUID | None = None  # transport: the run's haul (``transportJobs``) it carries


# columns the view names otherwise; every other column is the view field of its name
_VIEW_NAMES = {"job_id": "id", "owner_id": "user_id", "duration_seconds": "estimated_duration"}


def job_view(fields: Any) -> JobView:
    """A job's view from anything with the view's fields as attributes: a row of ``_jobs_query``,
    or a job just changed (``job_view_of``)."""
    return msgspec.convert(fields, JobView, from_attributes=True)


def job_view_of(state: JobState, product_name: str | None, now: datetime | None = None) -> JobView:
    """A job just changed, before the projection has it: the view of the row the projection
    will hold (its spec's cells, with its own character and status, shown as of ``now``)."""
    spec = {_VIEW_NAMES.get(name, name): cell for name, cell in job_cells(state.spec).items()}
    lifecycle = struct_cells(state, ("character_id", "status"))
    lifecycle["status"] = shown_status(lifecycle["status"], state.ends_at, now or utcnow())
    return job_view(Attributes(state, **{**spec, **lifecycle, "product_name": product_name}))


def shown_status_column(status: ColumnElement[Any], ends_at: ColumnElement[Any], now: datetime) -> Any:
    """``game_sync.shown_status`` in SQL, so a query can filter, count and sort on it."""
    ready = or_(status == "ready", and_(status == "active", ends_at <= now))
    return case((ready, "ready"), else_=status)


def _jobs_query(now: datetime) -> Any:
    jobs = JOBS.view
    columns = [column.label(_VIEW_NAMES.get(column.name, column.name)) for column in jobs.c if column.name != "status"]
    status = shown_status_column(jobs.c.status, jobs.c.ends_at, now).label("status")
    return select(*columns, status, product_name(jobs).label("product_name"))


def list_jobs(
    connection: Connection,
    owner: UUID,
    *,
    status: str | None = None,
    character_id: int | None = None,
    plan_run_id: UUID | None = None,
    activity: str | None = None,
    limit: int = 10_000,
    offset: int = 0,
    now: datetime | None = None,
) -> list[JobView]:
    """The owner's jobs, deepest dependencies first, each shown as of ``now`` (the clock);
    ``status`` is the shown one (``ready``: active past their end, ``active``: not yet)."""
    jobs, now = JOBS.view, now or utcnow()
    query = _jobs_query(now).where(jobs.c.owner_id == owner)
    if status in ("ready", "active"):
        shown = shown_status_column(jobs.c.status, jobs.c.ends_at, now)
        query = query.where(jobs.c.status == "active", shown == status)
    elif status is not None:
        query = query.where(jobs.c.status == status)
    if character_id is not None:
        query = query.where(jobs.c.character_id == character_id)
    if plan_run_id is not None:
        query = query.where(jobs.c.plan_run_id == plan_run_id)
    if activity is not None:
        query = query.where(jobs.c.activity == activity)
    query = query.order_by(jobs.c.sort_order.desc(), jobs.c.created_at, jobs.c.job_id).limit(limit).offset(offset)
    return [job_view(row) for row in connection.execute(query)]


def find_job(connection: Connection, owner: UUID, job_id: UUID) -> JobView | None:
    jobs = JOBS.view
    row = connection.execute(_jobs_query(utcnow()).where(jobs.c.owner_id == owner, jobs.c.job_id == job_id)).first()
    return job_view(row) if row is not None else None


_PROMISED_CHUNK = 1000  # blueprint ids per statement: well within SQLite's limit of bound values


def promised_runs(connection: Connection, owner: UUID, blueprint_ids: Collection[int]) -> dict[int, int]:
    """Runs of these owned blueprints (by item id) the owner's planned industry jobs hold,
    summed in the query; a blueprint no planned job runs is absent."""
    jobs = JOBS.view
    wanted = sorted(set(blueprint_ids))
    promised: dict[int, int] = {}
    for start in range(0, len(wanted), _PROMISED_CHUNK):
        query = (
            select(jobs.c.blueprint_id, func.sum(jobs.c.runs))
            .where(
                jobs.c.owner_id == owner,
                jobs.c.kind == "industry",
                jobs.c.status == JobStatus.PLANNED.value,
                jobs.c.blueprint_id.in_(wanted[start : start + _PROMISED_CHUNK]),
            )
            .group_by(jobs.c.blueprint_id)
        )
        promised.update({blueprint_id: int(runs) for blueprint_id, runs in connection.execute(query)})
    return promised


def unlinked_jobs(connection: Connection, owner: UUID) -> list[QueuedJob]:
    """The owner's industry jobs a game job may still claim: planned, or started by hand
    without a game job id."""
    jobs = JOBS.view
    claimable = or_(
        jobs.c.status == JobStatus.PLANNED.value,
        and_(jobs.c.status == JobStatus.ACTIVE.value, jobs.c.esi_job_id.is_(None)),
    )
    return _queued(connection, jobs.c.owner_id == owner, jobs.c.kind == "industry", claimable)


def linked_jobs(connection: Connection, owner: UUID, esi_job_ids: Sequence[int]) -> list[QueuedJob]:
    """The owner's jobs linked to one of these game jobs, as the game sync matches them."""
    jobs = JOBS.view
    return _queued(connection, jobs.c.owner_id == owner, jobs.c.esi_job_id.in_(list(esi_job_ids)))


def _queued(connection: Connection, *filters: ColumnElement[bool]) -> list[QueuedJob]:
    """Jobs with their stored status: an active job past its end is still ``active`` to the
    game sync (``ready`` is only how it is shown)."""
    jobs = JOBS.view
    columns = [column.label(_VIEW_NAMES.get(column.name, column.name)) for column in jobs.c]
    rows = connection.execute(select(*columns).where(*filters).order_by(jobs.c.created_at, jobs.c.job_id))
    return [msgspec.convert(row, QueuedJob, from_attributes=True) for row in rows]


class PendingOutput(msgspec.Struct, frozen=True, kw_only=True):
    """Units of one item one user's planned and active jobs will deliver at one station
    (``station_id`` None: jobs with no station, whose output has no known place yet)."""

    owner_id: UUID
    type_id: int
    station_id: int | None
    units: int


def pending_output(
    connection: Connection, owner: UUID | None, type_ids: Sequence[int] | None = None
) -> list[PendingOutput]:
    """Per (user, item, station), of one user or of everyone: what every planned or active job
    making the item will deliver. Every job counts, whether a run queued it, a deleted run left
    it behind or a user created it by hand: a job still to deliver is output the runner must
    not build again (what auto-production subtracts from a deficit)."""
    jobs = JOBS.view
    query = (
        select(jobs.c.owner_id, jobs.c.product_type_id, jobs.c.station_id, func.sum(jobs.c.expected_output))
        .where(jobs.c.status.in_(("planned", "active")), jobs.c.kind == "industry")  # a haul makes nothing
        .group_by(jobs.c.owner_id, jobs.c.product_type_id, jobs.c.station_id)
    )
    if owner is not None:
        query = query.where(jobs.c.owner_id == owner)
    if type_ids is not None:
        query = query.where(jobs.c.product_type_id.in_(list(type_ids)))
    return [
        PendingOutput(owner_id=o, type_id=t, station_id=s, units=int(units or 0))
        for o, t, s, units in connection.execute(query)
    ]
