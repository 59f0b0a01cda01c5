"""Catalog: items, recipes and their links, versions, production dependencies and chains.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [
    "catalog_items",
    "catalog_recipes",
    "catalog_recipe_links",
    "catalog_versions",
    "production_dependencies",
    "production_chains",
]


def upgrade() -> None:
    op.create_table(
        "catalog_items_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("group_id", sa.BigInteger),
        sa.Column("group_name", sa.String(255)),
        sa.Column("category_id", sa.BigInteger),
        sa.Column("category_name", sa.String(255)),
        sa.Column("volume", sa.Float),
        sa.Column("portion_size", sa.Integer, nullable=False),
        sa.Column("market_group_id", sa.BigInteger),
        sa.Column("published", sa.Boolean, nullable=False),
    )
    op.create_table(
        "catalog_recipes_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("recipe_id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(255)),
        sa.Column("max_runs", sa.Integer),
        sa.Column("is_primary", sa.Boolean, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_table(
        "catalog_recipe_links_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("recipe_id", sa.BigInteger, primary_key=True),
        sa.Column("activity", sa.String(24), primary_key=True),
        sa.Column("role", sa.String(8), primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("probability", sa.Float),
    )
    op.create_index("ix_catalog_recipe_links_g1_by_type", "catalog_recipe_links_g1", ["owner_id", "type_id", "role"])
    op.create_table(
        "catalog_versions_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("catalog_version", sa.Integer, primary_key=True),
        sa.Column("game", sa.String(64), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "production_dependencies_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("item_type_id", sa.BigInteger, primary_key=True),
        sa.Column("recipe_id", sa.BigInteger, primary_key=True),
        sa.Column("material_type_id", sa.BigInteger, primary_key=True),
        sa.Column("activity_id", sa.Integer, nullable=False),
        sa.Column("base_quantity", sa.BigInteger, nullable=False),
        sa.Column("units_per_run", sa.BigInteger, nullable=False),
        sa.Column("is_raw_material", sa.Boolean, nullable=False),
        sa.Column("catalog_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "production_chains_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("item_type_id", sa.BigInteger, primary_key=True),
        sa.Column("raw_material_type_id", sa.BigInteger, primary_key=True),
        sa.Column("base_quantity", sa.Float, nullable=False),
        sa.Column("chain_depth", sa.Integer, nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("catalog_version", sa.Integer, nullable=False),
    )
    for table in TABLES:
        op.execute(f"CREATE VIEW {table} AS SELECT * FROM {table}_g1")
    op.execute("INSERT INTO projection_registry (name, active_generation) VALUES ('catalog', 1)")
    op.execute("INSERT INTO projection_positions (name, generation, position) VALUES ('catalog', 1, 0)")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP VIEW IF EXISTS {table}")
        op.execute(f"DROP TABLE IF EXISTS {table}_g1")
    op.execute("DELETE FROM projection_positions WHERE name = 'catalog'")
    op.execute("DELETE FROM projection_registry WHERE name = 'catalog'")
