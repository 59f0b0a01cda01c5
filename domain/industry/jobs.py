"""Industry jobs in the queue: planned, then active in the game, then completed, or cancelled.

A job is queued by a plan run or by hand. It becomes active when a character starts it in
the game (matched by the game-job sync, or said by the user), completed when the game
delivers it. Transitions the game does not allow are refused with the job's current status.
An active job knows when it ends (the game's end date, or its estimated duration after a start
by hand); past it, it is shown ``ready`` to deliver, derived when read, never recorded.
A game job can be linked to only one queued job: the link is its own tiny aggregate, whose
id derives from (user, game job id), so two concurrent syncs cannot both claim it.

What the output sold for is known only after the job is delivered, often days later: a
completed job records its revenue then (``record_revenue``), and again when the user corrects
it; the same figure twice records nothing.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.catalog.industry import NPC_STATION, Facility, whole_seconds
from domain.catalog.model import ActivityKind
from domain.errors import Conflict, InvalidInput, RuleViolation
from domain.events import CommandMeta, Event

_LINK_NAMESPACE = UUID("5f1e7c2a-8d34-4b6f-a0c9-3e2d1b4a6f70")
MAX_NOTES = 2000
MAX_JOB_RUNS = 1_000_000  # runs of one queued job, whatever the blueprint allows


class JobStatus(enum.Enum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


MaterialSource = Literal["make", "buy", "mixed"]  # made by the run's jobs, bought, or some of each
# An industry job runs in the game; a transport job is a haul of a plan run, moved by the user:
# it holds no industry slot, never matches a game job, and is shown with activity "transport".
JobKind = Literal["industry", "transport"]
TRANSPORT_ACTIVITY = "transport"


class JobMaterial(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    type_id: int
    quantity: int
    source: MaterialSource


class JobSpec(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """What a queued job is: the spec's job queue entry without its lifecycle.

    Stored inside ``JobQueued``, so every field has a default (old events decode) and a field
    left at its default is not written (``omit_defaults``): adding a field does not change the
    bytes of a job queued without it."""

    character_id: int | None = None
    product_type_id: int
    blueprint_type_id: int
    activity: ActivityKind = ActivityKind.MANUFACTURING
    runs: int
    me_level: int = 0
    te_level: int = 0
    facility_tax: float = 0.0
    facility: Facility = NPC_STATION  # where its materials and time were worked out
    station_id: int | None = None
    expected_output: int = 0  # units of the product
    duration_seconds: int | None = None  # whole seconds, as the game reports a job's duration
    materials: tuple[JobMaterial, ...] = ()
    total_cost: float | None = None
    expected_revenue: float | None = None
    notes: str = ""
    plan_run_id: UUID | None = None
    plan_step_id: int | None = None
    sort_order: int = 0
    blueprint_id: int | None = None  # the owned blueprint (the game's item id) it runs; None: the plan's ME/TE
    start_after: datetime | None = None  # the earliest it can start, as planned when its run was generated
    runs_per_copy: int | None = None  # invention: runs of each copy a success wins (its output is in runs)
    kind: JobKind = "industry"
    from_station_id: int | None = None  # transport: where the haul leaves from (station_id: where it goes)
    haul_id: UUID | None = None  # transport: the run's haul it carries (its items, route and costs)

    @property
    def shown_activity(self) -> str:
        """What the queue shows as the job's activity: the game's, or ``transport``."""
        return TRANSPORT_ACTIVITY if self.kind == "transport" else self.activity.value

    def validated(self) -> JobSpec:
        if self.runs < 1:
            raise InvalidInput("runs must be at least 1", "runs")
        if not 0 <= self.me_level <= 10:
            raise InvalidInput("ME must be between 0 and 10", "me_level")
        if not 0 <= self.te_level <= 20:
            raise InvalidInput("TE must be between 0 and 20", "te_level")
        if len(self.notes) > MAX_NOTES:
            raise InvalidInput(f"notes are at most {MAX_NOTES} characters", "notes")
        for value, field, shown in (
            (self.total_cost, "total_cost", "totalCost"),
            (self.expected_revenue, "expected_revenue", "expectedRevenue"),
        ):
            if value is not None and value < 0:
                raise InvalidInput(f"{shown} must not be negative", field)
        if self.runs > MAX_JOB_RUNS or self.expected_output < 0:
            raise InvalidInput(f"runs must be at most {MAX_JOB_RUNS:,} and expectedOutput not negative", "runs")
        return self


class Job(Aggregate):
    spec: JobSpec
    status: JobStatus
    character_id: int | None
    esi_job_id: int | None
    started_at: datetime | None
    ends_at: datetime | None
    completed_at: datetime | None
    actual_revenue: float | None
    plan_run_id: UUID | None
    successful_runs: int | None  # invention: the attempts the game says succeeded

    @classmethod
    def queue(cls, job_id: UUID, spec: JobSpec, meta: CommandMeta) -> Job:
        return cls._create(
            JobQueued,
            job_id,
            meta=meta,
            owner_id=meta.user_id,
            spec=spec.validated(),
        )

    def _require(self, action: str, *allowed: JobStatus) -> None:
        if self.status not in allowed:
            wanted = " or ".join(status.value for status in allowed)
            raise Conflict(
                f"job is {self.status.value}; only a {wanted} job can be {action}",
                "status",
                current_version=self.version,
            )

    def start(
        self,
        esi_job_id: int | None,
        character_id: int | None,
        started_at: datetime,
        meta: CommandMeta,
        ends_at: datetime | None = None,
    ) -> None:
        """The job runs in the game since ``started_at``, until ``ends_at`` (the game's end
        date; for a job started by hand, its estimated duration after the start, when known)."""
        self._require("started", JobStatus.PLANNED)
        if esi_job_id is not None:
            self.ensure_industry("linked to a game job")
        duration = self.spec.duration_seconds
        if ends_at is None and duration is not None:
            ends_at = started_at + timedelta(seconds=duration)
        self._record(
            JobStarted,
            meta=meta,
            esi_job_id=esi_job_id,
            character_id=character_id if character_id is not None else self.character_id,
            started_at=started_at,
            ends_at=ends_at,
        )

    def link(self, esi_job_id: int, started_at: datetime, ends_at: datetime, meta: CommandMeta) -> None:
        """A job started by hand without the game's job id is that game job: the game's dates
        replace the estimate, and from then on the sync follows it as a job it started."""
        self.ensure_industry("linked to a game job")
        self._require("linked to a game job", JobStatus.ACTIVE)
        if self.esi_job_id is not None:
            raise Conflict(f"the job is already game job {self.esi_job_id}", "esi_job_id", current_version=self.version)
        self._record(JobLinked, meta=meta, esi_job_id=esi_job_id, started_at=started_at, ends_at=ends_at)

    def complete(
        self,
        completed_at: datetime,
        actual_revenue: float | None,
        meta: CommandMeta,
        successful_runs: int | None = None,
    ) -> None:
        """Delivered; an invention job also with how many of its attempts succeeded (the game's
        ``successful_runs``; each is an invented copy), which only an invention job has."""
        self._require("completed", JobStatus.ACTIVE)
        if actual_revenue is not None:
            _ensure_revenue(actual_revenue)
        outcome = {}
        if successful_runs is not None and self.spec.activity is ActivityKind.INVENTION:
            if not 0 <= successful_runs <= self.spec.runs:
                raise InvalidInput(f"successfulRuns is 0 to the job's {self.spec.runs} runs", "successful_runs")
            outcome["successful_runs"] = successful_runs
        self._record(JobCompleted, meta=meta, completed_at=completed_at, actual_revenue=actual_revenue, **outcome)

    def record_revenue(self, actual_revenue: float, meta: CommandMeta) -> None:
        """What the delivered output sold for (a correction replaces it)."""
        self._require("given its revenue", JobStatus.COMPLETED)
        _ensure_revenue(actual_revenue)
        if actual_revenue != self.actual_revenue:
            self._record(JobRevenueRecorded, meta=meta, actual_revenue=actual_revenue)

    def cancel(self, meta: CommandMeta) -> None:
        self._require("cancelled", JobStatus.PLANNED, JobStatus.ACTIVE)
        self._record(JobCancelled, meta=meta, previous_status=self.status)

    def ensure_industry(self, action: str) -> None:
        """A transport job is its plan run's haul: its route, trips and cost follow the run."""
        if self.spec.kind != "industry":
            raise RuleViolation(f"a transport job cannot be {action}; its haul comes from its plan run", "job_id")

    def edit(self, spec: JobSpec, meta: CommandMeta) -> None:
        """Replace a planned industry job's spec (``domain.industry.job_edits`` works the new one
        out); a job already running in the game keeps the one it was started with."""
        self.ensure_industry("edited")
        self._require("edited", JobStatus.PLANNED)
        spec = spec.validated()
        if spec != self.spec:
            self._record(JobEdited, meta=meta, spec=spec)

    def assign(self, character_id: int | None, meta: CommandMeta) -> None:
        self._require("reassigned", JobStatus.PLANNED)
        if character_id != self.character_id:
            self._record(JobCharacterAssigned, meta=meta, character_id=character_id)

    @property
    def delivered_output(self) -> int:
        """Units of its product the job delivered: its expected output, or, for an invention
        job whose outcome the game reported, the runs of the copies it won."""
        if self.successful_runs is not None and self.spec.runs_per_copy:
            return self.successful_runs * self.spec.runs_per_copy
        return self.spec.expected_output

    def state(self) -> JobState:
        return JobState(
            id=self.id,
            user_id=self.owner_id,
            status=self.status,
            character_id=self.character_id,
            esi_job_id=self.esi_job_id,
            spec=self.spec,
            started_at=self.started_at,
            ends_at=self.ends_at,
            completed_at=self.completed_at,
            actual_revenue=self.actual_revenue,
            version=self.version,
            created_at=self.created_on,
            updated_at=self.modified_on,
            successful_runs=self.successful_runs,
        )


def _ensure_revenue(actual_revenue: float) -> None:
    if actual_revenue < 0:
        raise InvalidInput("actualRevenue must not be negative", "actual_revenue")


class JobState(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    user_id: UUID
    status: JobStatus
    character_id: int | None
    esi_job_id: int | None
    spec: JobSpec
    started_at: datetime | None
    ends_at: datetime | None
    completed_at: datetime | None
    actual_revenue: float | None
    version: int
    created_at: datetime
    updated_at: datetime
    successful_runs: int | None = None


def game_job_link_id(owner_id: UUID, esi_job_id: int) -> UUID:
    return uuid.uuid5(_LINK_NAMESPACE, f"{owner_id}/{esi_job_id}")


class GameJobLink(Aggregate):
    """Claims one game job for one queued job; a second claim collides on save."""

    job_id: UUID
    esi_job_id: int

    @classmethod
    def claim(cls, esi_job_id: int, job_id: UUID, meta: CommandMeta) -> GameJobLink:
        return cls._create(
            GameJobLinked,
            game_job_link_id(meta.user_id, esi_job_id),
            meta=meta,
            owner_id=meta.user_id,
            esi_job_id=esi_job_id,
            job_id=job_id,
        )


# ------------------------------------------------------------------ events


class JobQueued(Event, frozen=True, tag=2):
    owner_id: UUID
    spec: JobSpec

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 kept a job's duration in fractional seconds; the game's are whole."""
        seconds = state["spec"].get("durationSeconds")
        if seconds is not None:
            state["spec"]["durationSeconds"] = whole_seconds(seconds)

    def apply(self, aggregate: Any) -> Job:
        job = Job(self.originator_id, self.owner_id, self.timestamp)
        job.spec = self.spec
        job.status = JobStatus.PLANNED
        job.character_id = self.spec.character_id
        job.esi_job_id = None
        job.started_at = job.ends_at = job.completed_at = None
        job.actual_revenue = None
        job.plan_run_id = self.spec.plan_run_id
        job.successful_runs = None
        return job


class JobStarted(Event, frozen=True):
    esi_job_id: int | None
    character_id: int | None
    started_at: datetime
    ends_at: datetime | None = None  # unknown for jobs started before it was recorded

    def apply(self, aggregate: Job) -> Job:
        aggregate.status = JobStatus.ACTIVE
        aggregate.esi_job_id = self.esi_job_id
        aggregate.character_id = self.character_id
        aggregate.started_at = self.started_at
        aggregate.ends_at = self.ends_at
        return aggregate


class JobLinked(Event, frozen=True):
    esi_job_id: int
    started_at: datetime
    ends_at: datetime

    def apply(self, aggregate: Job) -> Job:
        aggregate.esi_job_id = self.esi_job_id
        aggregate.started_at = self.started_at
        aggregate.ends_at = self.ends_at
        return aggregate


class JobCompleted(Event, frozen=True):
    completed_at: datetime
    actual_revenue: float | None = None
    successful_runs: int | None = None  # invention: attempts that won a copy (None: not reported)

    def apply(self, aggregate: Job) -> Job:
        aggregate.status = JobStatus.COMPLETED
        aggregate.completed_at = self.completed_at
        aggregate.actual_revenue = self.actual_revenue
        aggregate.successful_runs = self.successful_runs
        return aggregate


class JobRevenueRecorded(Event, frozen=True):
    actual_revenue: float

    def apply(self, aggregate: Job) -> Job:
        aggregate.actual_revenue = self.actual_revenue
        return aggregate


class JobCancelled(Event, frozen=True):
    previous_status: JobStatus

    def apply(self, aggregate: Job) -> Job:
        aggregate.status = JobStatus.CANCELLED
        return aggregate


class JobEdited(Event, frozen=True):
    spec: JobSpec

    def apply(self, aggregate: Job) -> Job:
        aggregate.spec = self.spec
        return aggregate


class JobCharacterAssigned(Event, frozen=True):
    character_id: int | None

    def apply(self, aggregate: Job) -> Job:
        aggregate.character_id = self.character_id
        return aggregate


class GameJobLinked(Event, frozen=True):
    owner_id: UUID
    esi_job_id: int
    job_id: UUID

    def apply(self, aggregate: Any) -> GameJobLink:
        link = GameJobLink(self.originator_id, self.owner_id, self.timestamp)
        link.esi_job_id = self.esi_job_id
        link.job_id = self.job_id
        return link
