"""Invention outcomes in a run: copies won against copies needed, and more attempts when short.

Invention is a gamble: a batch of attempts planned on expected value fails about half the time
to win all its copies, and even one planned at a confidence sometimes does. The game reports
each delivered invention job's ``successful_runs`` (a copy per success); once every invention
job of a run's step has ended, the copies won are summed and, if short of what the step needs
(``InventionNeed.copies``), the run queues attempts for the shortfall, counted as the run
counted its first ones (its confidence, or expected value), with the Tech I copies they take.
While any of the step's invention jobs is still planned or running nothing is decided: they
may yet win the copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import msgspec

from domain.catalog.invention import attempts_for_successes
from domain.catalog.model import ActivityKind
from domain.industry.generation import InventionNeed
from domain.industry.jobs import JobMaterial, JobSpec, JobStatus


class RunJob(msgspec.Struct, frozen=True, kw_only=True):
    """What the top-up reads of one of the run's jobs."""

    spec: JobSpec
    status: JobStatus
    successful_runs: int | None = None


class InventionProgress(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """An invention step of a run: copies needed and won, attempts planned and still to end."""

    plan_step_id: int
    blueprint_type_id: int
    copies_needed: int
    copies_won: int  # by the invention jobs delivered so far
    attempts: int  # of every invention job of the step not cancelled, top-ups included
    attempts_pending: int  # of those still planned or running


def _step_jobs(need: InventionNeed, jobs: Sequence[RunJob]) -> list[RunJob]:
    return [
        job
        for job in jobs
        if job.spec.activity is ActivityKind.INVENTION and job.spec.product_type_id == need.blueprint_type_id
    ]


def copies_won(need: InventionNeed, job: RunJob) -> int:
    """Copies a delivered invention job won: its ``successful_runs``; a job delivered without
    one (completed by hand) counts the copies it was planned for."""
    if job.status is not JobStatus.COMPLETED:
        return 0
    if job.successful_runs is not None:
        return job.successful_runs
    return job.spec.expected_output // max(need.runs_per_copy, 1)


def progress(need: InventionNeed, jobs: Sequence[RunJob]) -> InventionProgress:
    mine = _step_jobs(need, jobs)
    return InventionProgress(
        plan_step_id=need.plan_step_id,
        blueprint_type_id=need.blueprint_type_id,
        copies_needed=need.copies,
        copies_won=sum(copies_won(need, job) for job in mine),
        attempts=sum(job.spec.runs for job in mine if job.status is not JobStatus.CANCELLED),
        attempts_pending=sum(job.spec.runs for job in mine if job.status in (JobStatus.PLANNED, JobStatus.ACTIVE)),
    )


def shortfall(need: InventionNeed, jobs: Sequence[RunJob]) -> int:
    """Copies still to win once every invention job of the step has ended (0 while any is
    planned or running, or when none was ever queued: nothing to follow up)."""
    mine = _step_jobs(need, jobs)
    if not mine or any(job.status in (JobStatus.PLANNED, JobStatus.ACTIVE) for job in mine):
        return 0
    return max(0, need.copies - sum(copies_won(need, job) for job in mine))


def top_up_specs(need: InventionNeed, missing: int, jobs: Sequence[RunJob], run_id: UUID) -> tuple[JobSpec, ...]:
    """The jobs that try again for ``missing`` copies: a copying job for the Tech I copy runs
    (if the run copied its own) and an invention job, each like the run's first of its kind,
    with as many attempts as the run's counting gives for ``missing`` copies. They are not
    scheduled (no character, start or duration): the run's slots have moved on since."""
    inventing = _step_jobs(need, jobs)
    if missing < 1 or not inventing:
        return ()
    attempts = attempts_for_successes(need.probability, missing, need.confidence)
    copying = [
        job
        for job in jobs
        if job.spec.activity is ActivityKind.COPYING and job.spec.product_type_id == need.from_blueprint_type_id
    ]
    specs = [_again(copying[0].spec, attempts, 0, run_id)] if copying else []
    specs.append(_again(inventing[0].spec, attempts, missing * need.runs_per_copy, run_id))
    return tuple(specs)


def _again(template: JobSpec, runs: int, expected_output: int, run_id: UUID) -> JobSpec:
    """``template`` for ``runs`` runs: copying and invention take no ME, so each material is
    its per-run quantity times the runs."""
    per_run = template.runs
    return msgspec.structs.replace(
        template,
        runs=runs,
        expected_output=expected_output or runs * (template.expected_output // per_run),
        materials=tuple(
            JobMaterial(type_id=m.type_id, quantity=m.quantity // per_run * runs, source=m.source)
            for m in template.materials
        ),
        character_id=None,
        duration_seconds=None,
        start_after=None,
        total_cost=None,
        expected_revenue=None,
        blueprint_id=None,
        plan_run_id=run_id,
    )
