"""Migration 0010 on a database that already holds containers and economics rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Engine, inspect, text

from application.settings import Settings
from projections.database import create_read_engine, write_transaction
from projections.economics import PENDING, pending
from projections.schema import _alembic_config


def _upgrade(engine: Engine, revision: str) -> None:
    config = _alembic_config()
    with write_transaction(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_containers_keep_their_rows_with_the_defaults_and_economics_rows_are_queued_again(
    database_url: str,
) -> None:
    engine = create_read_engine(Settings(database_url=database_url).sqlalchemy_url())
    owner, container = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    _upgrade(engine, "0006")
    with write_transaction(engine) as connection:
        connection.execute(
            text(
                "INSERT INTO mfg_containers_g1 (aggregate_id, owner_id, container_id, system_symbol, status, version,"
                " max_pipelines, max_workers, collect_min_start_supply, collect_min_execute_supply,"
                " acquire_min_start_supply, acquire_min_execute_supply, min_purchase_price, strategy,"
                " created_at, updated_at) VALUES (:a, :o, 'mfg-1', 'X1', 'STOPPED', 1, 3, 5, 'ABUNDANT', 'HIGH',"
                " 'MODERATE', 'LIMITED', 0, 'prefer-fabricate', :t, :t)"
            ).bindparams(a=container, o=owner, t=now)
        )
        connection.execute(
            text(
                "INSERT INTO production_economics_g1 (owner_id, region_id, type_id, me, te, runs, units, strategy,"
                " base_time, effective_time, chain_time, missing, approximate, catalog_version, digest, version,"
                " updated_at) VALUES (:o, 10000002, 587, 0, 0, 1, 1, 'plan', 1, 1, 1, '[]', '[]', 1, 'd', 1, :t)"
            ).bindparams(o=owner, t=now)
        )
    _upgrade(engine, "head")
    with engine.connect() as connection:
        # values go through the columns' types (SQLite keeps uuids as hex text)
        rows = connection.execute(text("SELECT container_id, min_balance, mode FROM mfg_containers")).all()
        assert [tuple(row) for row in rows] == [("mfg-1", 0, "parallel_task_based")]
        assert "scenario" in {column["name"] for column in inspect(connection).get_columns("production_economics_g1")}
        assert connection.execute(text("SELECT count(*) FROM production_economics")).scalar_one() == 0
        queued = pending(connection, PENDING.view)
        assert [(p.owner_id, p.region_id, p.type_ids) for p in queued] == [(owner, 0, None)], "all items, all regions"
    engine.dispose()
