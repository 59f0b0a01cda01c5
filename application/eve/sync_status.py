"""Where the EVE sync keeps its bookkeeping (``eve_sync_status``, migration 0014): per user,
character, corporation or region, and what is synced, when it last ran, succeeded or failed,
when it is due next, and what its last answer cost. Not events: see the migration's docstring."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import msgspec
import sqlalchemy as sa
from sqlalchemy import Engine

from projections.database import write_transaction

Subject = Literal["character", "corporation", "region"]

_status = sa.Table(
    "eve_sync_status",
    sa.MetaData(),
    sa.Column("user_id", sa.Uuid, primary_key=True),
    sa.Column("subject", sa.String(16), primary_key=True),
    sa.Column("subject_id", sa.BigInteger, primary_key=True),
    sa.Column("what", sa.String(16), primary_key=True),
    sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("last_success_at", sa.DateTime(timezone=True)),
    sa.Column("next_due_at", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.Text),
    sa.Column("requests", sa.Integer),
    sa.Column("pages", sa.Integer),
    sa.Column("cache_hits", sa.Integer),
    sa.Column("changes", sa.Integer),
    sa.Column("detail", sa.Text),
)


class SyncStatus(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    subject: Subject
    subject_id: int
    what: str
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    next_due_at: datetime | None = None  # None: due now (never synced, or asked for)
    last_error: str | None = None
    requests: int = 0  # of the last run
    pages: int = 0
    cache_hits: int = 0
    changes: int = 0  # what the last successful run changed (0: it recorded no event)
    detail: str | None = None  # JSON the step keeps for its next run

    def due(self, now: datetime) -> bool:
        return self.next_due_at is None or self.next_due_at <= now


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back the naive UTC time it was given."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class SyncStatusStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def of_user(self, user_id: UUID) -> list[SyncStatus]:
        return self._select(_status.c.user_id == user_id)

    def get(self, user_id: UUID, subject: Subject, subject_id: int, what: str) -> SyncStatus:
        rows = self._select(
            _status.c.user_id == user_id,
            _status.c.subject == subject,
            _status.c.subject_id == subject_id,
            _status.c.what == what,
        )
        return rows[0] if rows else SyncStatus(user_id=user_id, subject=subject, subject_id=subject_id, what=what)

    def put(self, status: SyncStatus) -> None:
        """Replace the row (delete and insert: the same on both databases)."""
        values = msgspec.structs.asdict(status)
        with write_transaction(self._engine) as connection:
            connection.execute(sa.delete(_status).where(*self._key(status)))
            connection.execute(sa.insert(_status).values(**values))

    def _select(self, *conditions: sa.ColumnElement[bool]) -> list[SyncStatus]:
        query = sa.select(_status).where(*conditions).order_by(_status.c.subject, _status.c.subject_id, _status.c.what)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            SyncStatus(
                user_id=row.user_id,
                subject=row.subject,
                subject_id=row.subject_id,
                what=row.what,
                last_attempt_at=_aware(row.last_attempt_at),
                last_success_at=_aware(row.last_success_at),
                next_due_at=_aware(row.next_due_at),
                last_error=row.last_error,
                requests=row.requests,
                pages=row.pages,
                cache_hits=row.cache_hits,
                changes=row.changes,
                detail=row.detail,
            )
            for row in rows
        ]

    @staticmethod
    def _key(status: SyncStatus) -> list[sa.ColumnElement[bool]]:
        return [
            _status.c.user_id == status.user_id,
            _status.c.subject == status.subject,
            _status.c.subject_id == status.subject_id,
            _status.c.what == status.what,
        ]
