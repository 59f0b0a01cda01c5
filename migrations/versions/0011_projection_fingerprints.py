"""Projections define their own tables: the registry keeps the fingerprint of the definition
each active generation was built from.

The read-model generation tables are no longer made by migrations: the projection runtime
creates them from the projections' definitions at start-up and rebuilds a projection whose
fingerprint differs. Every registry row gets none here, so a database whose tables the old
migrations made is rebuilt once from the log into generations of today's definitions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projection_registry") as table:
        table.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projection_registry") as table:
        table.drop_column("fingerprint")
