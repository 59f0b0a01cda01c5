"""The read models' bulk insert (``projections.readmodel.insert_values``: COPY on PostgreSQL,
multi-row INSERTs on SQLite, values converted a column at a time) stores what SQLAlchemy's own
insert stores, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import JSON, Column, Integer, MetaData, Table, Uuid, insert, select

from application.system import Manufactory
from projections.readmodel import insert_values
from projections.types import UtcDateTime


def test_a_bulk_insert_reads_back_as_sqlalchemys_own_insert(system: Manufactory) -> None:
    table = Table(
        f"bulk_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("n", Integer, primary_key=True),
        Column("id", Uuid, nullable=True),
        Column("at", UtcDateTime, nullable=True),
        Column("doc", JSON, nullable=False),
    )
    times = [
        datetime(2026, 12, 4, 3, 16, 34, 249604, tzinfo=UTC),
        datetime(5, 1, 1, tzinfo=timezone(timedelta(hours=3))),  # another day in UTC
    ]
    rows = [(0, uuid.uuid4(), times[0], {"max_workers": {"old": 5, "new": 6}}), (1, uuid.uuid4(), times[1], ["é"])]
    rows.append((2, None, None, {}))
    engine = system.projections.engine
    table.create(engine)
    try:
        with engine.begin() as connection:
            insert_values(connection, table, rows)
            connection.execute(insert(table), [{"n": n + 100, "id": i, "at": at, "doc": doc} for n, i, at, doc in rows])
        with engine.connect() as connection:
            stored = connection.execute(select(table).order_by(table.c.n)).all()
    finally:
        table.drop(engine)
    ours, theirs = stored[: len(rows)], stored[len(rows) :]
    assert [tuple(row[1:]) for row in ours] == [tuple(row[1:]) for row in theirs]
    assert [row.id for row in ours] == [row[1] for row in rows]
