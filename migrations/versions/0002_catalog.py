"""Catalog: items, recipes and their links, versions, production dependencies and chains.

Its read-model tables are defined by the projection (``projections.catalog``), which
creates and rebuilds their generations itself (see ``projections.runtime``); the revision
stays so that databases stamped with it upgrade on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
