"""Stockpiles: assets, stockpile markers and the plans they may link to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ["stock_assets", "stock_markers", "stock_plans"]
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stock_assets_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("location_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_stock_assets_g1_owner_type", "stock_assets_g1", ["owner_id", "type_id"])
    op.create_table(
        "stock_markers_g1",
        sa.Column("marker_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("type_id", sa.BigInteger, nullable=False),
        sa.Column("location_id", sa.BigInteger, nullable=False),
        sa.Column("desired_quantity", sa.BigInteger, nullable=False),
        sa.Column("plan_id", sa.Uuid),
        sa.Column("parallelism", sa.Integer, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_stock_markers_g1_owner", "stock_markers_g1", ["owner_id", "type_id", "location_id"])
    op.create_index("ix_stock_markers_g1_auto", "stock_markers_g1", ["enabled", "plan_id"])
    op.create_table(
        "stock_plans_g1",
        sa.Column("plan_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("product_type_id", sa.BigInteger, nullable=False),
    )
    for table in TABLES:
        op.execute(f"CREATE VIEW {table} AS SELECT * FROM {table}_g1")
    op.execute("INSERT INTO projection_registry (name, active_generation) VALUES ('stockpiles', 1)")
    op.execute("INSERT INTO projection_positions (name, generation, position) VALUES ('stockpiles', 1, 0)")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP VIEW IF EXISTS {table}")
        op.execute(f"DROP TABLE IF EXISTS {table}_g1")
    op.execute("DELETE FROM projection_positions WHERE name = 'stockpiles'")
    op.execute("DELETE FROM projection_registry WHERE name = 'stockpiles'")
