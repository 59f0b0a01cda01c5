"""Plan runs: one row per run with what it decided, and counts of its jobs by status.

A run's status is never stored: the counts are moved by the jobs' own events (see ``jobs``),
and the status follows from them when read (``domain.industry.runs.run_status``). Its profit
is not stored either: it is summed from its jobs' costs and revenues when read (one grouped
query per page of runs), so a revenue recorded on a job shows in its run at once. Deleting a
run removes its row and unlinks its jobs (``plan_run_id`` becomes NULL); the jobs stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import JSON, BigInteger, Column, Connection, Integer, Uuid, case, func, select

from domain.catalog.model import ActivityKind
from domain.industry.generation import InventionNeed
from domain.industry.invention_runs import InventionProgress, RunJob, progress
from domain.industry.jobs import JobSpec, JobStatus
from domain.industry.runs import (
    PlanRun,
    PlanRunCreated,
    PlanRunDeleted,
    PlanRunInventionToppedUp,
    Profit,
    RunStatus,
    profit,
    run_status,
)
from projections.industry.batch import IndustryBatch
from projections.industry.jobs import JOBS, JobView, list_jobs
from projections.industry.names import product_name
from projections.industry.plans import PLANS, remove_run
from projections.readmodel import Attributes, ReadModelTable, struct_cells
from projections.runtime import handles
from projections.types import UtcDateTime

JOB_COUNTS = ("planned", "active", "completed", "cancelled")  # a column each: the run's jobs in that status

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
        Column("inventions", JSON, nullable=False),  # what its invention steps must win (InventionNeed)
        *(Column(status, Integer, nullable=False) for status in JOB_COUNTS),
    ],
    indexes=[("owner_created", ["owner_id", "created_at"], False), ("plan", ["plan_id"], False)],
)


class RunHandlers:
    """The industry projection's handlers of run events."""

    @handles(PlanRunCreated)
    def _run_created(self, batch: IndustryBatch, event: PlanRunCreated) -> None:
        batch.runs.put(
            {
                **struct_cells(event, _RECORDED),
                "run_id": event.originator_id,
                "created_at": event.timestamp,
                **dict.fromkeys(JOB_COUNTS, 0),
                "planned": len(event.job_ids),
            },
        )

    @handles(PlanRunInventionToppedUp)
    def _run_topped_up(self, batch: IndustryBatch, event: PlanRunInventionToppedUp) -> None:
        run = batch.runs.get(event.originator_id)
        if run is not None:
            batch.runs.update(run, planned=run["planned"] + len(event.job_ids))

    @handles(PlanRunDeleted)
    def _run_deleted(self, batch: IndustryBatch, event: PlanRunDeleted) -> None:
        remove_run(batch, event.originator_id)


# the columns stored as the run's event recorded them
_RECORDED = (
    "owner_id",
    "plan_id",
    "product_type_id",
    "quantity",
    "parallelism",
    "transports",
    "skipped",
    "leftovers",
    "reason",
    "inventions",
)


# ------------------------------------------------------------------- queries


class JobSummary(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    planned: int
    active: int
    completed: int
    cancelled: int


class RunView(msgspec.Struct, frozen=True, kw_only=True):
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
    profit: Profit
    reason: dict[str, Any] | None = None


class RunDetail(msgspec.Struct, frozen=True, kw_only=True):
    run: RunView
    jobs: list[JobView]
    transport_jobs: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    leftovers: list[dict[str, Any]]
    inventions: list[InventionProgress] = []  # per invention step: copies needed vs won, attempts


def run_view(fields: Any, run_profit: Profit) -> RunView:
    """A run's view from anything with its columns (and ``plan_name``, ``product_name``) as
    attributes: a row of ``_runs_query``, or a run just generated (``new_run_view``). Its status
    follows from its jobs' counts by the domain's rule."""
    counts = {status: getattr(fields, status) for status in JOB_COUNTS}
    values = {
        "id": fields.run_id,
        "user_id": fields.owner_id,
        "status": run_status(**counts),
        "job_summary": JobSummary(total=sum(counts.values()), **counts),
        "profit": run_profit,
    }
    return msgspec.convert(Attributes(fields, **values), RunView, from_attributes=True)


def new_run_view(
    run: PlanRun, plan_name: str, product_type_id: int, product_name: str | None, run_profit: Profit
) -> RunView:
    """A run just generated, before the projection has it: the view of the row the projection
    will insert (every job of it planned), with the profit of its jobs (``planned_profit``)."""
    row = {
        "run_id": run.id,
        "created_at": run.created_on,
        "reason": msgspec.to_builtins(run.reason),
        "plan_name": plan_name,
        "product_type_id": product_type_id,
        "product_name": product_name,
        **dict.fromkeys(JOB_COUNTS, 0),
        "planned": len(run.job_ids),
    }
    return run_view(Attributes(run, **row), run_profit)


_RUN_LIST_COLUMNS = (
    "run_id",
    "owner_id",
    "plan_id",
    "product_type_id",
    "quantity",
    "parallelism",
    "created_at",
    "reason",
    *JOB_COUNTS,
)  # a run's hauls, purchases and leftovers are read only for its detail


def _runs_query(detail: bool = False) -> Any:
    runs, plans = RUNS.view, PLANS.view
    columns = list(runs.c) if detail else [runs.c[name] for name in _RUN_LIST_COLUMNS]
    return select(*columns, plans.c.name.label("plan_name"), product_name(runs).label("product_name")).join(
        plans, plans.c.plan_id == runs.c.plan_id
    )


def list_runs(
    connection: Connection, owner: UUID, plan_id: UUID | None = None, limit: int = 1000, offset: int = 0
) -> list[RunView]:
    runs = RUNS.view
    query = _runs_query().where(runs.c.owner_id == owner)
    if plan_id is not None:
        query = query.where(runs.c.plan_id == plan_id)
    query = query.order_by(runs.c.created_at.desc(), runs.c.run_id).limit(limit).offset(offset)
    rows = connection.execute(query).all()
    profits = _profits(connection, JOBS.view.c.plan_run_id, [row.run_id for row in rows])
    return [run_view(row, profits.get(row.run_id, NO_JOBS)) for row in rows]


def find_run(connection: Connection, owner: UUID, plan_id: UUID | None, run_id: UUID) -> RunDetail | None:
    """The owner's run with its jobs; of the plan ``plan_id``, or of any of theirs (None)."""
    runs = RUNS.view
    query = _runs_query(detail=True).where(runs.c.owner_id == owner, runs.c.run_id == run_id)
    if plan_id is not None:
        query = query.where(runs.c.plan_id == plan_id)
    row = connection.execute(query).first()
    if row is None:
        return None
    jobs = list_jobs(connection, owner, plan_run_id=run_id)
    return RunDetail(
        run=run_view(row, _profits(connection, JOBS.view.c.plan_run_id, [run_id]).get(run_id, NO_JOBS)),
        jobs=jobs,
        transport_jobs=row.transports,
        skipped=row.skipped,
        leftovers=row.leftovers,
        inventions=invention_progress(row.inventions or [], jobs),
    )


def invention_progress(needs: list[dict[str, Any]], jobs: list[JobView]) -> list[InventionProgress]:
    """Each invention step of a run: copies needed against those its delivered jobs won."""
    if not needs:
        return []
    run_jobs = [
        RunJob(
            spec=JobSpec(
                product_type_id=job.product_type_id,
                blueprint_type_id=job.blueprint_type_id,
                activity=ActivityKind(job.activity),
                runs=job.runs,
                expected_output=job.expected_output,
            ),
            status=JobStatus(job.status if job.status != "ready" else "active"),
            successful_runs=job.successful_runs,
        )
        for job in jobs
        if job.kind == "industry"
    ]
    return [progress(need, run_jobs) for need in msgspec.convert(needs, list[InventionNeed])]


NO_JOBS = profit(0.0, 0, None, None)


def plan_profit(connection: Connection, plan_id: UUID) -> Profit:
    """The profit of every job the plan's runs queued (jobs of a deleted run no longer count)."""
    runs, jobs = RUNS.view, JOBS.view
    of_runs = jobs.join(runs, runs.c.run_id == jobs.c.plan_run_id)
    return _profits(connection, runs.c.plan_id, [plan_id], of_runs).get(plan_id, NO_JOBS)


def _profits(connection: Connection, key: Any, keys: list[UUID], source: Any = None) -> dict[UUID, Profit]:
    """Per ``key`` (a run id, or a run's plan id) among ``keys``, the profit of its jobs: costs
    and expected revenues of those not cancelled, revenues recorded by completed ones."""
    if not keys:
        return {}
    jobs = JOBS.view
    counted = jobs.c.status != "cancelled"
    query = (
        select(
            key.label("key"),
            func.coalesce(func.sum(case((counted, jobs.c.total_cost))), 0.0).label("cost"),
            func.count(case((counted & jobs.c.total_cost.is_(None), 1))).label("uncosted"),
            func.sum(case((counted, jobs.c.expected_revenue))).label("expected"),
            func.sum(case((jobs.c.status == "completed", jobs.c.actual_revenue))).label("realized"),
        )
        .select_from(source if source is not None else jobs)
        .where(key.in_(keys))
        .group_by(key)
    )
    return {
        row.key: profit(row.cost, row.uncosted, _money(row.expected), _money(row.realized))
        for row in connection.execute(query)
    }


def _money(total: float | None) -> float | None:
    return None if total is None else round(total, 2)
