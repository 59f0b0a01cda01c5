"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp; SQLite would otherwise hand back naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """What SQLAlchemy's SQLite dialect stores for a ``UtcDateTime`` ("2026-12-03 07:16:34.249604",
    in UTC), made by ``isoformat``: the same text in a third of the time, for bulk inserts
    (``projections.readmodel.insert_rows``) that write thousands of timestamps per batch."""
    return None if value is None else value.astimezone(UTC).isoformat(" ", "microseconds")[:26]
