"""Matching the game's industry jobs to the queue (the original tool's 10-minute ESI sync).

A game job that no queued job is linked to yet claims the oldest planned job that fits it (or
a job started by hand without the game's job id, which it then links rather than starts):
same blueprint, activity, runs and station (the game reports both the facility and its
station; either may match), started no earlier than the job was queued, and meant for this
character or for nobody in particular. A linked job follows the game: delivered means
completed, cancelled or reverted means cancelled. Anything already in that state is left
alone, so sending the same list twice changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from domain.catalog.model import ActivityKind
from domain.limits import Amount, Count, GameId, text


class GameJob(msgspec.Struct, frozen=True, kw_only=True):
    """One job as ESI's ``/characters/{id}/industry/jobs/`` reports it (its field names);
    fields we do not use are ignored. Every field is bounded as its read-model column is: the
    game jobs a sync records (``domain.industry.game_jobs``) are these."""

    job_id: GameId
    blueprint_type_id: GameId
    activity_id: Count
    runs: Count
    status: Annotated[str, text(16)]  # active, paused, ready, delivered, cancelled, reverted
    start_date: datetime
    end_date: datetime
    facility_id: GameId | None = None
    station_id: GameId | None = None
    installer_id: GameId | None = None
    completed_date: datetime | None = None
    pause_date: datetime | None = None
    product_type_id: GameId | None = None
    licensed_runs: Count | None = None
    cost: Amount | None = None
    successful_runs: Count | None = None  # invention: how many attempts won a copy (once delivered)


class QueuedJob(msgspec.Struct, frozen=True, kw_only=True):
    """What the sync needs to know of a job in the queue (and run generation: the copy whose
    runs a planned job holds)."""

    id: UUID
    status: str
    blueprint_type_id: int
    activity: str
    runs: int
    station_id: int | None
    character_id: int | None
    esi_job_id: int | None
    created_at: datetime
    blueprint_id: int | None = None  # the owned blueprint it runs; None: the plan's ME/TE, or queued by hand


class Action(enum.Enum):
    START = "start"
    LINK = "link"  # a job started by hand, without the game's job id
    COMPLETE = "complete"
    CANCEL = "cancel"


class SyncStep(msgspec.Struct, frozen=True, kw_only=True):
    action: Action
    job_id: UUID
    game_job: GameJob


FINISHED = {"delivered"}
ABANDONED = {"cancelled", "reverted"}


def _fits(job: QueuedJob, game: GameJob, character_id: int) -> bool:
    kind = ActivityKind.from_id(game.activity_id)
    return (
        job.blueprint_type_id == game.blueprint_type_id
        and kind is not None
        and job.activity == kind.value
        and job.runs == game.runs
        and job.station_id in {game.station_id, game.facility_id}
        and game.start_date >= job.created_at
        and job.character_id in (None, character_id)
    )


def plan_sync(
    game_jobs: Sequence[GameJob], unlinked: Iterable[QueuedJob], linked: Iterable[QueuedJob], character_id: int
) -> list[SyncStep]:
    """What to do to the queue so it matches the game's list. ``unlinked``: the planned jobs
    and those started by hand without the game's job id (linked, not started, when they fit)."""
    by_game_id = {job.esi_job_id: job for job in linked if job.esi_job_id is not None}
    free = sorted(
        (job for job in unlinked if job.status in ("planned", "active") and job.esi_job_id is None),
        key=lambda job: (job.character_id is None, job.created_at, str(job.id)),  # this character's first
    )
    steps: list[SyncStep] = []
    for game in sorted(game_jobs, key=lambda g: (g.start_date, g.job_id)):
        queued = by_game_id.get(game.job_id)
        status = queued.status if queued is not None else None
        if queued is None:
            if game.status in ABANDONED:
                continue
            match = next((job for job in free if _fits(job, game, character_id)), None)
            if match is None:
                continue
            free.remove(match)
            action = Action.START if match.status == "planned" else Action.LINK
            steps.append(SyncStep(action=action, job_id=match.id, game_job=game))
            queued, status = match, "active"
        if status == "active" and game.status in FINISHED:
            steps.append(SyncStep(action=Action.COMPLETE, job_id=queued.id, game_job=game))
        elif status == "active" and game.status in ABANDONED:
            steps.append(SyncStep(action=Action.CANCEL, job_id=queued.id, game_job=game))
    return steps


def is_ready(status: str, ends_at: datetime | None, now: datetime) -> bool:
    """A job waits to be delivered when it is past its end date while still ``active`` (ESI
    keeps reporting it so until the player delivers), or the game says ``ready``. Derived on
    each read, never stored: the next sync's list (or the clock) is the truth."""
    return status == "ready" or (status == "active" and ends_at is not None and ends_at <= now)


def shown_status(status: str, ends_at: datetime | None, now: datetime) -> str:
    """The status a job is shown with: ``ready`` when it waits to be delivered, else its own."""
    return "ready" if is_ready(status, ends_at, now) else status


def ready_to_deliver(game_jobs: Iterable[GameJob], now: datetime) -> list[int]:
    """The game jobs waiting to be delivered (``is_ready``)."""
    return sorted(game.job_id for game in game_jobs if is_ready(game.status, game.end_date, now))
