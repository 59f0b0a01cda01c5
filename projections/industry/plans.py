"""Production plans: one row per plan with its steps and transport settings.

Deleting a plan removes its runs' rows and unlinks their jobs (``plan_run_id`` becomes NULL,
the spec's ON DELETE SET NULL); the jobs stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import JSON, BigInteger, Column, Connection, Float, Integer, String, Text, Uuid, select

from domain.events import Event
from domain.industry.plan import (
    Plan,
    PlanCreated,
    PlanDeleted,
    PlanInventionConfidenceChanged,
    PlanNotesChanged,
    PlanRenamed,
    PlanRunGenerated,
    PlanRunRemoved,
    PlanStationDefaultsChanged,
    PlanStep,
    PlanStepsAdded,
    PlanStepsRemoved,
    PlanStepsUpdated,
    PlanStepUpdated,
    PlanTransportChanged,
    TransportSettings,
)
from projections.industry.batch import IndustryBatch
from projections.industry.names import product_name
from projections.readmodel import Attributes, ReadModelTable
from projections.runtime import handles
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
        Column("invention_confidence", Float),  # NULL: invention attempts on expected value
        Column("default_manufacturing_station_id", BigInteger),
        Column("default_reaction_station_id", BigInteger),
        Column("notes", Text, nullable=False, default=""),
        Column("version", Integer, nullable=False),
        Column("last_generated_at", UtcDateTime),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ],
    indexes=[("owner_product", ["owner_id", "product_type_id"], False)],
)


def touched(event: Event) -> dict[str, Any]:
    """The columns every change of an aggregate's row sets."""
    return {"version": event.originator_version, "updated_at": event.timestamp}


class PlanHandlers:
    """The industry projection's handlers of plan events."""

    @handles(PlanCreated)
    def _plan_created(self, batch: IndustryBatch, event: PlanCreated) -> None:
        batch.plans.put(
            {
                "plan_id": event.originator_id,
                "owner_id": event.owner_id,
                "name": event.name,
                "product_type_id": event.product_type_id,
                "steps": msgspec.to_builtins(event.steps),
                "transport": msgspec.to_builtins(event.transport),
                "invention_confidence": event.invention_confidence,
                "default_manufacturing_station_id": event.default_manufacturing_station_id,
                "default_reaction_station_id": event.default_reaction_station_id,
                "notes": event.notes,
                "last_generated_at": None,
                "created_at": event.timestamp,
                **touched(event),
            },
        )

    @handles(PlanDeleted)
    def _plan_deleted(self, batch: IndustryBatch, event: PlanDeleted) -> None:
        for run in batch.runs.find("plan_id", event.originator_id):
            remove_run(batch, run["run_id"])
        batch.plans.remove(
            event.originator_id,
        )

    @handles(PlanRenamed)
    def _plan_renamed(self, batch: IndustryBatch, event: PlanRenamed) -> None:
        _set(batch, event, name=event.name)

    @handles(PlanTransportChanged)
    def _transport_changed(self, batch: IndustryBatch, event: PlanTransportChanged) -> None:
        _set(batch, event, transport=msgspec.to_builtins(event.transport))

    @handles(PlanInventionConfidenceChanged)
    def _confidence_changed(self, batch: IndustryBatch, event: PlanInventionConfidenceChanged) -> None:
        _set(batch, event, invention_confidence=event.confidence)

    @handles(PlanStationDefaultsChanged)
    def _station_defaults_changed(self, batch: IndustryBatch, event: PlanStationDefaultsChanged) -> None:
        _set(
            batch,
            event,
            default_manufacturing_station_id=event.manufacturing_station_id,
            default_reaction_station_id=event.reaction_station_id,
        )

    @handles(PlanNotesChanged)
    def _notes_changed(self, batch: IndustryBatch, event: PlanNotesChanged) -> None:
        _set(batch, event, notes=event.notes)

    @handles(PlanStepsUpdated)
    def _steps_updated(self, batch: IndustryBatch, event: PlanStepsUpdated) -> None:
        _change_steps(batch, event, {step.step_id: step for step in event.steps}, event.removed_step_ids)

    @handles(PlanStepsAdded)
    def _steps_added(self, batch: IndustryBatch, event: PlanStepsAdded) -> None:
        _change_steps(batch, event, {step.step_id: step for step in event.steps}, ())

    @handles(PlanStepUpdated)
    def _step_updated(self, batch: IndustryBatch, event: PlanStepUpdated) -> None:
        _change_steps(batch, event, {event.step.step_id: event.step}, event.removed_step_ids)

    @handles(PlanStepsRemoved)
    def _steps_removed(self, batch: IndustryBatch, event: PlanStepsRemoved) -> None:
        _change_steps(batch, event, {}, event.step_ids)

    @handles(PlanRunGenerated)
    def _run_generated(self, batch: IndustryBatch, event: PlanRunGenerated) -> None:
        _set(batch, event, last_generated_at=event.timestamp)

    @handles(PlanRunRemoved)
    def _run_removed(self, batch: IndustryBatch, event: PlanRunRemoved) -> None:
        _set(batch, event)


def remove_run(batch: IndustryBatch, run_id: UUID) -> None:
    """A run's row goes, and its jobs are unlinked from it (``plan_run_id`` NULL; they stay)."""
    for job in batch.jobs.find("plan_run_id", run_id):
        batch.jobs.update(job, plan_run_id=None)
    batch.runs.remove(
        run_id,
    )


def _change_steps(batch: IndustryBatch, event: Event, upserted: dict[int, PlanStep], removed: Sequence[int]) -> None:
    """Replace and add ``upserted`` steps and drop the ``removed`` ones, kept in step id order."""
    plan = batch.plans.get(event.originator_id)
    if plan is None:
        return
    steps = {step["stepId"]: step for step in plan["steps"]}
    steps.update({step_id: msgspec.to_builtins(step) for step_id, step in upserted.items()})
    for step_id in removed:
        steps.pop(step_id, None)
    batch.plans.update(plan, **touched(event), steps=[steps[step_id] for step_id in sorted(steps)])


def _set(batch: IndustryBatch, event: Event, **values: Any) -> None:
    plan = batch.plans.get(event.originator_id)
    if plan is not None:
        batch.plans.update(plan, **touched(event), **values)


# ------------------------------------------------------------------- queries


class PlanSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    user_id: UUID
    name: str
    product_type_id: int
    product_name: str | None
    step_count: int
    transport: TransportSettings | None
    invention_confidence: float | None  # None: invention attempts on expected value
    version: int
    default_manufacturing_station_id: int | None  # new manufacturing steps run here unless told
    default_reaction_station_id: int | None  # new reaction steps run here unless told
    notes: str
    last_generated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PlanView(msgspec.Struct, frozen=True, kw_only=True):
    plan: PlanSummary
    steps: list[PlanStep]


def plan_summary(row: Any) -> PlanSummary:
    """A plan's summary from anything with its columns (and ``product_name``) as attributes."""
    values = {"id": row.plan_id, "user_id": row.owner_id, "step_count": len(row.steps)}
    return msgspec.convert(Attributes(row, **values), PlanSummary, from_attributes=True)


def plan_summary_of(plan: Plan, product_name: str | None) -> PlanSummary:
    """A plan just changed, before the projection has it: the summary of its row."""
    row = {
        "plan_id": plan.id,
        "product_name": product_name,
        "created_at": plan.created_on,
        "updated_at": plan.modified_on,
    }
    return plan_summary(Attributes(plan, **row))


def _plans_query() -> Any:
    plans = PLANS.view
    return select(plans, product_name(plans).label("product_name"))


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
    return [plan_summary(row) for row in connection.execute(query)]


def find_plan(connection: Connection, owner: UUID, plan_id: UUID) -> PlanView | None:
    plans = PLANS.view
    row = connection.execute(_plans_query().where(plans.c.owner_id == owner, plans.c.plan_id == plan_id)).first()
    if row is None:
        return None
    return PlanView(plan=plan_summary(row), steps=msgspec.convert(row.steps, list[PlanStep]))
