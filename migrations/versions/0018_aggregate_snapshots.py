"""Snapshots of the aggregates whose histories grow without end (issue 16): one row per
aggregate, the newest snapshot (application/snapshots.py). On SQLite the table lives in the
event store's own file and is created there by the event store.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return  # the read-model SQLite file: snapshots live beside the events instead
    op.create_table(
        "aggregate_snapshots",
        sa.Column("aggregate_id", sa.Uuid, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("layout", sa.Text, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_table("aggregate_snapshots")
