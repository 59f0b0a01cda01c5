"""The ``PlanRun`` aggregate: what one run of a plan asked for and decided, then its cancel or delete."""

from __future__ import annotations

from uuid import UUID

from domain.errors import NotFound
from domain.industry.generation import SkippedItem
from domain.industry.runs import (
    PlanRun,
    PlanRunCancelled,
    PlanRunCreated,
    PlanRunDeleted,
    PlanRunInventionToppedUp,
    RunReason,
)
from tests.unit.given import AGGREGATE_ID, META, OWNER, event, given

PLAN = UUID(int=10)
JOBS = (UUID(int=20), UUID(int=21))
CREATED = event(
    PlanRunCreated, owner_id=OWNER, plan_id=PLAN, plan_name="Drakes", product_type_id=24698, quantity=10,
    parallelism=2, job_ids=JOBS,
)  # fmt: skip


def test_recording_a_run_keeps_what_was_asked_and_decided() -> None:
    skipped = (SkippedItem(type_id=34, reason="bought", quantity=100),)
    reason = RunReason(trigger="auto-production", gross_deficit=10, net_deficit=10)
    run = given().when(
        lambda _: PlanRun.record(AGGREGATE_ID, PLAN, "Drakes", 24698, 10, 2, JOBS, (), skipped, (), reason, META)
    )
    recorded = run.then(
        event(PlanRunCreated, plan_id=PLAN, quantity=10, parallelism=2, job_ids=JOBS, skipped=skipped, reason=reason)
    )
    recorded.ensure_of_plan(PLAN)


def test_a_cancel_notes_the_jobs_it_cancelled() -> None:
    given(CREATED).when(lambda run: run.cancelled(JOBS[:1], META)).then(
        event(PlanRunCancelled, cancelled_job_ids=JOBS[:1])
    )


def test_a_deleted_run_is_no_longer_found_under_its_plan() -> None:
    run = given(CREATED).when(lambda run: run.delete(META)).then(event(PlanRunDeleted))
    given(CREATED, event(PlanRunDeleted)).when(lambda run: run.ensure_of_plan(PLAN)).then_refused(NotFound)
    given(CREATED).when(lambda run: run.ensure_of_plan(UUID(int=11))).then_refused(NotFound, "plan run not found")
    assert run.deleted


def test_more_invention_attempts_join_the_run_with_the_shortfall_they_are_for() -> None:
    again = (UUID(int=22), UUID(int=23))
    run = given(CREATED).when(lambda run: run.top_up_invention(11, 1, again, META))
    topped = run.then(event(PlanRunInventionToppedUp, plan_step_id=11, shortfall=1, job_ids=again))
    assert topped.job_ids == (*JOBS, *again), "cancelling the run reaches them too"
