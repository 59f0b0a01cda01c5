"""The jobs the game reports: one row per (user, holder, game job), its columns ``GameJob``'s,
with the activity it is (the slot group follows) and the queued job linked to it, if any.

The link is kept from both sides, whichever the log records first: a reported job takes the
queued job already started with its id, and a queued job started with a game job's id links
the rows reported before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, String, Uuid, and_, bindparam, delete, select, update

from domain.industry.blueprints import Holder
from domain.industry.game_jobs import GameJobsReported, job_activity
from domain.industry.game_sync import GameJob
from projections.readmodel import BatchWriter, ReadModelTable, struct_cells, struct_columns
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
    def _game_jobs_reported(self, writer: BatchWriter, event: GameJobsReported) -> None:
        owner, holder = event.meta.user_id, event.holder
        table = writer.tables["industry_game_jobs"]
        replaced = [*event.gone, *(job.job_id for job in event.changed)]
        if replaced:
            writer.execute(
                delete(table).where(
                    and_(
                        table.c.owner_id == owner,
                        table.c.holder_kind == holder.kind,
                        table.c.holder_id == holder.id,
                        table.c.job_id == bindparam("job"),
                    )
                ),
                [{"job": job_id} for job_id in replaced],
            )
        reported = (*event.added, *event.changed)
        links = _queue_jobs(writer, owner, [job.job_id for job in reported])
        writer.insert("industry_game_jobs", *(_row(owner, holder, job, links.get(job.job_id)) for job in reported))


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


def _queue_jobs(writer: BatchWriter, owner: UUID, esi_job_ids: Sequence[int]) -> dict[int, UUID]:
    """The owner's queued jobs already linked to these game jobs, by game job id."""
    if not esi_job_ids:
        return {}
    jobs = writer.tables["industry_jobs"]
    rows = writer.execute(
        select(jobs.c.esi_job_id, jobs.c.job_id).where(jobs.c.owner_id == owner, jobs.c.esi_job_id.in_(esi_job_ids))
    )
    return {row.esi_job_id: row.job_id for row in rows}


def link_queue_job(writer: BatchWriter, owner: UUID, esi_job_id: int, job_id: UUID) -> None:
    """A queued job started as this game job: the rows the game reported of it link to it."""
    table = writer.tables["industry_game_jobs"]
    writer.execute(
        update(table).where(table.c.owner_id == owner, table.c.job_id == esi_job_id).values(queue_job_id=job_id)
    )
