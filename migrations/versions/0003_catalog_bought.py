"""Items each user buys rather than builds (raw materials in their chains).

The table joins the catalog projection's active generation, whichever that is by now.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _generation() -> int:
    query = "SELECT active_generation FROM projection_registry WHERE name = 'catalog'"
    return op.get_bind().exec_driver_sql(query).scalar_one()


def upgrade() -> None:
    table = f"catalog_bought_g{_generation()}"
    op.create_table(
        table,
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
    )
    op.execute(f"CREATE VIEW catalog_bought AS SELECT * FROM {table}")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS catalog_bought")
    op.execute(f"DROP TABLE IF EXISTS catalog_bought_g{_generation()}")
