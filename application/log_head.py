"""How far the event log reaches: the position a query waits for so it sees every write
acknowledged before it arrived.

A write is acknowledged once its transaction has committed. Two things tell how far that is:

- ``acknowledged``: the newest position this process has acknowledged (the event store's
  ``on_recorded`` listener raises it). Free, but blind to every other writer: a second server,
  or the CLI's commands that write to the database directly (imports, ticks), on PostgreSQL
  and on a shared SQLite file alike.
- ``current()``: the store's head (the notification log's ``max(id)``, one index probe), read
  by a read that begins after the call, so it covers every write committed before the query
  arrived, whoever made it. On PostgreSQL that is a round trip (on a connection of its own,
  driven by the event loop), and concurrent callers share reads: newcomers join the next read,
  which begins when the one in flight lands, so under load one round trip answers every query
  that arrived during the previous one, and a query waits at most two round trips. On SQLite
  other processes share the file too (a second server, the CLI), so the head is read there as
  well, but on a connection of its own (WAL: it never waits for a writer) right on the event
  loop, less than handing it to a thread; shared all the same: the read is made by a task that
  runs after the loop's current turn, so every query that arrived in that turn shares it (its
  read transaction's locks and stat calls had been 14% of a strong read's time on the loop;
  sharing lifted the query path from 0.50 to 0.65-0.69, BENCHMARKS.md "Tenth pass"). In memory
  the store is this process's alone, and its head is read straight from it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
from psycopg.sql import Composed


class _Flight:
    """The shared head reads of one event loop: the read being gathered and its driver."""

    __slots__ = ("driver", "loop", "next")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.next: asyncio.Future[int] | None = None  # callers waiting for a read not begun yet
        self.driver: asyncio.Task[None] | None = None


class LogHead:
    def __init__(self, read_head: Callable[[], Awaitable[int]], *, shared: bool = True) -> None:
        """``read_head`` reads the store's head; ``shared``: concurrent callers share its reads
        (a round trip, or a local read that runs after the loop's turn); else each caller reads
        (in memory: a look at the store costs less than sharing)."""
        self._read_head = read_head
        self._shared = shared
        self._acknowledged = 0
        self._last_read = 0  # the newest head any read here found
        self._lock = threading.Lock()
        self._flight: _Flight | None = None  # of the event loop that asked last (a server has one)

    @property
    def acknowledged(self) -> int:
        """The newest log position this process has acknowledged a write at."""
        return self._acknowledged

    def floor(self) -> int:
        """A position at or below the log's head, without a read: the newest this process has
        acknowledged (its own writes and, on PostgreSQL, those others told it of) or read. Heads
        only grow, so it is a bound for where any write from now on lands (0 when nothing is known)."""
        return max(self._acknowledged, self._last_read)

    def acknowledge(self, position: int) -> None:
        """The event store's ``on_recorded`` listener: a write up to ``position`` committed."""
        with self._lock:
            if position > self._acknowledged:
                self._acknowledged = position

    async def current(self) -> int:
        """The store's head, as read by a read begun after this call (shared with concurrent callers)."""
        if not self._shared:
            head = self._last_read = await self._read_head()
            return head
        loop = asyncio.get_running_loop()
        flight = self._flight
        if flight is None or flight.loop is not loop:
            flight = self._flight = _Flight(loop)
        if flight.next is None:
            flight.next = loop.create_future()
            if flight.driver is None:
                flight.driver = loop.create_task(self._fly(flight))
        # shielded: a caller that gives up (client gone) must not cancel the read for the others
        return await asyncio.shield(flight.next)

    async def _fly(self, flight: _Flight) -> None:
        """Read the head for whoever is waiting, again while newcomers arrived during a read."""
        try:
            while (waiting := flight.next) is not None:
                flight.next = None  # from here on newcomers wait for the next read
                try:
                    head = self._last_read = await self._read_head()
                except Exception as error:
                    waiting.set_exception(error)
                else:
                    waiting.set_result(head)
        finally:
            flight.driver = None


class SQLiteHead:
    """Reads an SQLite event store's head on a read-only connection of its own: in WAL mode a
    reader never waits for a writer (the library's pool makes its readers wait for its writer)."""

    def __init__(self, path: Path, statement: str) -> None:
        self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._statement = statement
        self._lock = threading.Lock()

    async def __call__(self) -> int:
        """Right on the event loop: a few microseconds, less than handing it to a thread."""
        with self._lock:
            return self._connection.execute(self._statement).fetchone()[0] or 0

    def close(self) -> None:
        self._connection.close()


class MemoryHead:
    """Reads an in-memory event store's head: no other process can write to it."""

    def __init__(self, read_head: Callable[[], int]) -> None:
        self._read_head = read_head

    async def __call__(self) -> int:
        return self._read_head()

    def close(self) -> None:
        """Nothing to close: the store holds no connection."""


class PostgresHead:
    """Reads a PostgreSQL event store's head on an autocommit connection of its own, driven by
    the event loop: one round trip and no thread hop (through the library's pool a read also
    begins and ends a transaction, in a worker thread). One connection per event loop (reads on
    a loop take turns in its flight); reconnected after a failure."""

    def __init__(self, conninfo: str, statement: Composed) -> None:
        self._conninfo = conninfo
        self._statement = statement
        self._connection: psycopg.AsyncConnection[tuple[int | None]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self) -> int:
        loop = asyncio.get_running_loop()
        if self._connection is None or self._connection.closed or self._loop is not loop:
            self._connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True, connect_timeout=5)
            self._loop = loop
        connection = self._connection
        try:
            row = await (await connection.execute(self._statement, prepare=True)).fetchone()
        except psycopg.Error:
            await connection.close()  # connect afresh next time
            raise
        return (row[0] if row else None) or 0

    def close(self) -> None:
        """Called once the server's event loop has ended: the connection is closed without it."""
        if self._connection is not None:
            self._connection.pgconn.finish()
            self._connection = None
