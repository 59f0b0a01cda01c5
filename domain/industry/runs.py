"""Plan runs: one execution of a plan, the jobs and hauls it queued, and why.

A run never stores a status: the read model derives it from its jobs' statuses (the spec's
table). What the run records is what was asked (quantity, parallelism), what was decided
(the jobs, purchases, leftovers and hauls) and, for automatic runs, the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.economics.market import Missing
from domain.errors import NotFound
from domain.events import CommandMeta, Event
from domain.industry.generation import InventionNeed, Leftover, PlannedTransport, SkippedItem, TransportItem
from domain.industry.jobs import JobSpec
from domain.industry.transport import TransportMethod

RunStatus = Literal["pending", "in_progress", "completed"]


def run_status(planned: int, active: int, completed: int, cancelled: int) -> RunStatus:
    """A run's status from its jobs' statuses (the spec's table): no jobs -> pending; all
    completed or cancelled -> completed; any active or completed -> in_progress; all still
    planned (or planned and cancelled only: nothing started) -> pending."""
    total = planned + active + completed + cancelled
    if total == 0:
        return "pending"
    if completed + cancelled == total:
        return "completed"
    if active or completed:
        return "in_progress"
    return "pending"


class Profit(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Expected and realized profit of a run's (or a plan's) jobs.

    ``total_cost`` sums every job's estimated cost but the cancelled ones' (a cancelled job
    buys and installs nothing), and is None when any of those jobs has no estimate: an unknown
    cost is never read as 0. ``expected_revenue`` sums the jobs' expected revenues (a priced
    run gives them to the jobs making its product); ``realized_revenue`` what completed jobs
    have recorded as sold. Each profit is its revenue less the total cost, None when either
    is unknown (no revenue yet is None, not 0)."""

    total_cost: float | None
    expected_revenue: float | None
    expected_profit: float | None
    realized_revenue: float | None
    realized_profit: float | None


def profit(cost: float, uncosted_jobs: int, expected_revenue: float | None, realized_revenue: float | None) -> Profit:
    """The profit of jobs whose estimated costs sum to ``cost``, ``uncosted_jobs`` of them
    having none (cancelled jobs left out), and whose revenues sum as given (None: none known)."""
    total = None if uncosted_jobs else round(cost, 2)
    return Profit(
        total_cost=total,
        expected_revenue=expected_revenue,
        expected_profit=_less(expected_revenue, total),
        realized_revenue=realized_revenue,
        realized_profit=_less(realized_revenue, total),
    )


def planned_profit(jobs: Iterable[JobSpec]) -> Profit:
    """The profit of jobs just queued: all planned, nothing sold yet."""
    specs = list(jobs)
    revenues = [spec.expected_revenue for spec in specs if spec.expected_revenue is not None]
    return profit(
        sum(spec.total_cost or 0.0 for spec in specs),
        sum(1 for spec in specs if spec.total_cost is None),
        round(sum(revenues), 2) if revenues else None,
        None,
    )


def _less(revenue: float | None, cost: float | None) -> float | None:
    return None if revenue is None or cost is None else round(revenue - cost, 2)


class RunTransport(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    id: UUID
    from_station_id: int
    to_station_id: int
    items: tuple[TransportItem, ...]
    volume: float | None  # None: an item's volume is unknown (see missing)
    cost_estimate: float | None
    collateral_value: float | None
    sort_order: int
    feeds_job_ids: tuple[UUID, ...]
    missing: tuple[Missing, ...] = ()  # runs recorded before this field have none
    # Runs recorded before transport profiles have none of these (their hauls were not routed):
    method: TransportMethod | None = None  # None: hauled at the plan's own rates
    transport_profile_id: UUID | None = None
    trips: int | None = None
    jumps: int | None = None
    route: tuple[int, ...] = ()  # solar systems, origin's to destination's
    job_id: UUID | None = None  # the queue's transport job for it

    @classmethod
    def of(cls, haul: PlannedTransport, haul_id: UUID, job_ids: Sequence[UUID], job_id: UUID) -> RunTransport:
        """A generated haul as its run records it: the jobs it feeds by id (``job_ids`` are the
        run's industry jobs, in ``Generation.jobs`` order), and its transport job."""
        return cls(
            id=haul_id,
            from_station_id=haul.from_station_id,
            to_station_id=haul.to_station_id,
            items=haul.items,
            volume=haul.volume,
            cost_estimate=haul.cost_estimate,
            collateral_value=haul.collateral_value,
            sort_order=haul.sort_order,
            feeds_job_ids=tuple(job_ids[i] for i in haul.feeds),
            missing=haul.missing,
            method=haul.method,
            transport_profile_id=haul.transport_profile_id,
            trips=haul.trips,
            jumps=haul.jumps,
            route=haul.route,
            job_id=job_id,
        )


class RunReason(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Why an automatic run was generated: the deficit it covers, as the runner saw it."""

    trigger: str  # "auto-production"
    marker_ids: tuple[UUID, ...] = ()
    gross_deficit: int = 0
    pending_output: int = 0
    net_deficit: int = 0


class PlanRun(Aggregate):
    plan_id: UUID
    quantity: int
    parallelism: int
    job_ids: tuple[UUID, ...]
    reason: RunReason | None
    deleted: bool
    inventions: tuple[InventionNeed, ...]  # what its invention steps must win

    @classmethod
    def record(
        cls,
        run_id: UUID,
        plan_id: UUID,
        plan_name: str,
        product_type_id: int,
        quantity: int,
        parallelism: int,
        job_ids: tuple[UUID, ...],
        transports: tuple[RunTransport, ...],
        skipped: tuple[SkippedItem, ...],
        leftovers: tuple[Leftover, ...],
        reason: RunReason | None,
        meta: CommandMeta,
        inventions: tuple[InventionNeed, ...] = (),
    ) -> PlanRun:
        return cls._create(
            PlanRunCreated,
            run_id,
            meta=meta,
            owner_id=meta.user_id,
            plan_id=plan_id,
            plan_name=plan_name,
            product_type_id=product_type_id,
            quantity=quantity,
            parallelism=parallelism,
            job_ids=job_ids,
            transports=transports,
            skipped=skipped,
            leftovers=leftovers,
            reason=reason,
            inventions=inventions,
        )

    def ensure_of_plan(self, plan_id: UUID) -> None:
        if self.deleted or self.plan_id != plan_id:
            raise NotFound("plan run not found", "run_id")

    def cancelled(self, job_ids: tuple[UUID, ...], meta: CommandMeta) -> None:
        """Note who cancelled the run's planned jobs (the jobs record their own change)."""
        self._record(PlanRunCancelled, meta=meta, cancelled_job_ids=job_ids)

    def delete(self, meta: CommandMeta) -> None:
        self._record(PlanRunDeleted, meta=meta)

    def top_up_invention(self, plan_step_id: int, shortfall: int, job_ids: tuple[UUID, ...], meta: CommandMeta) -> None:
        """Queue more attempts for ``shortfall`` copies an invention step's finished jobs did not
        win (the jobs ``job_ids`` are queued with it): a failed batch is followed up, not left."""
        self._record(
            PlanRunInventionToppedUp, meta=meta, plan_step_id=plan_step_id, shortfall=shortfall, job_ids=job_ids
        )

    def state(self) -> dict[str, Any]:
        return {"planId": self.plan_id, "quantity": self.quantity, "jobIds": self.job_ids, "deleted": self.deleted}


class PlanRunCreated(Event, frozen=True):
    owner_id: UUID
    plan_id: UUID
    plan_name: str
    product_type_id: int
    quantity: int
    parallelism: int
    job_ids: tuple[UUID, ...]
    transports: tuple[RunTransport, ...] = ()
    skipped: tuple[SkippedItem, ...] = ()
    leftovers: tuple[Leftover, ...] = ()
    reason: RunReason | None = None
    inventions: tuple[InventionNeed, ...] = ()  # runs recorded before invention was planned have none

    def apply(self, aggregate: Any) -> PlanRun:
        run = PlanRun(self.originator_id, self.owner_id, self.timestamp)
        run.plan_id = self.plan_id
        run.quantity = self.quantity
        run.parallelism = self.parallelism
        run.job_ids = self.job_ids
        run.reason = self.reason
        run.deleted = False
        run.inventions = self.inventions
        return run


class PlanRunInventionToppedUp(Event, frozen=True):
    """An invention step of the run won fewer copies than it needs once its jobs ended: the
    jobs ``job_ids`` (copying and invention) are queued for the ``shortfall``."""

    plan_step_id: int
    shortfall: int  # copies still to win
    job_ids: tuple[UUID, ...]

    def apply(self, aggregate: PlanRun) -> PlanRun:
        aggregate.job_ids = (*aggregate.job_ids, *self.job_ids)
        return aggregate


class PlanRunCancelled(Event, frozen=True):
    cancelled_job_ids: tuple[UUID, ...]

    def apply(self, aggregate: PlanRun) -> PlanRun:
        return aggregate


class PlanRunDeleted(Event, frozen=True):
    def apply(self, aggregate: PlanRun) -> PlanRun:
        aggregate.deleted = True
        return aggregate
