"""Correctness: a container's config keeps ``min_balance`` and ``mode``; production_economics
keeps the base row of every item and the plan row beside it (``scenario`` in the key).

Both change the tables of each projection's active generation, whichever that is by now.
Containers gain the two columns with their defaults, which is what their events say (events
recorded before the fields replay with the defaults). The economics rows are derived data
whose key changes: the table is recreated empty and every user who had rows gets one pending
entry for all their items in every region (event id = the user's id, version 0), so the
economics updater writes base and plan rows again on its first pass; until then an item's
answer is worked out on request.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

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
EVERY_REGION = 0


def _generation(projection: str) -> int:
    query = f"SELECT active_generation FROM projection_registry WHERE name = '{projection}'"
    return op.get_bind().exec_driver_sql(query).scalar_one()


def _point_view(name: str, generation: int) -> None:
    op.execute(f"DROP VIEW IF EXISTS {name}")
    op.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}_g{generation}")


def upgrade() -> None:
    containers = _generation("manufacturing")
    op.execute("DROP VIEW IF EXISTS mfg_containers")
    op.add_column(
        f"mfg_containers_g{containers}",
        sa.Column("min_balance", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.add_column(
        f"mfg_containers_g{containers}",
        sa.Column("mode", sa.String(32), nullable=False, server_default="parallel_task_based"),
    )
    _point_view("mfg_containers", containers)
    _recreate_economics(with_scenario=True)


def downgrade() -> None:
    containers = _generation("manufacturing")
    op.execute("DROP VIEW IF EXISTS mfg_containers")
    for column in ("min_balance", "mode"):
        op.execute(f"ALTER TABLE mfg_containers_g{containers} DROP COLUMN {column}")
    _point_view("mfg_containers", containers)
    _recreate_economics(with_scenario=False)


def _recreate_economics(with_scenario: bool) -> None:
    generation = _generation("economics")
    table = f"production_economics_g{generation}"
    bind = op.get_bind()
    owners = [row[0] for row in bind.exec_driver_sql(f"SELECT DISTINCT owner_id FROM {table}")]
    op.execute("DROP VIEW IF EXISTS production_economics")
    op.drop_table(table)
    scenario = [sa.Column("scenario", sa.String(8), primary_key=True)] if with_scenario else []
    op.create_table(
        table,
        sa.Column("owner_id", sa.Uuid, primary_key=True),
        sa.Column("region_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        *scenario,
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
    op.create_index(f"ix_{table}_by_type", table, ["owner_id", "type_id"])
    _point_view("production_economics", generation)
    pending = sa.table(
        f"economics_pending_g{generation}",
        sa.column("event_id", sa.Uuid),
        sa.column("event_version", sa.Integer),
        sa.column("region_id", sa.BigInteger),
        sa.column("owner_id", sa.Uuid),
        sa.column("type_ids", sa.JSON),
        sa.column("recorded_at", UTC_TIME),
    )
    now = datetime.now(UTC)
    for owner in owners:
        owner_id = owner if isinstance(owner, uuid.UUID) else uuid.UUID(str(owner))
        key = (pending.c.event_id == owner_id) & (pending.c.event_version == 0)
        bind.execute(sa.delete(pending).where(key))
        bind.execute(
            sa.insert(pending).values(
                event_id=owner_id,
                event_version=0,
                region_id=EVERY_REGION,
                owner_id=owner_id,
                type_ids=None,
                recorded_at=now,
            )
        )
