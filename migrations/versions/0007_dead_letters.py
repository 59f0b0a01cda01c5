"""Projection dead letters (events a projection could not apply, and those parked behind them)
with a count beside each generation's position, and rebuild leases.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("projection_positions") as table:
        table.add_column(sa.Column("dead_letters", sa.Integer, nullable=False, server_default=sa.text("0")))
    op.create_table(
        "projection_dead_letters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("generation", sa.Integer, primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("originator_id", sa.Uuid, nullable=False),
        sa.Column("originator_version", sa.Integer, nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=True),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failed_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "projection_rebuild_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("heartbeat_at", UTC_TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("projection_rebuild_leases")
    op.drop_table("projection_dead_letters")
    with op.batch_alter_table("projection_positions") as table:
        table.drop_column("dead_letters")
