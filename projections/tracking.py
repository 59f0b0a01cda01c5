"""Where each projection is: its active generation and the fingerprint of the definition that
generation was built from, every generation's log position, the events it could not apply
(dead letters) and who is rebuilding it (leases).

The position is written in the same transaction as the read-model rows it accounts for, so
an event is applied exactly once, also across crashes and concurrent runners. A dead letter
is written in that same transaction too, and the position's ``dead_letters`` count with it:
the runner reads the count with the position it locks anyway, so a projection without dead
letters pays no extra query per batch.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, Uuid, text

from projections.types import UtcDateTime

metadata = MetaData()

registry = Table(
    "projection_registry",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("active_generation", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=True),  # of the definition the active generation was built from
)

positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("dead_letters", Integer, nullable=False, server_default=text("0")),
)

# One row per event a generation of a projection set aside: it failed to apply (``attempts``
# > 0), could not be decoded, or is parked behind an earlier dead letter of its aggregate
# (``attempts`` 0) so that the aggregate's events are never applied out of order.
dead_letters = Table(
    "projection_dead_letters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("position", BigInteger, primary_key=True),  # the event's notification id in the log
    Column("originator_id", Uuid, nullable=False),
    Column("originator_version", Integer, nullable=False),
    Column("topic", String(255), nullable=False),
    Column("user_id", Uuid, nullable=True),  # from the event's meta; None if it cannot be read
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
)

# At most one rebuild per projection: the rebuilding process renews ``heartbeat_at``; a lease
# whose heartbeat is stale belongs to a process that died, and its generation is dropped.
rebuild_leases = Table(
    "projection_rebuild_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("owner", String(64), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False),
)
