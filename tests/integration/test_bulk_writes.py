"""The read models' bulk insert (``projections.readmodel.insert_values``: binary COPY on
PostgreSQL, multi-row INSERTs on SQLite, values converted a column at a time) stores what
SQLAlchemy's own insert stores, on both databases, for every type the read models use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from application.system import Manufactory
from projections.readmodel import _binary_types, insert_values
from projections.types import UtcDateTime


def test_a_bulk_insert_reads_back_as_sqlalchemys_own_insert(system: Manufactory) -> None:
    table = Table(
        f"bulk_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("n", Integer, primary_key=True),
        Column("id", Uuid, nullable=True),
        Column("at", UtcDateTime, nullable=True),
        Column("doc", JSON, nullable=False),
        Column("big", BigInteger, nullable=True),
        Column("flag", Boolean, nullable=True),
        Column("price", Float, nullable=True),
        Column("code", String(8), nullable=True),
        Column("note", Text, nullable=True),
    )
    times = [
        datetime(2026, 12, 4, 3, 16, 34, 249604, tzinfo=UTC),
        datetime(5, 1, 1, tzinfo=timezone(timedelta(hours=3))),  # another day in UTC
    ]
    rows = [
        (0, uuid.uuid4(), times[0], {"max_workers": {"old": 5, "new": 6}}, 2**62, True, 1.5, "Jita", "x" * 3000),
        (1, uuid.uuid4(), times[1], ["é"], -(2**40), False, 7, "é—ü", "«quoted» \t tab\nline"),
        (2, None, None, {}, None, None, None, None, None),
    ]
    engine = system.projections.engine
    table.create(engine)
    try:
        with engine.begin() as connection:
            insert_values(connection, table, rows)
            names = [column.name for column in table.columns]
            connection.execute(insert(table), [dict(zip(names, (row[0] + 100, *row[1:]), strict=True)) for row in rows])
        with engine.connect() as connection:
            stored = connection.execute(select(table).order_by(table.c.n)).all()
    finally:
        table.drop(engine)
    ours, theirs = stored[: len(rows)], stored[len(rows) :]
    assert [tuple(row[1:]) for row in ours] == [tuple(row[1:]) for row in theirs]
    assert [row.id for row in ours] == [row[1] for row in rows]


def test_a_column_type_without_a_binary_copy_form_is_named_before_anything_is_sent() -> None:
    table = Table("docs", MetaData(), Column("n", Integer, primary_key=True), Column("doc", JSONB))
    with pytest.raises(TypeError, match="docs.doc"):
        _binary_types(table)
