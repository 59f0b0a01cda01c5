"""Market data and production economics: latest quotes, price history, adjusted prices, cost
indices and job sites per region; the production_economics rows, what is pending for them, plans
by product and when each region's rows were written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PROJECTIONS = {
    "market": [
        "market_prices",
        "market_price_history",
        "market_adjusted_prices",
        "market_cost_indices",
        "market_regions",
    ],
    "economics": ["production_economics", "economics_pending", "economics_plans", "economics_regions"],
}
FIGURES = (
    "material_cost",
    "job_cost",
    "total_cost",
    "sell_price",
    "buy_price",
    "profit_sell",
    "profit_buy",
    "roi_sell",
    "roi_buy",
    "profit_per_hour_sell",
    "profit_per_hour_buy",
)
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "market_prices_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("region_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("lowest_sell", sa.Float),
        sa.Column("highest_buy", sa.Float),
        sa.Column("sell_volume", sa.BigInteger, nullable=False),
        sa.Column("buy_volume", sa.BigInteger, nullable=False),
        sa.Column("daily_volume", sa.Float),
        sa.Column("sell_depth", sa.JSON, nullable=False),
        sa.Column("observed_at", UTC_TIME, nullable=False),
        sa.Column("batch_id", sa.Uuid, nullable=False),
    )
    op.create_table(
        "market_price_history_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("region_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("observed_at", UTC_TIME, primary_key=True),
        sa.Column("lowest_sell", sa.Float),
        sa.Column("highest_buy", sa.Float),
        sa.Column("sell_volume", sa.BigInteger, nullable=False),
        sa.Column("buy_volume", sa.BigInteger, nullable=False),
        sa.Column("daily_volume", sa.Float),
    )
    op.create_index(
        "ix_market_price_history_g1_by_time", "market_price_history_g1", ["owner_id", "region_id", "observed_at"]
    )
    op.create_table(
        "market_adjusted_prices_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("adjusted_price", sa.Float, nullable=False),
        sa.Column("average_price", sa.Float),
        sa.Column("observed_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "market_cost_indices_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("solar_system_id", sa.BigInteger, primary_key=True),
        sa.Column("activity", sa.String(24), primary_key=True),
        sa.Column("cost_index", sa.Float, nullable=False),
        sa.Column("observed_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "market_regions_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("region_id", sa.BigInteger, primary_key=True),
        sa.Column("job_site", sa.JSON),
        sa.Column("batches", sa.Integer, nullable=False),
        sa.Column("last_observed_at", UTC_TIME),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "production_economics_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("region_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("me", sa.Integer, nullable=False),
        sa.Column("te", sa.Integer, nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("units", sa.BigInteger, nullable=False),
        sa.Column("strategy", sa.String(16), nullable=False),
        sa.Column("plan_id", sa.Uuid),
        *(sa.Column(name, sa.Float) for name in FIGURES),
        *(sa.Column(f"{name}_as_of", UTC_TIME) for name in FIGURES),
        sa.Column("base_time", sa.Float, nullable=False),
        sa.Column("effective_time", sa.Float, nullable=False),
        sa.Column("chain_time", sa.Float, nullable=False),
        sa.Column("daily_volume", sa.Float),
        sa.Column("missing", sa.JSON, nullable=False),
        sa.Column("approximate", sa.JSON, nullable=False),
        sa.Column("catalog_version", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_production_economics_g1_by_type", "production_economics_g1", ["owner_id", "type_id"])
    op.create_table(
        "economics_pending_g1",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("event_version", sa.Integer, primary_key=True),
        sa.Column("region_id", sa.BigInteger, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("type_ids", sa.JSON),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_economics_pending_g1_owner", "economics_pending_g1", ["owner_id"])
    op.create_table(
        "economics_plans_g1",
        sa.Column("plan_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("product_type_id", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "economics_regions_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("region_id", sa.BigInteger, primary_key=True),
        sa.Column("written_at", UTC_TIME, nullable=False),
        sa.Column("refreshed_at", UTC_TIME),
    )
    for name, tables in PROJECTIONS.items():
        for table in tables:
            op.execute(f"CREATE VIEW {table} AS SELECT * FROM {table}_g1")
        op.execute(f"INSERT INTO projection_registry (name, active_generation) VALUES ('{name}', 1)")
        op.execute(f"INSERT INTO projection_positions (name, generation, position) VALUES ('{name}', 1, 0)")


def downgrade() -> None:
    for name, tables in PROJECTIONS.items():
        for table in tables:
            op.execute(f"DROP VIEW IF EXISTS {table}")
            op.execute(f"DROP TABLE IF EXISTS {table}_g1")
        op.execute(f"DELETE FROM projection_positions WHERE name = '{name}'")
        op.execute(f"DELETE FROM projection_registry WHERE name = '{name}'")
