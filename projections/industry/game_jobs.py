"""The jobs the game reports: one row per (user, holder, game job), its columns ``GameJob``'s,
with the activity it is (the slot group follows) and the queued job linked to it, if any.

The link is kept from both sides, whichever the log records first: a reported job takes the
queued job already started with its id, and a queued job started with a game job's id links
the rows reported before.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, String, Uuid

from domain.industry.blueprints import Holder
from domain.industry.game_jobs import GameJobsReported, job_activity
from domain.industry.game_sync import GameJob
from projections.industry.batch import IndustryBatch
from projections.readmodel import ReadModelTable, struct_cells, struct_columns
from projections.runtime import handles

GAME_JOBS = ReadModelTable(
    "industry_game_jobs",
    lambda: [
        Column("owner_id", Uuid, nullable=False),
        Column("holder_kind", String(11), nullable=False),
        Column("holder_id", BigInteger, nullable=False),
        *struct_columns(GameJob, status=String(16)),
        Column("activity", String(24)),  # None: an activity the catalog does not model (a science job)
        Column("queue_job_id", Uuid),
    ],
    indexes=[
        ("owner_holder_job", ["owner_id", "holder_kind", "holder_id", "job_id"], True),
        ("owner_job", ["owner_id", "job_id"], False),
        ("owner_status", ["owner_id", "status"], False),
    ],
)


class GameJobHandlers:
    """The industry projection's handler of what the game reports (only the owner, or a sync on
    their behalf, reports their jobs, so the owner is the event's user)."""

    @handles(GameJobsReported)
    def _game_jobs_reported(self, batch: IndustryBatch, event: GameJobsReported) -> None:
        owner, holder = event.meta.user_id, event.holder
        for job_id in (*event.gone, *(job.job_id for job in event.changed)):
            batch.game_jobs.remove(owner, holder.kind, holder.id, job_id)
        for job in (*event.added, *event.changed):
            batch.game_jobs.put(_row(owner, holder, job, _queue_job(batch, owner, job.job_id)))


def _row(owner: UUID, holder: Holder, job: GameJob, queue_job_id: UUID | None) -> dict[str, Any]:
    activity = job_activity(job.activity_id)
    return {
        "owner_id": owner,
        "holder_kind": holder.kind,
        "holder_id": holder.id,
        **struct_cells(job),
        "activity": activity.value if activity is not None else None,
        "queue_job_id": queue_job_id,
    }


def _queue_job(batch: IndustryBatch, owner: UUID, esi_job_id: int) -> UUID | None:
    """The owner's queued job already linked to this game job, if any."""
    linked = [job["job_id"] for job in batch.jobs.find("esi_job_id", esi_job_id) if job["owner_id"] == owner]
    return linked[-1] if linked else None


def link_queue_job(batch: IndustryBatch, owner: UUID, esi_job_id: int, job_id: UUID) -> None:
    """A queued job started as this game job: the rows the game reported of it link to it."""
    for row in batch.game_jobs.find("job_id", esi_job_id):
        if row["owner_id"] == owner:
            batch.game_jobs.update(row, queue_job_id=job_id)
