"""The industry ``Job`` aggregate: planned, then active, then completed, or cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from domain.catalog.model import ActivityKind
from domain.errors import Conflict, InvalidInput
from domain.industry.jobs import (
    Job,
    JobCancelled,
    JobCharacterAssigned,
    JobCompleted,
    JobEdited,
    JobLinked,
    JobQueued,
    JobRevenueRecorded,
    JobSpec,
    JobStarted,
    JobStatus,
)
from tests.unit.given import AGGREGATE_ID, META, OWNER, event, given

SPEC = JobSpec(character_id=9000, product_type_id=587, blueprint_type_id=691, runs=10, me_level=10, te_level=20)
STARTED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
QUEUED = event(JobQueued, owner_id=OWNER, spec=SPEC)
STARTED = event(JobStarted, esi_job_id=555, character_id=9000, started_at=STARTED_AT)
COMPLETED = event(JobCompleted, completed_at=STARTED_AT, actual_revenue=None)
CANCELLED = event(JobCancelled, previous_status=JobStatus.PLANNED)


def test_queueing_records_the_validated_spec() -> None:
    job = given().when(lambda _: Job.queue(AGGREGATE_ID, SPEC, META)).then(QUEUED)
    assert job.status is JobStatus.PLANNED and job.character_id == 9000


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (JobSpec(product_type_id=587, blueprint_type_id=691, runs=0), "runs"),
        (JobSpec(product_type_id=587, blueprint_type_id=691, runs=1, me_level=11), "ME"),
        (JobSpec(product_type_id=587, blueprint_type_id=691, runs=1, total_cost=-1.0), "totalCost"),
    ],
)
def test_a_spec_out_of_bounds_is_refused(spec: JobSpec, field: str) -> None:
    given().when(lambda _: Job.queue(AGGREGATE_ID, spec, META)).then_refused(InvalidInput, field)


def test_a_planned_job_starts_and_keeps_its_character_when_none_is_named() -> None:
    given(QUEUED).when(lambda job: job.start(555, None, STARTED_AT, META)).then(STARTED)


def test_a_job_ends_at_the_games_end_date_or_its_estimated_duration_after_a_start_by_hand() -> None:
    timed = event(JobQueued, owner_id=OWNER, spec=msgspec.structs.replace(SPEC, duration_seconds=3600.0))
    game_end = STARTED_AT + timedelta(minutes=50)
    given(timed).when(lambda job: job.start(555, None, STARTED_AT, META, ends_at=game_end)).then(
        event(JobStarted, ends_at=game_end)
    )
    given(timed).when(lambda job: job.start(None, 9000, STARTED_AT, META)).then(
        event(JobStarted, ends_at=STARTED_AT + timedelta(hours=1))
    )
    given(QUEUED).when(lambda job: job.start(None, 9000, STARTED_AT, META)).then(event(JobStarted, ends_at=None))


def test_an_active_job_completes_with_its_revenue() -> None:
    job = given(QUEUED, STARTED).when(lambda job: job.complete(STARTED_AT, 1.5e6, META))
    assert job.then(event(JobCompleted, completed_at=STARTED_AT, actual_revenue=1.5e6)).status is JobStatus.COMPLETED


def test_a_negative_revenue_is_refused() -> None:
    given(QUEUED, STARTED).when(lambda job: job.complete(STARTED_AT, -1.0, META)).then_refused(
        InvalidInput, "actualRevenue"
    )


def test_a_completed_job_records_what_its_output_sold_for_later() -> None:
    job = given(QUEUED, STARTED, COMPLETED).when(lambda job: job.record_revenue(2.5e6, META))
    assert job.then(event(JobRevenueRecorded, actual_revenue=2.5e6)).actual_revenue == 2.5e6


def test_the_same_revenue_twice_records_nothing_and_a_correction_replaces_it() -> None:
    sold = event(JobRevenueRecorded, actual_revenue=2.5e6)
    given(QUEUED, STARTED, COMPLETED, sold).when(lambda job: job.record_revenue(2.5e6, META)).then_nothing()
    corrected = given(QUEUED, STARTED, COMPLETED, sold).when(lambda job: job.record_revenue(2.4e6, META))
    assert corrected.then(event(JobRevenueRecorded, actual_revenue=2.4e6)).actual_revenue == 2.4e6


def test_revenue_given_at_completion_is_not_recorded_again() -> None:
    completed = event(JobCompleted, completed_at=STARTED_AT, actual_revenue=1.5e6)
    given(QUEUED, STARTED, completed).when(lambda job: job.record_revenue(1.5e6, META)).then_nothing()


@pytest.mark.parametrize(("history", "status"), [((QUEUED,), "planned"), ((QUEUED, STARTED), "active")])
def test_only_a_completed_job_has_revenue(history: tuple, status: str) -> None:  # type: ignore[type-arg]
    given(*history).when(lambda job: job.record_revenue(1.0, META)).then_refused(Conflict, f"job is {status}")


def test_a_negative_revenue_is_refused_later_too() -> None:
    given(QUEUED, STARTED, COMPLETED).when(lambda job: job.record_revenue(-1.0, META)).then_refused(
        InvalidInput, "actualRevenue"
    )


@pytest.mark.parametrize(
    ("history", "status"),
    [((QUEUED,), "planned"), ((QUEUED, STARTED, COMPLETED), "completed"), ((QUEUED, CANCELLED), "cancelled")],
)
def test_only_an_active_job_completes(history: tuple, status: str) -> None:  # type: ignore[type-arg]
    given(*history).when(lambda job: job.complete(STARTED_AT, None, META)).then_refused(Conflict, f"job is {status}")


def test_only_a_planned_job_starts() -> None:
    given(QUEUED, STARTED).when(lambda job: job.start(556, None, STARTED_AT, META)).then_refused(
        Conflict, "job is active; only a planned job can be started"
    )


def test_planned_and_active_jobs_cancel_naming_the_status_they_left() -> None:
    given(QUEUED).when(lambda job: job.cancel(META)).then(CANCELLED)
    given(QUEUED, STARTED).when(lambda job: job.cancel(META)).then(
        event(JobCancelled, previous_status=JobStatus.ACTIVE)
    )


def test_finished_jobs_do_not_cancel() -> None:
    given(QUEUED, STARTED, COMPLETED).when(lambda job: job.cancel(META)).then_refused(Conflict, "job is completed")
    given(QUEUED, CANCELLED).when(lambda job: job.cancel(META)).then_refused(Conflict, "job is cancelled")


def test_a_planned_job_is_reassigned_and_the_same_character_records_nothing() -> None:
    given(QUEUED).when(lambda job: job.assign(9001, META)).then(event(JobCharacterAssigned, character_id=9001))
    given(QUEUED).when(lambda job: job.assign(9000, META)).then_nothing()
    given(QUEUED, STARTED).when(lambda job: job.assign(9001, META)).then_refused(Conflict, "job is active")


def test_a_job_started_by_hand_is_linked_to_the_game_job_it_is_once() -> None:
    by_hand = event(JobStarted, esi_job_id=None, character_id=9000, started_at=STARTED_AT)
    game_start, game_end = STARTED_AT + timedelta(minutes=2), STARTED_AT + timedelta(hours=2)
    linked = event(JobLinked, esi_job_id=555, started_at=game_start, ends_at=game_end)
    given(QUEUED, by_hand).when(lambda job: job.link(555, game_start, game_end, META)).then(linked)
    given(QUEUED, by_hand, linked).when(lambda job: job.link(556, game_start, game_end, META)).then_refused(
        Conflict, "already game job 555"
    )
    given(QUEUED).when(lambda job: job.link(555, game_start, game_end, META)).then_refused(Conflict, "planned")


def test_an_invention_job_completes_with_the_attempts_the_game_says_succeeded() -> None:
    """ESI's ``successful_runs``: each success is an invented copy; a manufacturing job has none."""
    inventing = msgspec.structs.replace(
        SPEC, product_type_id=11372, activity=ActivityKind.INVENTION, runs=5, me_level=0, te_level=0, runs_per_copy=1
    )
    queued = event(JobQueued, owner_id=OWNER, spec=inventing)
    job = (
        given(queued, STARTED)
        .when(lambda job: job.complete(STARTED_AT, None, META, successful_runs=2))
        .then(event(JobCompleted, completed_at=STARTED_AT, successful_runs=2))
    )
    assert job.delivered_output == 2, "two 1-run Wolf Blueprint copies"
    given(queued, STARTED).when(lambda job: job.complete(STARTED_AT, None, META, successful_runs=6)).then_refused(
        InvalidInput, "successfulRuns"
    )
    given(QUEUED, STARTED).when(lambda job: job.complete(STARTED_AT, None, META, successful_runs=3)).then(
        event(JobCompleted, successful_runs=None)
    )


def test_a_planned_job_is_edited_to_a_new_spec_and_an_unchanged_one_records_nothing() -> None:
    fewer = msgspec.structs.replace(SPEC, runs=5)
    given(QUEUED).when(lambda job: job.edit(fewer, META)).then(event(JobEdited, spec=fewer))
    given(QUEUED).when(lambda job: job.edit(SPEC, META)).then()


def test_a_job_already_started_keeps_its_spec() -> None:
    fewer = msgspec.structs.replace(SPEC, runs=5)
    given(QUEUED, STARTED).when(lambda job: job.edit(fewer, META)).then_refused(
        Conflict, "only a planned job can be edited"
    )
