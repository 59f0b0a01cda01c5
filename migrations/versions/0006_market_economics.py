"""Market data and production economics.

Its read-model tables are defined by the projection (``projections.market`` and
``projections.economics``), which
creates and rebuilds their generations itself (see ``projections.runtime``); the revision
stays so that databases stamped with it upgrade on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
