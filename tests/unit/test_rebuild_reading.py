"""How a rebuild reads, holds and writes its batches: the next batch read ahead is used only
where it starts, and SQLite gets the dialect's own text from the bulk insert's
column-at-a-time converters and its multi-row INSERTs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, Uuid, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url

from application import sqlite_inserts
from projections import readmodel
from projections.database import create_read_engine
from projections.read_ahead import LogRead, ReadAhead
from projections.readmodel import insert_values
from projections.types import UtcDateTime, sqlite_utc_text, sqlite_utc_texts


class CountingReader:
    def __init__(self) -> None:
        self.reads: list[tuple[int, int]] = []

    def __call__(self, start: int, stop: int) -> LogRead:
        self.reads.append((start, stop))
        return LogRead(start=start, new_position=min(start + 9, stop), entries=[])


def test_a_batch_read_ahead_is_used_where_it_starts_and_read_again_elsewhere() -> None:
    reader = CountingReader()
    with ReadAhead(reader) as ahead:
        ahead.read_next(11, 100)
        assert ahead.read(11, 120) == LogRead(start=11, new_position=20, entries=[])  # its own stop: 100
        ahead.read_next(21, 100)
        assert ahead.read(15, 120).start == 15  # the position moved elsewhere: read again
    assert reader.reads == [(11, 100), (21, 100), (15, 120)]


AWKWARD_TIMES = [
    datetime(2026, 12, 3, 7, 16, 34, 249604, tzinfo=UTC),
    datetime(2026, 12, 3, 7, 16, 34, tzinfo=UTC),  # no microseconds: still six digits
    datetime(2026, 12, 3, 7, 16, 34, 5, tzinfo=timezone(timedelta(hours=-2))),  # another zone
    datetime(5, 1, 1, tzinfo=timezone(timedelta(hours=3))),  # a year of one digit, another day in UTC
]


def test_utc_timestamps_get_the_text_sqlalchemy_stores_on_sqlite() -> None:
    dialect = sqlite.dialect()
    stored = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert stored is not None
    for value in AWKWARD_TIMES:
        assert sqlite_utc_text(value) == stored(value)
    assert sqlite_utc_text(None) is None
    plain = [datetime(2026, 12, 3, 7, 16, 34, n + 1, tzinfo=UTC) for n in range(3)]  # the fast path
    for column in [plain, AWKWARD_TIMES, [*plain, None], []]:
        assert sqlite_utc_texts(column) == [stored(value) for value in column]


@pytest.mark.parametrize(
    ("rows_per_insert", "variable_limit"),
    [(200, None), (2, None), (200, 12)],
    ids=["one-statement", "chunks-of-two-rows", "chunks-of-the-variable-limit"],
)
def test_a_bulk_insert_stores_what_sqlalchemy_stores_on_sqlite(
    monkeypatch: pytest.MonkeyPatch, rows_per_insert: int, variable_limit: int | None
) -> None:
    """In multi-row INSERTs of at most ``ROWS_PER_INSERT`` rows and the variables SQLite allows."""
    monkeypatch.setattr(readmodel, "ROWS_PER_INSERT", rows_per_insert)
    if variable_limit is not None:
        monkeypatch.setattr(sqlite_inserts, "variable_limit", lambda: variable_limit)
    table = Table(
        "t",
        MetaData(),
        Column("n", Integer, primary_key=True),
        Column("id", Uuid, nullable=True),
        Column("at", UtcDateTime, nullable=True),
        Column("doc", JSON, nullable=False),
    )
    ids = [uuid.uuid4() for _ in AWKWARD_TIMES]
    docs = [{"max_workers": {"old": 5, "new": 6}}, [1, "two"], "three", {"é": None}]
    rows = [(n, ids[n], AWKWARD_TIMES[n], docs[n]) for n in range(len(ids))]
    rows.append((len(rows), None, None, {}))
    engine = create_read_engine(make_url("sqlite://"), pool_size=1)  # the read models' own JSON
    with engine.begin() as connection:
        table.create(connection)
        insert_values(connection, table, rows)
        connection.execute(insert(table), [{"n": n + 100, "id": i, "at": at, "doc": doc} for n, i, at, doc in rows])
        stored = connection.exec_driver_sql("SELECT n, id, at, doc FROM t ORDER BY n").all()
    ours, theirs = stored[: len(rows)], stored[len(rows) :]
    assert [tuple(row[1:]) for row in ours] == [tuple(row[1:]) for row in theirs]
    assert ours[0].id == ids[0].hex and ours[-1].id is None
