"""Stockpiles: assets, stockpile markers and the plans they may link to.

Its read-model tables are defined by the projection (``projections.stockpiles``), which
creates and rebuilds their generations itself (see ``projections.runtime``); the revision
stays so that databases stamped with it upgrade on.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
