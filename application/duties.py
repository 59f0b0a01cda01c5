"""The background duties (projection runner, economics updater, auto-production, crafting
ticker, game sync, notification delivery) and which process runs each.

Several server processes may share one PostgreSQL database (``manufactory serve --workers N``,
or servers on several machines). Each serves commands and queries, but each duty must run in
exactly one of them: two projection runners would fight over the same rows, two
auto-production runners would plan the same deficit twice. So every process takes part in an
election per duty, held by PostgreSQL itself: a session-level advisory lock per duty, taken
with ``pg_try_advisory_lock`` on a connection the election keeps open. The process that gets
the lock runs the duty for as long as its session lives; the others try again every
``retry_sec``. When the holder dies (even by SIGKILL) the server ends its session and frees its
locks at once, and the next try elsewhere takes the duty over: within ``retry_sec`` plus a
round trip. Nothing is home-made: no lease rows, clocks or heartbeats to tune.

The lock lives as long as the session, so the session is watched: every round also runs a
query on it, and if that fails the locks are gone and every held duty is stopped at once,
then taken part in again after a reconnect (another process may hold them meanwhile).

On SQLite and in memory there is one server process (``--workers`` above 1 is refused): the
election is a formality and every duty runs here.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from typing import Protocol

import psycopg

log = logging.getLogger(__name__)

RETRY_SEC = 0.5


class Duty(Protocol):
    """A background service: started when this process is elected to run it, stopped when it
    is no longer (or the server stops)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def lock_key(name: str) -> int:
    """The advisory lock of duty ``name``: a stable 64-bit key, the same in every process and
    release, and unlikely to meet another application's keys in the same database."""
    digest = hashlib.blake2b(f"manufactory duty {name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class DutyElection:
    """Runs this process's share of ``duties`` (by name): all of them without ``conninfo``,
    else those whose advisory lock this process holds on its election connection."""

    def __init__(self, duties: Mapping[str, Duty], conninfo: str | None, *, retry_sec: float = RETRY_SEC) -> None:
        self._duties = dict(duties)
        self._conninfo = conninfo
        self._retry_sec = retry_sec
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> list[str]:
        """The duties this process runs now, by name."""
        with self._lock:
            return sorted(self._held)

    def start(self) -> None:
        if self._conninfo is None:
            for name in self._duties:
                self._take(name)
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._campaign, name="duty-election", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop every duty held; the locks go with the election's connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._release_all()

    def _campaign(self) -> None:
        """Try for the duties not held, every ``retry_sec``, until stopped."""
        assert self._conninfo is not None
        connection: psycopg.Connection[tuple[bool]] | None = None
        while not self._stop.is_set():
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
                self._round(connection)
            except psycopg.Error as error:
                log.warning("duty election: the database connection failed (%s); duties stopped", error)
                self._release_all()  # the session and its locks are gone, or soon will be
                if connection is not None:
                    connection.close()
                connection = None
            self._stop.wait(self._retry_sec)
        if connection is not None:
            self._release_all()  # before the locks go: never two holders at once
            connection.close()

    def _round(self, connection: psycopg.Connection[tuple[bool]]) -> None:
        wanted = [name for name in self._duties if name not in self._held]
        if not wanted:
            connection.execute("SELECT true")  # the session, and so the locks, still alive
            return
        for name in wanted:
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
            if row is not None and row[0]:
                self._take(name)

    def _take(self, name: str) -> None:
        log.info("duty %s: runs in this process", name)
        self._duties[name].start()
        with self._lock:
            self._held.add(name)

    def _release_all(self) -> None:
        for name in self.held:
            with self._lock:
                self._held.discard(name)
            try:
                self._duties[name].stop()
            except Exception:  # the others must stop all the same
                log.exception("duty %s did not stop cleanly", name)
