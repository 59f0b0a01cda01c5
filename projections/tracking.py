"""Where each projection is: its active generation and every generation's log position.

The position is written in the same transaction as the read-model rows it accounts for, so
an event is applied exactly once, also across crashes and concurrent runners.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from projections.types import UtcDateTime

metadata = MetaData()

registry = Table(
    "projection_registry",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("active_generation", Integer, nullable=False),
)

positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
)
