"""Foundation: projection tracking (which generation of each projection is active, and where
each generation is in the log).

Read models live in generation tables (<name>_g<N>) behind views (<name>); the projections
define those tables and the runtime creates and rebuilds them (see ``projections.runtime``).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_registry",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("active_generation", sa.Integer, nullable=False),
    )
    op.create_table(
        "projection_positions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("generation", sa.Integer, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("projection_positions")
    op.drop_table("projection_registry")
