"""Industry: production plans, plan runs, the job queue and characters.

Its read-model tables are defined by the projection (``projections.industry``), which
creates and rebuilds their generations itself (see ``projections.runtime``); the revision
stays so that databases stamped with it upgrade on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
