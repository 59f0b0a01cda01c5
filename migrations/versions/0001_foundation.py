"""Foundation: projection tracking, users, manufacturing containers and config history.

Read models live in generation tables (<name>_g1) behind views (<name>); a projection
rebuild creates the next generation and swaps the view.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PROJECTIONS = {
    "users": ["users", "user_tokens"],
    "manufacturing": ["mfg_containers", "mfg_config_history"],
}


def upgrade() -> None:
    op.create_table(
        "projection_registry",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("active_generation", sa.Integer, nullable=False),
    )
    op.create_table(
        "projection_positions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("generation", sa.Integer, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_table(
        "users_g1",
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_users_g1_name"),
    )
    op.create_table(
        "user_tokens_g1",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "mfg_containers_g1",
        sa.Column("aggregate_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("container_id", sa.String(128), nullable=False),
        sa.Column("system_symbol", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("max_pipelines", sa.Integer, nullable=False),
        sa.Column("max_workers", sa.Integer, nullable=False),
        sa.Column("collect_min_start_supply", sa.String(16), nullable=False),
        sa.Column("collect_min_execute_supply", sa.String(16), nullable=False),
        sa.Column("acquire_min_start_supply", sa.String(16), nullable=False),
        sa.Column("acquire_min_execute_supply", sa.String(16), nullable=False),
        sa.Column("min_purchase_price", sa.BigInteger, nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("owner_id", "container_id", name="uq_mfg_containers_g1_owner_container"),
    )
    op.create_table(
        "mfg_config_history_g1",
        sa.Column("aggregate_id", sa.Uuid, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Uuid, nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
    )
    for projection, tables in PROJECTIONS.items():
        for table in tables:
            op.execute(f"CREATE VIEW {table} AS SELECT * FROM {table}_g1")
        op.execute(f"INSERT INTO projection_registry (name, active_generation) VALUES ('{projection}', 1)")
        op.execute(f"INSERT INTO projection_positions (name, generation, position) VALUES ('{projection}', 1, 0)")


def downgrade() -> None:
    for tables in PROJECTIONS.values():
        for table in tables:
            op.execute(f"DROP VIEW IF EXISTS {table}")
            op.execute(f"DROP TABLE IF EXISTS {table}_g1")
    op.drop_table("projection_positions")
    op.drop_table("projection_registry")
