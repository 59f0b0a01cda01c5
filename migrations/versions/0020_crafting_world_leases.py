"""Crafting world leases (issue 16): which server process owns each crafting world, until
when, and when a released world's next job is due (application/world_leases.py). PostgreSQL
only: on SQLite one process serves every world.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.create_table(
        "crafting_world_leases",
        sa.Column("world_id", sa.Uuid, primary_key=True),
        sa.Column("owner", sa.Text, nullable=True),  # None: released, nobody holds it
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due", sa.Float, nullable=True),  # a released world's next job end (Unix seconds)
    )
    op.create_index("crafting_world_leases_owner", "crafting_world_leases", ["owner"])


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_table("crafting_world_leases")
