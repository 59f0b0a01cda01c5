"""The outbox's tables (created by migration 0015), beside the read models.

They are not a read model: a rebuild would replay every event and notify everyone again, so
there are no generations. ``notification_feed_position`` is the one consumer's log position,
written in the same transaction as the outbox rows the events after it became: exactly the
events after the position are turned into rows, once, also across crashes and several
processes (they serialise on the position row).

The consumer keeps the little state it needs to derive a notification from one event (which
webhooks want what, a run's jobs, a marker's holdings), in its own tables, so it never reads
a read model that may be behind or ahead of its position. A run's rows go once it is done.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from projections.types import UtcDateTime

metadata = MetaData()
FEED = "notifications"  # the position row's name

feed_position = Table(
    "notification_feed_position",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

# The webhooks as of the position (the secret only here and in its event, never shown).
webhooks = Table(
    "notification_webhooks",
    metadata,
    Column("webhook_id", Uuid, primary_key=True),
    Column("owner_id", Uuid, nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("kinds", Text, nullable=False),  # space-separated
    Column("secret", Text, nullable=True),
)

runs = Table(
    "notification_runs",
    metadata,
    Column("run_id", Uuid, primary_key=True),
    Column("owner_id", Uuid, nullable=False),
    Column("plan_name", Text, nullable=False),
    Column("product_type_id", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
)

run_jobs = Table(
    "notification_run_jobs",
    metadata,
    Column("job_id", Uuid, primary_key=True),
    Column("run_id", Uuid, nullable=False, index=True),
    Column("status", String(16), nullable=False),  # planned, active, completed, cancelled
)

markers = Table(
    "notification_markers",
    metadata,
    Column("marker_id", Uuid, primary_key=True),
    Column("owner_id", Uuid, nullable=False),
    Column("assets_id", Uuid, nullable=False),
    Column("type_id", BigInteger, nullable=False),
    Column("location_id", BigInteger, nullable=False),
    Column("desired", BigInteger, nullable=False),
    Column("short", Boolean, nullable=False),  # a deficit is open (held < desired)
    Column("removed", Boolean, nullable=False),
    Column("owner_type", String(12), nullable=True),  # the marker's spot (migration 0017); NULL: unowned
    Column("holder_id", BigInteger, nullable=True),
    Column("container_id", BigInteger, nullable=True),
    Column("division_number", Integer, nullable=True),
    Index("ix_notification_markers_place", "assets_id", "type_id", "location_id"),
)

holdings = Table(
    "notification_spot_holdings",
    metadata,
    Column("assets_id", Uuid, primary_key=True),
    Column("location_id", BigInteger, primary_key=True),
    Column("type_id", BigInteger, primary_key=True),
    Column("owner_type", String(12), primary_key=True),  # '' and 0s: unowned
    Column("holder_id", BigInteger, primary_key=True),
    Column("container_id", BigInteger, primary_key=True),
    Column("division_number", Integer, primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

# One row per (webhook, notification): the outbox and each delivery's outcome.
deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("delivery_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("owner_id", Uuid, nullable=False),
    Column("webhook_id", Uuid, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("position", BigInteger, nullable=False),  # the event that caused it
    Column("notification", Text, nullable=False),  # the Notification, JSON
    Column("status", String(16), nullable=False),  # pending, delivered, failed (gave up), dropped
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),  # also the claim of the process posting it
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("webhook_id", "kind", "key", name="uq_notification_deliveries_fact"),
    Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
    Index("ix_notification_deliveries_owner", "owner_id", "delivery_id"),
)

attempts = Table(
    "notification_attempts",
    metadata,
    Column("delivery_id", BigInteger, primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
)
