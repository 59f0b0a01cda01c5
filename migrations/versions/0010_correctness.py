"""Correctness: a container's config keeps ``min_balance`` and ``mode``; production_economics
keeps the base row of every item and the plan row beside it.

Its read-model tables are defined by the projection (``projections.manufacturing`` and
``projections.economics``; a rebuild recomputes what this revision once backfilled), which
creates and rebuilds their generations itself (see ``projections.runtime``); the revision
stays so that databases stamped with it upgrade on.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
