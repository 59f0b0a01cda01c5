"""The industry jobs the game reports, per holder (a character or a corporation): what the
jobs board shows and what holds the characters' slots.

The game reports a holder's jobs as a whole list (running, paused, ready and, for a while,
delivered and cancelled ones), and keeps reporting a finished job ``active`` until it is
delivered. Each holder's list is a small aggregate per (user, holder), so one holder's sync
never collides with another's; a report records one event of the jobs added, changed (a new
status, end date, completion...) and gone, and nothing when nothing changed. "Ready" is never
recorded: it is derived from the end date when read (``game_sync.is_ready``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.aggregate import Aggregate
from domain.catalog.model import ActivityKind
from domain.events import CommandMeta, Event
from domain.industry.blueprints import Holder
from domain.industry.game_sync import GameJob
from domain.industry.slots import SlotGroup, slot_group

_GAME_JOBS_NAMESPACE = UUID("0b6f2d7e-41c3-4a8e-9d15-6e2a7c90f3b4")

OPEN_STATUSES = ("active", "paused", "ready")
"""The game's statuses of a job not delivered yet: it is on the board and holds its slot."""

_OLD_REACTION_ID = 9  # the SDE's ramActivities lists reactions under 9 and 11; ESI may report either


def game_jobs_id(owner_id: UUID, holder: Holder) -> UUID:
    return uuid.uuid5(_GAME_JOBS_NAMESPACE, f"{owner_id}/{holder.kind}/{holder.id}")


def job_activity(activity_id: int) -> ActivityKind | None:
    """The activity of a game job's ``activity_id`` (None for one the catalog does not model,
    as reverse engineering)."""
    if activity_id == _OLD_REACTION_ID:
        return ActivityKind.REACTION
    return ActivityKind.from_id(activity_id)


def job_slot_group(activity: str | None) -> SlotGroup:
    """The slot group of a job's activity (``ActivityKind`` value); an activity the catalog does
    not model is research of some kind, so a science slot."""
    return slot_group(ActivityKind(activity)) if activity is not None else "science"


class GameJobs(Aggregate):
    """The jobs the game last reported for one holder of one user."""

    holder: Holder
    jobs: dict[int, GameJob]
    read_at: datetime | None  # when the list last recorded was read from the game

    @classmethod
    def open(cls, owner_id: UUID, holder: Holder, meta: CommandMeta) -> GameJobs:
        return cls._create(GameJobsOpened, game_jobs_id(owner_id, holder), meta=meta, owner_id=owner_id, holder=holder)

    def report(self, jobs: Iterable[GameJob], now: datetime, meta: CommandMeta) -> int:
        """The holder's whole list as the game reports it, read at ``now``: records one event of
        the jobs added, changed and gone (none when nothing did) and returns how many that was.
        A list read before the one last recorded is stale (a slower sync overtaken by a newer
        one) and records nothing."""
        if self.read_at is not None and now < self.read_at:
            return 0
        reported = {job.job_id: job for job in jobs}
        added = tuple(reported[job_id] for job_id in sorted(reported.keys() - self.jobs.keys()))
        changed = tuple(
            reported[job_id]
            for job_id in sorted(reported.keys() & self.jobs.keys())
            if reported[job_id] != self.jobs[job_id]
        )
        gone = tuple(sorted(self.jobs.keys() - reported.keys()))
        if added or changed or gone:
            self._record(
                GameJobsReported, meta=meta, holder=self.holder, read_at=now, added=added, changed=changed, gone=gone
            )
        return len(added) + len(changed) + len(gone)

    def state(self) -> list[GameJob]:
        return [self.jobs[job_id] for job_id in sorted(self.jobs)]


class GameJobsOpened(Event, frozen=True):
    owner_id: UUID
    holder: Holder

    def apply(self, aggregate: Any) -> GameJobs:
        game_jobs = GameJobs(self.originator_id, self.owner_id, self.timestamp)
        game_jobs.holder = self.holder
        game_jobs.jobs = {}
        game_jobs.read_at = None
        return game_jobs


class GameJobsReported(Event, frozen=True):
    """What changed in a holder's jobs since the game's last list: jobs new to it, jobs whose
    fields changed (whole, as now reported), and the ids of jobs it no longer lists."""

    holder: Holder
    read_at: datetime
    added: tuple[GameJob, ...]
    changed: tuple[GameJob, ...]
    gone: tuple[int, ...]

    def apply(self, aggregate: GameJobs) -> GameJobs:
        for job_id in self.gone:
            aggregate.jobs.pop(job_id, None)
        for job in (*self.added, *self.changed):
            aggregate.jobs[job.job_id] = job
        aggregate.read_at = self.read_at
        return aggregate
