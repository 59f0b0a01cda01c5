"""Items each user buys rather than builds (raw materials in their chains).

Its read-model tables are defined by the projection (``projections.catalog``), which
creates and rebuilds their generations itself (see ``projections.runtime``); the revision
stays so that databases stamped with it upgrade on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
