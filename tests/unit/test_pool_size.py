"""One setting sizes a server process's connection pools, and ``serve`` sizes them so that all
its processes fit PostgreSQL's max_connections (application/connections.py)."""

from __future__ import annotations

import pytest

from application.connections import (
    SINGLE_CONNECTIONS,
    ConnectionBudget,
    ConnectionLimitError,
    connections_per_process,
    pool_size_for,
)
from application.settings import Settings
from projections.database import create_read_engine

STOCK = ConnectionBudget(max_connections=100, reserved=3)  # PostgreSQL's defaults


def test_the_pool_size_sizes_the_read_models_and_the_event_store_pools() -> None:
    settings = Settings.from_env(
        {"MANUFACTORY_DATABASE_URL": "postgresql://app@db.example/manufactory", "MANUFACTORY_DATABASE_POOL_SIZE": "6"}
    )
    store = settings.eventsourcing_env()
    assert (store["POSTGRES_POOL_SIZE"], store["POSTGRES_MAX_OVERFLOW"]) == ("3", "6")
    engine = create_read_engine(settings.sqlalchemy_url(), settings.database_pool_size)  # connects lazily
    assert engine.pool.size() == 6  # type: ignore[attr-defined]  # a QueuePool


@pytest.mark.parametrize("pool_size", [1, 6, 20])
def test_a_process_s_connections_are_what_its_pools_may_open_and_its_single_connections(pool_size: int) -> None:
    settings = Settings.from_env(
        {
            "MANUFACTORY_DATABASE_URL": "postgresql://app@db.example/manufactory",
            "MANUFACTORY_DATABASE_POOL_SIZE": str(pool_size),
        }
    )
    store = settings.eventsourcing_env()
    pool = create_read_engine(settings.sqlalchemy_url(), settings.database_pool_size).pool
    read_models = pool.size() + pool._max_overflow  # type: ignore[attr-defined]  # a QueuePool
    event_store = int(store["POSTGRES_POOL_SIZE"]) + int(store["POSTGRES_MAX_OVERFLOW"])
    assert connections_per_process(pool_size) == read_models + event_store + SINGLE_CONNECTIONS


def test_one_server_keeps_the_default_pools_on_a_stock_postgresql() -> None:
    assert pool_size_for(STOCK, 1, None) == 20
    assert STOCK.for_servers == 87  # 97 less a tenth for the CLI, runners and psql


def test_workers_get_the_largest_pools_that_fit_together_when_the_size_is_not_set() -> None:
    assert [pool_size_for(STOCK, workers, None) for workers in (2, 3, 4, 8)] == [11, 7, 4, 1]
    for workers in (2, 3, 4, 8):
        size = pool_size_for(STOCK, workers, None)
        assert workers * connections_per_process(size) <= 87 < workers * connections_per_process(size + 1)


def test_a_set_pool_size_that_fits_is_kept() -> None:
    assert pool_size_for(STOCK, 4, 3) == 3
    assert pool_size_for(ConnectionBudget(max_connections=500, reserved=3), 4, 30) == 30


def test_a_set_pool_size_that_does_not_fit_is_refused_with_the_size_that_would() -> None:
    with pytest.raises(ConnectionLimitError) as refused:
        pool_size_for(STOCK, 4, 20)
    assert str(refused.value) == (
        "MANUFACTORY_DATABASE_POOL_SIZE=20 lets 4 server processes open up to 300 PostgreSQL connections, "
        "more than the 87 this database leaves them (max_connections 100, 3 reserved, a tenth kept for other "
        "clients): set it to 4 or less, or raise max_connections"
    )


def test_a_huge_pool_size_is_refused_at_once() -> None:
    with pytest.raises(ConnectionLimitError, match="=1000000000000 lets 1 server process .*: set it to 23 or less"):
        pool_size_for(STOCK, 1, 10**12)


def test_more_processes_than_the_database_can_hold_are_refused() -> None:
    with pytest.raises(ConnectionLimitError, match="^10 server processes need at least 90 PostgreSQL connections"):
        pool_size_for(STOCK, 10, None)
    with pytest.raises(ConnectionLimitError, match="=1 lets 10 server processes .*: run fewer processes"):
        pool_size_for(STOCK, 10, 1)
