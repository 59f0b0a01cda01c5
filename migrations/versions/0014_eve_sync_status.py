"""The EVE sync's bookkeeping: one row per (user, character or region, what is synced).

Not a read model and not events: when a loop last ran, succeeded or failed, and what its last
answer cost is bookkeeping of this install, not a fact of the user's industry (the changes a
sync makes are events, recorded by the services it feeds). ``detail`` holds what the next run
needs of the last one (a character's assets per location, so several characters' snapshots of
one station add up; the jobs ready to deliver).

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-12
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eve_sync_status",
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("subject", sa.String(16), primary_key=True),  # character or region
        sa.Column("subject_id", sa.BigInteger, primary_key=True),
        sa.Column("what", sa.String(16), primary_key=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("requests", sa.Integer, nullable=False, server_default="0"),
        sa.Column("pages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cache_hits", sa.Integer, nullable=False, server_default="0"),
        sa.Column("changes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("detail", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("eve_sync_status")
