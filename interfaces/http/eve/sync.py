"""The EVE sync's routes: its status per character, corporation, region and step, and a sync
asked for now."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.eve.sync import EveSync
from application.eve.sync_status import Subject, SyncStatus
from domain.limits import GameId
from interfaces.http.bodies import Request, Response


class SyncStatusOut(Response):
    subject: Subject  # character (jobs, assets, skills...), corporation (jobs, blueprints) or region (market)
    subject_id: int
    what: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    next_due_at: datetime | None  # null: due now
    # Of the last attempt; null once one succeeded. A corporation no linked member may read
    # names what each one lacks (a role in the game, a scope at login).
    last_error: str | None
    requests: int  # what the last successful run cost: requests sent, pages, pages from the cache
    pages: int
    cache_hits: int
    changes: int  # what it changed (0: no event recorded)
    # Jobs only: the game jobs ready to deliver (past their end, still active in the game).
    ready: list[int] | None

    @classmethod
    def of(cls, status: SyncStatus) -> SyncStatusOut:
        ready = None
        if status.what == "jobs" and status.detail:
            ready = msgspec.json.decode(status.detail, type=_JobsDetail).ready
        return cls(
            subject=status.subject,
            subject_id=status.subject_id,
            what=status.what,
            last_attempt_at=status.last_attempt_at,
            last_success_at=status.last_success_at,
            next_due_at=status.next_due_at,
            last_error=status.last_error,
            requests=status.requests,
            pages=status.pages,
            cache_hits=status.cache_hits,
            changes=status.changes,
            ready=ready,
        )


class _JobsDetail(msgspec.Struct):
    ready: list[int] = []


class SyncStatusList(Response):
    statuses: list[SyncStatusOut]


class SyncAsked(Request):
    """Which sync to run now; everything of yours when empty. A character or a corporation (of a
    linked character) named narrows it to those."""

    character_id: GameId | None = None
    corporation_id: GameId | None = None
    what: str | None = None  # jobs, assets, skills, blueprints, market (or a step added since)


class EveSyncRoutes(Controller):
    @get("/v1/eve/sync", tags=["queries"])
    async def get_eve_sync(self, eve_sync: NamedDependency[EveSync], user_id: NamedDependency[UUID]) -> SyncStatusList:
        """Your syncs with the game: per linked character, its corporation and followed region,
        each step's last success, next due time, last error and what its last answer cost."""
        statuses = await anyio.to_thread.run_sync(eve_sync.statuses, user_id)
        return SyncStatusList(statuses=[SyncStatusOut.of(status) for status in statuses])

    @post("/v1/eve/sync", tags=["commands"], status_code=200)
    async def sync_eve_now(
        self,
        eve_sync: NamedDependency[EveSync],
        user_id: NamedDependency[UUID],
        data: JSONBody[SyncAsked | None] = None,
    ) -> SyncStatusList:
        """Sync now, due or not (one character, corporation or step when named), and answer the
        statuses after. A failing character or step is reported in its status; the others still run."""
        asked = data or SyncAsked()
        sync = partial(eve_sync.sync_now, user_id, asked.character_id, asked.what, asked.corporation_id)
        statuses = await anyio.to_thread.run_sync(sync)
        return SyncStatusList(statuses=[SyncStatusOut.of(status) for status in statuses])
