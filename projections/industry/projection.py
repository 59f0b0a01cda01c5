"""The industry projection: the handlers of plans, runs, jobs, the game's jobs, characters and
transport profiles over their tables, a batch folded in memory (``batch``) and written once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from domain.events import Event
from domain.industry.game_jobs import GameJobsReported
from domain.industry.jobs import JobLinked, JobQueued, JobStarted
from domain.industry.plan import PlanDeleted
from domain.industry.runs import PlanRunCreated, PlanRunDeleted
from domain.industry.transport import TransportProfileAdded, TransportProfileChanged, TransportProfileRemoved
from projections.industry.batch import IndustryBatch
from projections.industry.characters import CHARACTERS, CharacterHandlers
from projections.industry.game_jobs import GAME_JOBS, GameJobHandlers
from projections.industry.jobs import JOBS, JobHandlers
from projections.industry.plans import PLANS, PlanHandlers
from projections.industry.runs import RUNS, RunHandlers
from projections.industry.transport import PROFILES, TransportProfileHandlers
from projections.keyed_rows import KeyedRows
from projections.runtime import Projection


class IndustryProjection(
    PlanHandlers,
    RunHandlers,
    JobHandlers,
    GameJobHandlers,
    CharacterHandlers,
    TransportProfileHandlers,
    Projection,
):
    name = "industry"
    tables = (PLANS, RUNS, JOBS, GAME_JOBS, CHARACTERS, PROFILES)

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        batch = IndustryBatch(connection, tables)
        read_ahead(batch, events)
        for event in events:
            self.dispatch(event, batch)
        batch.write()


def _handled_by(handlers: type) -> tuple[type[Event], ...]:
    return tuple(event for method in vars(handlers).values() for event in getattr(method, "__handles__", ()))


_PLAN_EVENTS = _handled_by(PlanHandlers)
_RUN_EVENTS = _handled_by(RunHandlers)
_JOB_EVENTS = _handled_by(JobHandlers)
_CHARACTER_EVENTS = _handled_by(CharacterHandlers)


def read_ahead(batch: IndustryBatch, events: Sequence[Event]) -> None:
    """Read the rows the batch's events will read or write, one statement per table and column
    (and chunk of values) for the whole batch, rather than a few per event: then the rows
    those rows lead to (the runs of the jobs, the jobs of the runs deleted)."""
    wanted: dict[tuple[KeyedRows, str], set[Any]] = {}

    def want(rows: KeyedRows, column: str, values: Iterable[Any]) -> None:
        wanted.setdefault((rows, column), set()).update(values)

    deleted_plans: set[Any] = set()
    for event in events:
        owner, key = event.meta.user_id, event.originator_id
        if isinstance(event, _PLAN_EVENTS):
            want(batch.plans, "plan_id", [key])
            if isinstance(event, PlanDeleted):
                want(batch.runs, "plan_id", [key])
                deleted_plans.add(key)
        elif isinstance(event, _RUN_EVENTS):
            want(batch.runs, "run_id", [key])
            if isinstance(event, PlanRunDeleted):
                want(batch.jobs, "plan_run_id", [key])
        elif isinstance(event, _JOB_EVENTS):
            want(batch.jobs, "job_id", [key])
            if isinstance(event, JobQueued):
                want(batch.runs, "run_id", [event.spec.plan_run_id])
            if isinstance(event, JobStarted | JobLinked) and event.esi_job_id is not None:
                want(batch.game_jobs, "owner_id", [owner])
        elif isinstance(event, GameJobsReported):
            want(batch.game_jobs, "owner_id", [owner])
            want(batch.jobs, "esi_job_id", [job.job_id for job in (*event.added, *event.changed)])
        elif isinstance(event, _CHARACTER_EVENTS):
            want(batch.characters, "owner_id", [owner])
        elif isinstance(event, TransportProfileRemoved):
            want(batch.profiles, "profile_id", [event.profile_id])
        elif isinstance(event, TransportProfileAdded | TransportProfileChanged):
            want(batch.profiles, "profile_id", [event.profile.profile_id])
            want(batch.profiles, "owner_id", [owner])
    _load(wanted)
    # the second round: what the first read leads to
    then = {(batch.runs, "run_id"): batch.jobs.values("plan_run_id")}
    doomed = {run["run_id"] for plan in deleted_plans for run in batch.runs.find("plan_id", plan)}
    doomed |= {e.originator_id for e in events if isinstance(e, PlanRunCreated) and e.plan_id in deleted_plans}
    then[(batch.jobs, "plan_run_id")] = doomed
    _load(then)


def _load(wanted: Mapping[tuple[KeyedRows, str], set[Any]]) -> None:
    for (rows, column), values in wanted.items():
        rows.load(column, values)
