"""The notification outbox: its position in the log, the state it derives notifications with,
and one row per (webhook, notification) with each attempt's outcome.

Not a read model (``projections/notifications/tables.py``): rebuilding it would notify
everyone of the whole history again, so it is never rebuilt and has no generations. The
position starts at 0: the events before this migration only build the state (webhooks did not
exist, so no delivery is made of them).

Revision ID: 0015
Revises: 0014
Create Date: 2027-01-20
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite numbers only INTEGER keys itself


def upgrade() -> None:
    position = op.create_table(
        "notification_feed_position",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(position, [{"name": "notifications", "position": 0}])
    op.create_table(
        "notification_webhooks",
        sa.Column("webhook_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False, index=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kinds", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=True),
    )
    op.create_table(
        "notification_runs",
        sa.Column("run_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("plan_name", sa.Text, nullable=False),
        sa.Column("product_type_id", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "notification_run_jobs",
        sa.Column("job_id", sa.Uuid, primary_key=True),
        sa.Column("run_id", sa.Uuid, nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "notification_markers",
        sa.Column("marker_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("assets_id", sa.Uuid, nullable=False),
        sa.Column("type_id", sa.BigInteger, nullable=False),
        sa.Column("location_id", sa.BigInteger, nullable=False),
        sa.Column("desired", sa.BigInteger, nullable=False),
        sa.Column("short", sa.Boolean, nullable=False),
        sa.Column("removed", sa.Boolean, nullable=False),
        sa.Index("ix_notification_markers_place", "assets_id", "type_id", "location_id"),
    )
    op.create_table(
        "notification_holdings",
        sa.Column("assets_id", sa.Uuid, primary_key=True),
        sa.Column("location_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("webhook_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("notification", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=True),
        sa.Column("delivered_at", _TIME, nullable=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.UniqueConstraint("webhook_id", "kind", "key", name="uq_notification_deliveries_fact"),
        sa.Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_notification_deliveries_owner", "owner_id", "delivery_id"),
    )
    op.create_table(
        "notification_attempts",
        sa.Column("delivery_id", sa.BigInteger, primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "notification_attempts",
        "notification_deliveries",
        "notification_holdings",
        "notification_markers",
        "notification_run_jobs",
        "notification_runs",
        "notification_webhooks",
        "notification_feed_position",
    ):
        op.drop_table(table)
