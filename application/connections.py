"""How many PostgreSQL connections the processes of ``manufactory serve`` may hold, and the pool
size that keeps them within what the database allows.

Each server process has pools of its own (the read models' and the event store's, both sized by
``MANUFACTORY_DATABASE_POOL_SIZE``) and five single connections. With the default pools one
process may open 75 connections; four of them 300, where PostgreSQL allows 100 by default. Past
that PostgreSQL refuses new sessions (``sorry, too many clients already``): under 200 clients,
four workers answered two reads in three with 503, and a worker that cannot connect while it
starts stops the whole server (BENCHMARKS.md, "Many processes, one database"). So ``serve``
sizes the pools before any process opens them: left unset, the pool size is the default or
less, as much as fits; set, it must fit, or the server is refused with the size that would.
"""

from __future__ import annotations

from bisect import bisect_right

import msgspec
import psycopg

from application.settings import DEFAULT_POOL_SIZE, Settings

# The log head's reader, the duty election, the notifier, and the world leases' two.
SINGLE_CONNECTIONS = 5
# What the servers leave to everything else on the database: the CLI, a standalone runner, a
# migration, an operator's psql.
OTHERS_SHARE = 0.1


class ConnectionLimitError(Exception):
    """Pools that cannot fit the database: shown as one line, the server not started."""


class ConnectionBudget(msgspec.Struct, frozen=True):
    """What PostgreSQL allows: ``max_connections`` less the slots it keeps for superusers (and,
    from PostgreSQL 16, for roles granted ``pg_use_reserved_connections``)."""

    max_connections: int
    reserved: int

    @property
    def for_servers(self) -> int:
        """Connections the server processes together may hold."""
        return int((self.max_connections - self.reserved) * (1 - OTHERS_SHARE))

    def describe(self) -> str:
        return (
            f"the {self.for_servers} this database leaves them (max_connections {self.max_connections}, "
            f"{self.reserved} reserved, a tenth kept for other clients)"
        )


def connections_per_process(pool_size: int) -> int:
    """The most connections one server process opens with ``pool_size``: the read models' pool
    and as many on overflow, the event store's half that and as many on overflow, and the
    single connections (``Settings.eventsourcing_env`` and ``create_read_engine`` size them)."""
    return 2 * pool_size + max(1, pool_size // 2) + pool_size + SINGLE_CONNECTIONS


def largest_fitting_pool_size(budget: ConnectionBudget, processes: int, ceiling: int) -> int | None:
    """The largest pool size up to ``ceiling`` whose ``processes`` fit the budget; None if not even 1."""
    # The connections grow with the size: the sizes that fit are the first ones, found by bisection
    # (a setting may be any number).
    sizes = range(1, ceiling + 1)
    fitting = bisect_right(sizes, budget.for_servers, key=lambda size: processes * connections_per_process(size))
    return sizes[fitting - 1] if fitting else None


def pool_size_for(budget: ConnectionBudget, processes: int, chosen: int | None) -> int:
    """The pool size ``processes`` server processes run with: ``chosen`` (the setting) if it
    fits the budget, else refused; unset, the default or the largest that fits below it."""
    fitting = largest_fitting_pool_size(budget, processes, chosen or DEFAULT_POOL_SIZE)
    servers = f"{processes} server process{'es' if processes > 1 else ''}"
    if chosen is not None and fitting != chosen:
        advice = f"set it to {fitting} or less" if fitting else "run fewer processes"
        raise ConnectionLimitError(
            f"MANUFACTORY_DATABASE_POOL_SIZE={chosen} lets {servers} open up to "
            f"{processes * connections_per_process(chosen)} PostgreSQL connections, more than "
            f"{budget.describe()}: {advice}, or raise max_connections"
        )
    if fitting is None:
        raise ConnectionLimitError(
            f"{servers} need at least {processes * connections_per_process(1)} PostgreSQL connections, "
            f"more than {budget.describe()}: run fewer processes, or raise max_connections"
        )
    return fitting


def read_budget(conninfo: str) -> ConnectionBudget:
    """The connection limits of the PostgreSQL server at ``conninfo``."""
    query = (
        "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int"
        " + coalesce(current_setting('reserved_connections', true)::int, 0)"
    )
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
        row = connection.execute(query).fetchone()
    assert row is not None
    return ConnectionBudget(max_connections=row[0], reserved=row[1])


def fit_pools(settings: Settings, processes: int, *, pool_size_set: bool) -> Settings:
    """``settings`` with the pool size ``processes`` server processes of it run with on
    PostgreSQL (``pool_size_for``; ``pool_size_set``: the setting was given, not defaulted).
    SQLite's pools stay as they are: its connections are file handles, not server sessions."""
    if settings.postgres_conninfo is None:
        return settings
    chosen = settings.database_pool_size if pool_size_set else None
    size = pool_size_for(read_budget(settings.postgres_conninfo), processes, chosen)
    return msgspec.structs.replace(settings, database_pool_size=size)
