"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
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
    in UTC), made by ``isoformat``: the same text in a third of the time."""
    return None if value is None else value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


_rfc3339 = msgspec.json.Encoder()
_RFC3339_UTC = 27  # characters of "2026-12-03T07:16:34.249604Z", msgspec's text of a UTC time


def sqlite_utc_texts(values: Sequence[datetime | None]) -> list[str | None]:
    """``sqlite_utc_text`` of each value, for bulk inserts (``projections.readmodel.insert_values``)
    that write thousands of timestamps per batch: msgspec writes the whole column as one JSON
    list, from which the dialect's text is two replacements away ("T" to " ", no "Z"), a tenth
    of the time of ``isoformat`` per value. Only if every value came out as a UTC time with
    microseconds (each ends in "Z", and the list has the length of that many such texts);
    otherwise (no microseconds, another time zone, a naive time, None) value by value."""
    encoded = _rfc3339.encode(values)
    if encoded.count(b'Z"') != len(values) or len(encoded) != (_RFC3339_UTC + 3) * len(values) + 1:
        return [sqlite_utc_text(value) for value in values]
    texts: list[str | None] = msgspec.json.decode(encoded.replace(b"T", b" ").replace(b'Z"', b'"'))
    return texts
