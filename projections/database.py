"""The read-model database engine (SQLAlchemy) for SQLite and PostgreSQL.

SQLite: WAL, a generous busy timeout, and write transactions that start with
``BEGIN IMMEDIATE`` so two writers queue for the lock instead of failing on upgrade.
Queries use ``query_engine``: the same pool in autocommit, so a single SELECT costs a
single round trip (no BEGIN, no ROLLBACK when the connection goes back to the pool).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL

from application.on_loop import refuse_on_loop


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def create_read_engine(url: URL, pool_size: int = 20) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=pool_size, json_serializer=_json
        )
        _configure_sqlite(engine)
    else:
        # No pre-ping (a round trip per checkout): a connection that died is invalidated by
        # SQLAlchemy when it fails, and the pool replaces it.
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=3600, json_serializer=_json
        )
    event.listen(engine, "checkout", _refused_on_the_event_loop)
    return engine


def _refused_on_the_event_loop(*_connection: object) -> None:
    """A command running on the event loop may not read the read models: it would block the loop."""
    refuse_on_loop("a read-model query")


def query_engine(engine: Engine) -> Engine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # read models are rebuildable from events
        # Debian builds SQLite with secure_delete on: every page freed is overwritten with
        # zeros, so dropping a rebuild's old generation wrote the whole of it again (25 ms of
        # a 20,000-event rebuild of about 230). FAST still zeroes a deleted row on the page
        # that held it, and leaves whole freed pages as they were: the rows of a dropped
        # generation, every one of which the event log keeps anyway.
        cursor.execute("PRAGMA secure_delete=FAST")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'DEFERRED')}")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: takes SQLite's write lock up front."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection
