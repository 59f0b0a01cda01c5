"""Industry: production plans, plan runs, the job queue and characters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ["industry_plans", "industry_plan_runs", "industry_jobs", "industry_characters"]
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "industry_plans_g1",
        sa.Column("plan_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("product_type_id", sa.BigInteger, nullable=False),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("transport", sa.JSON),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_generated_at", UTC_TIME),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_industry_plans_g1_owner_product", "industry_plans_g1", ["owner_id", "product_type_id"])
    op.create_table(
        "industry_plan_runs_g1",
        sa.Column("run_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("plan_id", sa.Uuid, nullable=False),
        sa.Column("product_type_id", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("parallelism", sa.Integer, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("transports", sa.JSON, nullable=False),
        sa.Column("skipped", sa.JSON, nullable=False),
        sa.Column("leftovers", sa.JSON, nullable=False),
        sa.Column("reason", sa.JSON),
        sa.Column("planned", sa.Integer, nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
        sa.Column("completed", sa.Integer, nullable=False),
        sa.Column("cancelled", sa.Integer, nullable=False),
    )
    op.create_index("ix_industry_plan_runs_g1_owner_created", "industry_plan_runs_g1", ["owner_id", "created_at"])
    op.create_index("ix_industry_plan_runs_g1_plan", "industry_plan_runs_g1", ["plan_id"])
    op.create_table(
        "industry_jobs_g1",
        sa.Column("job_id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("character_id", sa.BigInteger),
        sa.Column("product_type_id", sa.BigInteger, nullable=False),
        sa.Column("blueprint_type_id", sa.BigInteger, nullable=False),
        sa.Column("activity", sa.String(24), nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("me_level", sa.Integer, nullable=False),
        sa.Column("te_level", sa.Integer, nullable=False),
        sa.Column("facility_tax", sa.Float, nullable=False),
        sa.Column("station_id", sa.BigInteger),
        sa.Column("expected_output", sa.BigInteger, nullable=False),
        sa.Column("duration_seconds", sa.Float),
        sa.Column("materials", sa.JSON, nullable=False),
        sa.Column("total_cost", sa.Float),
        sa.Column("expected_revenue", sa.Float),
        sa.Column("actual_revenue", sa.Float),
        sa.Column("notes", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("esi_job_id", sa.BigInteger),
        sa.Column("plan_run_id", sa.Uuid),
        sa.Column("plan_step_id", sa.Integer),
        sa.Column("sort_order", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("started_at", UTC_TIME),
        sa.Column("completed_at", UTC_TIME),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_industry_jobs_g1_owner_status", "industry_jobs_g1", ["owner_id", "status"])
    op.create_index("ix_industry_jobs_g1_run", "industry_jobs_g1", ["plan_run_id"])
    op.create_index("ix_industry_jobs_g1_owner_esi", "industry_jobs_g1", ["owner_id", "esi_job_id"])
    op.create_table(
        "industry_characters_g1",
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("character_id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("manufacturing_slots", sa.Integer, nullable=False),
        sa.Column("reaction_slots", sa.Integer, nullable=False),
        sa.Column("science_slots", sa.Integer, nullable=False),
    )
    for table in TABLES:
        op.execute(f"CREATE VIEW {table} AS SELECT * FROM {table}_g1")
    op.execute("INSERT INTO projection_registry (name, active_generation) VALUES ('industry', 1)")
    op.execute("INSERT INTO projection_positions (name, generation, position) VALUES ('industry', 1, 0)")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP VIEW IF EXISTS {table}")
        op.execute(f"DROP TABLE IF EXISTS {table}_g1")
    op.execute("DELETE FROM projection_positions WHERE name = 'industry'")
    op.execute("DELETE FROM projection_registry WHERE name = 'industry'")
