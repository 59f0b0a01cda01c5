"""Read models of production plans, plan runs, the job queue and characters.

A run's status is never stored: each run row keeps counts of its jobs by status, moved by
the jobs' own events, and the status is derived from those counts when read (the spec's
table). Deleting a run, or the plan it belongs to, removes the run rows and unlinks their
jobs (``plan_run_id`` becomes NULL, the spec's ON DELETE SET NULL); the jobs stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Table,
    Uuid,
    delete,
    func,
    select,
    update,
)

from domain.catalog.model import ActivityKind
from domain.events import Event
from domain.industry.characters import Character, CharacterRegistered, CharacterRemoved
from domain.industry.jobs import (
    JobCancelled,
    JobCharacterAssigned,
    JobCompleted,
    JobQueued,
    JobStarted,
    JobStatus,
)
from domain.industry.plan import (
    PlanCreated,
    PlanDeleted,
    PlanRenamed,
    PlanRunGenerated,
    PlanRunRemoved,
    PlanStep,
    PlanStepsAdded,
    PlanStepsRemoved,
    PlanStepUpdated,
    PlanTransportChanged,
    TransportSettings,
)
from domain.industry.runs import PlanRunCancelled, PlanRunCreated, PlanRunDeleted
from projections.catalog import CATALOG_ITEMS
from projections.readmodel import ReadModelTable, insert_rows
from projections.runtime import Projection
from projections.types import UtcDateTime

PLANS = ReadModelTable(
    "industry_plans",
    lambda: [
        Column("plan_id", Uuid, primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        Column("name", String(200), nullable=False),
        Column("product_type_id", BigInteger, nullable=False),
        Column("steps", JSON, nullable=False),
        Column("transport", JSON),
        Column("version", Integer, nullable=False),
        Column("last_generated_at", UtcDateTime),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ],
    indexes=[("owner_product", ["owner_id", "product_type_id"], False)],
)

RUNS = ReadModelTable(
    "industry_plan_runs",
    lambda: [
        Column("run_id", Uuid, primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        Column("plan_id", Uuid, nullable=False),
        Column("product_type_id", BigInteger, nullable=False),
        Column("quantity", BigInteger, nullable=False),
        Column("parallelism", Integer, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("transports", JSON, nullable=False),
        Column("skipped", JSON, nullable=False),
        Column("leftovers", JSON, nullable=False),
        Column("reason", JSON),
        Column("planned", Integer, nullable=False),
        Column("active", Integer, nullable=False),
        Column("completed", Integer, nullable=False),
        Column("cancelled", Integer, nullable=False),
    ],
    indexes=[("owner_created", ["owner_id", "created_at"], False), ("plan", ["plan_id"], False)],
)

JOBS = ReadModelTable(
    "industry_jobs",
    lambda: [
        Column("job_id", Uuid, primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        Column("character_id", BigInteger),
        Column("product_type_id", BigInteger, nullable=False),
        Column("blueprint_type_id", BigInteger, nullable=False),
        Column("activity", String(24), nullable=False),
        Column("runs", Integer, nullable=False),
        Column("me_level", Integer, nullable=False),
        Column("te_level", Integer, nullable=False),
        Column("facility_tax", Float, nullable=False),
        Column("station_id", BigInteger),
        Column("expected_output", BigInteger, nullable=False),
        Column("duration_seconds", Float),
        Column("materials", JSON, nullable=False),
        Column("total_cost", Float),
        Column("expected_revenue", Float),
        Column("actual_revenue", Float),
        Column("notes", String(2000), nullable=False),
        Column("status", String(16), nullable=False),
        Column("esi_job_id", BigInteger),
        Column("plan_run_id", Uuid),
        Column("plan_step_id", Integer),
        Column("sort_order", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("started_at", UtcDateTime),
        Column("completed_at", UtcDateTime),
        Column("updated_at", UtcDateTime, nullable=False),
    ],
    indexes=[
        ("owner_status", ["owner_id", "status"], False),
        ("run", ["plan_run_id"], False),
        ("owner_esi", ["owner_id", "esi_job_id"], False),
    ],
)

CHARACTERS = ReadModelTable(
    "industry_characters",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("character_id", BigInteger, primary_key=True),
        Column("name", String(100), nullable=False),
        Column("skills", JSON, nullable=False),
        Column("manufacturing_slots", Integer, nullable=False),
        Column("reaction_slots", Integer, nullable=False),
        Column("science_slots", Integer, nullable=False),
    ],
)


class IndustryProjection(Projection):
    name = "industry"
    tables = (PLANS, RUNS, JOBS, CHARACTERS)
    topics = (
        PlanCreated,
        PlanRenamed,
        PlanTransportChanged,
        PlanStepsAdded,
        PlanStepUpdated,
        PlanStepsRemoved,
        PlanDeleted,
        PlanRunGenerated,
        PlanRunRemoved,
        PlanRunCreated,
        PlanRunCancelled,
        PlanRunDeleted,
        JobQueued,
        JobStarted,
        JobCompleted,
        JobCancelled,
        JobCharacterAssigned,
        CharacterRegistered,
        CharacterRemoved,
    )

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        """Events in order; queued jobs are inserted in bulk (a run queues many at once)."""
        queued: list[dict[str, Any]] = []
        for event in events:
            if isinstance(event, JobQueued):
                queued.append(_job_row(event))
                continue
            if queued:
                insert_rows(connection, tables["industry_jobs"], queued)
                queued = []
            self._apply_one(connection, tables, event)
        insert_rows(connection, tables["industry_jobs"], queued)

    def _apply_one(self, connection: Connection, tables: Mapping[str, Table], event: Event) -> None:
        plans, runs, jobs = tables["industry_plans"], tables["industry_plan_runs"], tables["industry_jobs"]
        touched = {"version": event.originator_version, "updated_at": event.timestamp}
        if isinstance(event, PlanCreated):
            insert_rows(
                connection,
                plans,
                [
                    {
                        "plan_id": event.originator_id,
                        "owner_id": event.owner_id,
                        "name": event.name,
                        "product_type_id": event.product_type_id,
                        "steps": msgspec.to_builtins(event.steps),
                        "transport": msgspec.to_builtins(event.transport),
                        "last_generated_at": None,
                        "created_at": event.timestamp,
                        **touched,
                    }
                ],
            )
        elif isinstance(event, PlanDeleted):
            run_ids = select(runs.c.run_id).where(runs.c.plan_id == event.originator_id).scalar_subquery()
            connection.execute(update(jobs).where(jobs.c.plan_run_id.in_(run_ids)).values(plan_run_id=None))
            connection.execute(delete(runs).where(runs.c.plan_id == event.originator_id))
            connection.execute(delete(plans).where(plans.c.plan_id == event.originator_id))
        elif isinstance(
            event, PlanRenamed | PlanTransportChanged | PlanStepsAdded | PlanStepUpdated | PlanStepsRemoved
        ):
            self._change_plan(connection, plans, event, touched)
        elif isinstance(event, PlanRunGenerated):
            row = {**touched, "last_generated_at": event.timestamp}
            connection.execute(update(plans).where(plans.c.plan_id == event.originator_id).values(row))
        elif isinstance(event, PlanRunRemoved):
            connection.execute(update(plans).where(plans.c.plan_id == event.originator_id).values(touched))
        elif isinstance(event, PlanRunCreated):
            insert_rows(connection, runs, [_run_row(event)])
        elif isinstance(event, PlanRunDeleted):
            connection.execute(update(jobs).where(jobs.c.plan_run_id == event.originator_id).values(plan_run_id=None))
            connection.execute(delete(runs).where(runs.c.run_id == event.originator_id))
        elif isinstance(event, JobStarted | JobCompleted | JobCancelled | JobCharacterAssigned):
            self._change_job(connection, jobs, runs, event, touched)
        elif isinstance(event, CharacterRegistered | CharacterRemoved):
            self._change_character(connection, tables["industry_characters"], event)

    @staticmethod
    def _change_plan(connection: Connection, plans: Table, event: Event, touched: dict[str, Any]) -> None:
        row = connection.execute(
            select(plans.c.steps).where(plans.c.plan_id == event.originator_id)
        ).scalar_one_or_none()
        if row is None:
            return
        values = dict(touched)
        if isinstance(event, PlanRenamed):
            values["name"] = event.name
        elif isinstance(event, PlanTransportChanged):
            values["transport"] = msgspec.to_builtins(event.transport)
        else:
            steps = {step["stepId"]: step for step in row}
            if isinstance(event, PlanStepsAdded):
                steps.update({step.step_id: msgspec.to_builtins(step) for step in event.steps})
            elif isinstance(event, PlanStepUpdated):
                steps[event.step.step_id] = msgspec.to_builtins(event.step)
                for step_id in event.removed_step_ids:
                    steps.pop(step_id, None)
            elif isinstance(event, PlanStepsRemoved):
                for step_id in event.step_ids:
                    steps.pop(step_id, None)
            values["steps"] = [steps[step_id] for step_id in sorted(steps)]
        connection.execute(update(plans).where(plans.c.plan_id == event.originator_id).values(values))

    @staticmethod
    def _change_job(connection: Connection, jobs: Table, runs: Table, event: Event, touched: dict[str, Any]) -> None:
        found = connection.execute(
            select(jobs.c.status, jobs.c.plan_run_id).where(jobs.c.job_id == event.originator_id)
        ).one_or_none()
        if found is None:
            return
        old_status, run_id = found
        values = dict(touched)
        if isinstance(event, JobStarted):
            values.update(
                status="active",
                esi_job_id=event.esi_job_id,
                character_id=event.character_id,
                started_at=event.started_at,
            )
        elif isinstance(event, JobCompleted):
            values.update(status="completed", completed_at=event.completed_at, actual_revenue=event.actual_revenue)
        elif isinstance(event, JobCancelled):
            values.update(status="cancelled")
        elif isinstance(event, JobCharacterAssigned):
            values.update(character_id=event.character_id)
        connection.execute(update(jobs).where(jobs.c.job_id == event.originator_id).values(values))
        new_status = values.get("status", old_status)
        if run_id is not None and new_status != old_status:
            connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values({old_status: runs.c[old_status] - 1, new_status: runs.c[new_status] + 1})
            )

    @staticmethod
    def _change_character(connection: Connection, table: Table, event: Event) -> None:
        owner = event.meta.user_id  # only the owner changes their roster
        if isinstance(event, CharacterRemoved):
            connection.execute(
                delete(table).where(table.c.owner_id == owner, table.c.character_id == event.character_id)
            )
            return
        assert isinstance(event, CharacterRegistered)
        character = event.character
        connection.execute(
            delete(table).where(table.c.owner_id == owner, table.c.character_id == character.character_id)
        )
        insert_rows(
            connection,
            table,
            [
                {
                    "owner_id": owner,
                    "character_id": character.character_id,
                    "name": character.name,
                    "skills": msgspec.to_builtins(character.skills),
                    "manufacturing_slots": character.slots(ActivityKind.MANUFACTURING),
                    "reaction_slots": character.slots(ActivityKind.REACTION),
                    "science_slots": character.slots(ActivityKind.INVENTION),
                }
            ],
        )


def _job_row(event: JobQueued) -> dict[str, Any]:
    spec = event.spec
    return {
        "job_id": event.originator_id,
        "owner_id": event.owner_id,
        "character_id": spec.character_id,
        "product_type_id": spec.product_type_id,
        "blueprint_type_id": spec.blueprint_type_id,
        "activity": spec.activity.value,
        "runs": spec.runs,
        "me_level": spec.me_level,
        "te_level": spec.te_level,
        "facility_tax": spec.facility_tax,
        "station_id": spec.station_id,
        "expected_output": spec.expected_output,
        "duration_seconds": spec.duration_seconds,
        "materials": msgspec.to_builtins(spec.materials),
        "total_cost": spec.total_cost,
        "expected_revenue": spec.expected_revenue,
        "actual_revenue": None,
        "notes": spec.notes,
        "status": JobStatus.PLANNED.value,
        "esi_job_id": None,
        "plan_run_id": spec.plan_run_id,
        "plan_step_id": spec.plan_step_id,
        "sort_order": spec.sort_order,
        "version": event.originator_version,
        "created_at": event.timestamp,
        "started_at": None,
        "completed_at": None,
        "updated_at": event.timestamp,
    }


def _run_row(event: PlanRunCreated) -> dict[str, Any]:
    return {
        "run_id": event.originator_id,
        "owner_id": event.owner_id,
        "plan_id": event.plan_id,
        "product_type_id": event.product_type_id,
        "quantity": event.quantity,
        "parallelism": event.parallelism,
        "created_at": event.timestamp,
        "transports": msgspec.to_builtins(event.transports),
        "skipped": msgspec.to_builtins(event.skipped),
        "leftovers": msgspec.to_builtins(event.leftovers),
        "reason": msgspec.to_builtins(event.reason),
        "planned": len(event.job_ids),
        "active": 0,
        "completed": 0,
        "cancelled": 0,
    }


# ------------------------------------------------------------------- queries

RunStatus = Literal["pending", "in_progress", "completed"]


class JobSummary(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    total: int
    planned: int
    active: int
    completed: int
    cancelled: int

    @property
    def status(self) -> RunStatus:
        """The spec's table: no jobs -> pending; all completed or cancelled -> completed; any
        active or completed -> in_progress; all still planned -> pending."""
        if self.total == 0:
            return "pending"
        if self.completed + self.cancelled == self.total:
            return "completed"
        if self.active or self.completed:
            return "in_progress"
        return "pending"


class RunView(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    id: UUID
    plan_id: UUID
    user_id: UUID
    quantity: int
    parallelism: int
    created_at: datetime
    plan_name: str
    product_type_id: int
    product_name: str | None
    status: RunStatus
    job_summary: JobSummary
    reason: dict[str, Any] | None = None


class JobView(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    id: UUID
    user_id: UUID
    character_id: int | None
    product_type_id: int
    product_name: str | None
    blueprint_type_id: int
    activity: str
    runs: int
    me_level: int
    te_level: int
    facility_tax: float
    station_id: int | None
    expected_output: int
    estimated_duration: float | None
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
    completed_at: datetime | None
    updated_at: datetime


class RunDetail(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    run: RunView
    jobs: list[JobView]
    transport_jobs: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    leftovers: list[dict[str, Any]]


class PlanSummary(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    id: UUID
    user_id: UUID
    name: str
    product_type_id: int
    product_name: str | None
    step_count: int
    transport: TransportSettings | None
    version: int
    last_generated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PlanView(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    plan: PlanSummary
    steps: list[PlanStep]


def _product_name(table: Table) -> Any:
    items = CATALOG_ITEMS.view
    return (
        select(items.c.name)
        .where(items.c.owner_id == table.c.owner_id, items.c.type_id == table.c.product_type_id)
        .scalar_subquery()
    )


def _plan_summary(row: Any) -> PlanSummary:
    m = row._mapping
    return PlanSummary(
        id=m["plan_id"],
        user_id=m["owner_id"],
        name=m["name"],
        product_type_id=m["product_type_id"],
        product_name=m["product_name"],
        step_count=len(m["steps"]),
        transport=msgspec.convert(m["transport"], TransportSettings) if m["transport"] else None,
        version=m["version"],
        last_generated_at=m["last_generated_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _plans_query() -> Any:
    plans = PLANS.view
    return select(plans, _product_name(plans).label("product_name"))


def list_plans(
    connection: Connection,
    owner: UUID,
    product_type_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[PlanSummary]:
    plans = PLANS.view
    query = _plans_query().where(plans.c.owner_id == owner)
    if product_type_id is not None:
        query = query.where(plans.c.product_type_id == product_type_id)
    query = query.order_by(plans.c.name, plans.c.plan_id).limit(limit).offset(offset)
    return [_plan_summary(row) for row in connection.execute(query)]


def find_plan(connection: Connection, owner: UUID, plan_id: UUID) -> PlanView | None:
    plans = PLANS.view
    row = connection.execute(_plans_query().where(plans.c.owner_id == owner, plans.c.plan_id == plan_id)).first()
    if row is None:
        return None
    return PlanView(plan=_plan_summary(row), steps=msgspec.convert(row._mapping["steps"], list[PlanStep]))


_RUN_LIST_COLUMNS = (
    "run_id",
    "owner_id",
    "plan_id",
    "product_type_id",
    "quantity",
    "parallelism",
    "created_at",
    "reason",
    "planned",
    "active",
    "completed",
    "cancelled",
)  # a run's hauls, purchases and leftovers are read only for its detail


def _runs_query(detail: bool = False) -> Any:
    runs, plans = RUNS.view, PLANS.view
    columns = list(runs.c) if detail else [runs.c[name] for name in _RUN_LIST_COLUMNS]
    return select(*columns, plans.c.name.label("plan_name"), _product_name(runs).label("product_name")).join(
        plans, plans.c.plan_id == runs.c.plan_id
    )


def _run_view(row: Any) -> RunView:
    m = row._mapping
    summary = JobSummary(
        total=m["planned"] + m["active"] + m["completed"] + m["cancelled"],
        planned=m["planned"],
        active=m["active"],
        completed=m["completed"],
        cancelled=m["cancelled"],
    )
    return RunView(
        id=m["run_id"],
        plan_id=m["plan_id"],
        user_id=m["owner_id"],
        quantity=m["quantity"],
        parallelism=m["parallelism"],
        created_at=m["created_at"],
        plan_name=m["plan_name"],
        product_type_id=m["product_type_id"],
        product_name=m["product_name"],
        status=summary.status,
        job_summary=summary,
        reason=m["reason"],
    )


def list_runs(
    connection: Connection, owner: UUID, plan_id: UUID | None = None, limit: int = 1000, offset: int = 0
) -> list[RunView]:
    runs = RUNS.view
    query = _runs_query().where(runs.c.owner_id == owner)
    if plan_id is not None:
        query = query.where(runs.c.plan_id == plan_id)
    query = query.order_by(runs.c.created_at.desc(), runs.c.run_id).limit(limit).offset(offset)
    return [_run_view(row) for row in connection.execute(query)]


def find_run(connection: Connection, owner: UUID, plan_id: UUID, run_id: UUID) -> RunDetail | None:
    runs = RUNS.view
    row = connection.execute(
        _runs_query(detail=True).where(runs.c.owner_id == owner, runs.c.plan_id == plan_id, runs.c.run_id == run_id)
    ).first()
    if row is None:
        return None
    m = row._mapping
    return RunDetail(
        run=_run_view(row),
        jobs=list_jobs(connection, owner, plan_run_id=run_id),
        transport_jobs=m["transports"],
        skipped=m["skipped"],
        leftovers=m["leftovers"],
    )


def _job_view(row: Any) -> JobView:
    m = row._mapping
    return JobView(
        id=m["job_id"],
        user_id=m["owner_id"],
        character_id=m["character_id"],
        product_type_id=m["product_type_id"],
        product_name=m["product_name"],
        blueprint_type_id=m["blueprint_type_id"],
        activity=m["activity"],
        runs=m["runs"],
        me_level=m["me_level"],
        te_level=m["te_level"],
        facility_tax=m["facility_tax"],
        station_id=m["station_id"],
        expected_output=m["expected_output"],
        estimated_duration=m["duration_seconds"],
        materials=m["materials"],
        total_cost=m["total_cost"],
        expected_revenue=m["expected_revenue"],
        actual_revenue=m["actual_revenue"],
        notes=m["notes"],
        status=m["status"],
        esi_job_id=m["esi_job_id"],
        plan_run_id=m["plan_run_id"],
        plan_step_id=m["plan_step_id"],
        sort_order=m["sort_order"],
        version=m["version"],
        created_at=m["created_at"],
        started_at=m["started_at"],
        completed_at=m["completed_at"],
        updated_at=m["updated_at"],
    )


def list_jobs(
    connection: Connection,
    owner: UUID,
    *,
    status: str | None = None,
    character_id: int | None = None,
    plan_run_id: UUID | None = None,
    esi_job_ids: Sequence[int] | None = None,
    limit: int = 10_000,
    offset: int = 0,
) -> list[JobView]:
    jobs = JOBS.view
    query = select(jobs, _product_name(jobs).label("product_name")).where(jobs.c.owner_id == owner)
    if status is not None:
        query = query.where(jobs.c.status == status)
    if character_id is not None:
        query = query.where(jobs.c.character_id == character_id)
    if plan_run_id is not None:
        query = query.where(jobs.c.plan_run_id == plan_run_id)
    if esi_job_ids is not None:
        query = query.where(jobs.c.esi_job_id.in_(list(esi_job_ids)))
    query = query.order_by(jobs.c.sort_order.desc(), jobs.c.created_at, jobs.c.job_id).limit(limit).offset(offset)
    return [_job_view(row) for row in connection.execute(query)]


def find_job(connection: Connection, owner: UUID, job_id: UUID) -> JobView | None:
    jobs = JOBS.view
    query = select(jobs, _product_name(jobs).label("product_name")).where(
        jobs.c.owner_id == owner, jobs.c.job_id == job_id
    )
    row = connection.execute(query).first()
    return _job_view(row) if row is not None else None


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
        .where(jobs.c.status.in_(("planned", "active")))
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


def list_characters(connection: Connection, owner: UUID, limit: int | None = None, offset: int = 0) -> list[Character]:
    table = CHARACTERS.view
    rows = connection.execute(
        select(table.c.character_id, table.c.name, table.c.skills)
        .where(table.c.owner_id == owner)
        .order_by(table.c.character_id)
        .limit(limit)
        .offset(offset)
    )
    return [
        msgspec.convert({"characterId": cid, "name": name, "skills": skills}, Character) for cid, name, skills in rows
    ]
