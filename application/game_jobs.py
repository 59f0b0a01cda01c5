"""Commands on the game's jobs per holder: what a sync of a character's (or a corporation's)
industry jobs reports, recorded as what changed since its last list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from application.command_runner import save_atomically
from application.eve.esi_routes import IndustryJob
from application.event_store import EventStore
from domain.aggregate import Aggregate
from domain.errors import NotFound
from domain.events import CommandMeta
from domain.industry.blueprints import Holder
from domain.industry.game_jobs import GameJobs, game_jobs_id
from domain.industry.game_sync import GameJob


def reported_jobs(reported: Sequence[IndustryJob]) -> list[GameJob]:
    """ESI's jobs as the queue matches and the board keeps them, each field checked against
    its bounds (a value out of them fails the sync before anything is recorded). The
    corporation route names the station ``location_id``, the character route ``station_id``."""
    return [
        msgspec.convert(
            msgspec.structs.replace(job, station_id=job.station_id or job.location_id), GameJob, from_attributes=True
        )
        for job in reported
    ]


class GameJobService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def report(self, holder: Holder, jobs: Sequence[GameJob], now: datetime, meta: CommandMeta) -> tuple[int, int]:
        """The holder's whole list of jobs as the game reported it at ``now``; records what
        changed since its last list (nothing when nothing did): (changes, position)."""
        aggregate_id = game_jobs_id(meta.user_id, holder)

        def decide() -> tuple[list[Aggregate], int]:
            try:
                game_jobs = self.store.load(aggregate_id, GameJobs)
            except NotFound:
                game_jobs = GameJobs.open(meta.user_id, holder, meta)
            changes = game_jobs.report(jobs, now, meta)
            return ([game_jobs] if changes else []), changes  # a holder opened for nothing is not saved

        return save_atomically(self.store, [aggregate_id], decide)
