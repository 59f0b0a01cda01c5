"""One setting sizes a server process's connection pools, so N workers can be made to fit
PostgreSQL's max_connections."""

from __future__ import annotations

from application.settings import Settings
from projections.database import create_read_engine


def test_the_pool_size_sizes_the_read_models_and_the_event_store_pools() -> None:
    settings = Settings.from_env(
        {"MANUFACTORY_DATABASE_URL": "postgresql://app@db.example/manufactory", "MANUFACTORY_DATABASE_POOL_SIZE": "6"}
    )
    store = settings.eventsourcing_env()
    assert (store["POSTGRES_POOL_SIZE"], store["POSTGRES_MAX_OVERFLOW"]) == ("3", "6")
    engine = create_read_engine(settings.sqlalchemy_url(), settings.database_pool_size)  # connects lazily
    assert engine.pool.size() == 6  # type: ignore[attr-defined]  # a QueuePool
