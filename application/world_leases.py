"""Which server process owns each crafting world: a lease per world, so a world lives in the
memory of one process at a time and only that process decides on it.

Servers sharing a PostgreSQL database (``serve --workers N``) keep their leases in one table,
``crafting_world_leases`` (world, owner, expiry, and a released world's next job end), written
only through the conditional statements here, timed by the database's clock alone:

- A process takes a world when the row is free: absent, released (no owner), its own, or
  expired. The taker restores the world from its snapshot and the events after it.
- A process that needs a world another one holds asks for it (``NOTIFY manufactory_worlds,
  'release <id>'``, repeated while it waits, since a notification may be lost). The owner
  finishes the command it is running on that world, snapshots it, drops it from memory,
  releases the row and says so (``'released <id>'``), which wakes the asker at once; the asker
  also tries again every ``POLL_SEC``. An owner that cannot hand over within the caller's
  timeout leaves the caller a refusal (409, try again), never a second copy.
- The owner renews all its rows with one statement every ``heartbeat_sec``; a row not renewed
  for ``lease_sec`` (1.5 s: the owner died, even by SIGKILL, or lost the database) is free.
  Every process looks for such rows, and for released worlds whose next job is due, every
  ``ADOPT_SEC`` and takes them over, so their jobs complete on time and their event streams
  see it: a dead owner's worlds move within 2 s (``lease_sec`` plus at most ``ADOPT_SEC``; a
  command for one waits only for the expiry). The owner itself trusts a lease only until
  ``lease_sec - heartbeat_sec`` after the start of its last successful renewal (its own
  monotonic clock): by the time anyone may take the row over, the old owner has stopped
  deciding.

The event store's optimistic concurrency stays underneath as the last guard: were two copies
ever to decide at once (a clock gone wild), the second save collides and is retried on the
rebuilt world, so no command is lost or applied twice.

On SQLite and in memory one process serves every world (``LocalLeases``): it always holds
them, and nothing is stored.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol
from uuid import UUID

import psycopg

from application.listening import StopSignal, rounds_between_notifications

log = logging.getLogger(__name__)

CHANNEL = "manufactory_worlds"  # payloads: "release <world id>", "released <world id>"
LEASE_SEC = 1.5  # a lease not renewed for this long is free (a dead owner's worlds move on)
HEARTBEAT_SEC = 0.4  # the owner renews its leases this often
POLL_SEC = 0.05  # a process waiting for a world tries again this often, woken sooner when told
ASK_AGAIN_SEC = 0.25  # and asks the owner again this often (a notification may be lost)
ADOPT_SEC = 0.25  # how often a process looks for worlds nobody serves that need it

_TAKE = """
INSERT INTO crafting_world_leases AS lease (world_id, owner, expires_at, due)
VALUES (%(world)s, %(owner)s, clock_timestamp() + make_interval(secs => %(lease)s), NULL)
ON CONFLICT (world_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, due = NULL
WHERE lease.owner IS NULL OR lease.owner = excluded.owner OR lease.expires_at < clock_timestamp()
RETURNING world_id
"""
_RENEW = """
UPDATE crafting_world_leases SET expires_at = clock_timestamp() + make_interval(secs => %(lease)s)
WHERE owner = %(owner)s RETURNING world_id
"""
# release and tell in one round trip (a data-modifying WITH runs whether or not it is read)
_RELEASE = """
WITH released AS (
    UPDATE crafting_world_leases SET owner = NULL, due = %(due)s WHERE world_id = %(world)s AND owner = %(owner)s
) SELECT pg_notify(%(channel)s, %(payload)s)
"""
_FREE = """
WITH freed AS (DELETE FROM crafting_world_leases WHERE world_id = %(world)s AND owner = %(owner)s)
SELECT pg_notify(%(channel)s, %(payload)s)
"""
_ORPHANS = """
SELECT world_id FROM crafting_world_leases
WHERE (owner IS NULL AND due <= %(now)s) OR (owner IS NOT NULL AND expires_at < clock_timestamp())
"""


class WorldLeases(Protocol):
    """The leases of one process (one ``CraftingService``)."""

    @property
    def shared(self) -> bool:
        """Whether other processes may serve worlds of the same database."""
        ...

    def bind(self, hand_over: Callable[[UUID], None]) -> None:
        """``hand_over(world_id)`` is called (in a thread of the leases) when another process
        asks for a world this one holds: it drops the world and calls ``release``."""

    def holds(self, world_id: UUID) -> bool:
        """Whether this process may decide on the world now."""
        ...

    def acquire(self, world_id: UUID, timeout: float) -> bool:
        """Take the world, asking its owner to hand it over for up to ``timeout`` seconds
        (0: one try, nobody asked); whether it is held now."""
        ...

    def release(self, world_id: UUID, due: float | None) -> None:
        """Give the world up; ``due``: when its next job ends (a process will take it over
        then), None: nothing runs in it."""

    def orphans(self, now: float) -> list[UUID]:
        """Worlds nobody serves that need serving: a dead owner's, and released ones with a
        job due by ``now`` (rate-limited: an empty list between looks)."""
        ...

    def close(self) -> None: ...


class LocalLeases:
    """One process serves every world: every lease is held, nothing is stored."""

    shared = False

    def bind(self, hand_over: Callable[[UUID], None]) -> None:
        pass

    def holds(self, world_id: UUID) -> bool:
        return True

    def acquire(self, world_id: UUID, timeout: float) -> bool:
        return True

    def release(self, world_id: UUID, due: float | None) -> None:
        pass

    def orphans(self, now: float) -> list[UUID]:
        return []

    def close(self) -> None:
        pass


class PostgresLeases:
    """The leases in ``crafting_world_leases``: statements on one connection (taken in turn),
    the heartbeat and the notifications on another, in a thread started with the first lease."""

    shared = True

    def __init__(
        self,
        conninfo: str,
        *,
        lease_sec: float = LEASE_SEC,
        heartbeat_sec: float = HEARTBEAT_SEC,
        owner: str | None = None,
    ) -> None:
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._conninfo = conninfo
        self._lease_sec = lease_sec
        self._heartbeat_sec = heartbeat_sec
        self._trusted_sec = lease_sec - heartbeat_sec  # after a renewal's start, see the module's docstring
        self._held: dict[UUID, float] = {}  # world -> trusted until (monotonic)
        self._lock = threading.Lock()  # the statements' connection and _held
        self._connection: psycopg.Connection[tuple[UUID]] | None = None
        self._released: dict[UUID, threading.Event] = {}  # the worlds this process waits for
        self._hand_over: Callable[[UUID], None] = lambda _: None
        self._handovers: queue.SimpleQueue[UUID | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._stop = StopSignal()
        self._adopted_at = 0.0

    def bind(self, hand_over: Callable[[UUID], None]) -> None:
        self._hand_over = hand_over

    def holds(self, world_id: UUID) -> bool:
        return self._held.get(world_id, 0.0) > time.monotonic()

    @property
    def held(self) -> list[UUID]:
        """The worlds this process holds, trusted or not (released when it closes)."""
        with self._lock:
            return list(self._held)

    def acquire(self, world_id: UUID, timeout: float) -> bool:
        self._start()
        deadline = time.monotonic() + timeout
        asked = 0.0
        released = self._released.setdefault(world_id, threading.Event())
        try:
            while True:
                released.clear()
                if self._take(world_id):
                    return True
                now = time.monotonic()
                if now >= deadline:
                    return False
                if now - asked >= ASK_AGAIN_SEC:
                    self._execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"release {world_id}"))
                    asked = now
                released.wait(min(POLL_SEC, deadline - now))
        finally:
            self._released.pop(world_id, None)

    def release(self, world_id: UUID, due: float | None) -> None:
        with self._lock:
            self._held.pop(world_id, None)
        params = {
            "world": world_id,
            "owner": self.owner,
            "due": due,
            "channel": CHANNEL,
            "payload": f"released {world_id}",
        }
        self._execute(_FREE if due is None else _RELEASE, params)

    def orphans(self, now: float) -> list[UUID]:
        if time.monotonic() - self._adopted_at < ADOPT_SEC:
            return []
        self._adopted_at = time.monotonic()
        with self._lock:
            rows = self._statements().execute(_ORPHANS, {"now": now}).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        """Stop the heartbeat and close the connections (release the worlds first: what is
        still held here expires within ``lease_sec``)."""
        self._stop.set()
        self._handovers.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- internals ----------------------------------------------------------------------------

    def _take(self, world_id: UUID) -> bool:
        started = time.monotonic()
        params = {"world": world_id, "owner": self.owner, "lease": self._lease_sec}
        with self._lock:
            taken = self._statements().execute(_TAKE, params).fetchone() is not None
            if taken:
                self._held[world_id] = started + self._trusted_sec
        return taken

    def _execute(self, statement: str, params: Sequence[object] | Mapping[str, object]) -> None:
        with self._lock:
            self._statements().execute(statement, params)

    def _statements(self) -> psycopg.Connection[tuple[UUID]]:
        """The statements' connection (under ``_lock``), opened again after a failure."""
        if self._connection is None or self._connection.closed or self._connection.broken:
            self._connection = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
        return self._connection

    def _start(self) -> None:
        with self._lock:
            if self._threads or self._stop.is_set():
                return
            self._threads = [
                threading.Thread(target=self._listen, name="world-leases", daemon=True),
                threading.Thread(target=self._run_handovers, name="world-handovers", daemon=True),
            ]
        for thread in self._threads:
            thread.start()

    def _listen(self) -> None:
        """Renew the leases every ``heartbeat_sec`` and pass the notifications on, until closed."""
        connection = rounds_between_notifications(
            self._stop, None, self._renew, self._told, self._heartbeat_sec, self._lost
        )
        if connection is not None:
            connection.close()

    def _lost(self, connection: psycopg.Connection[tuple[UUID]] | None, error: psycopg.Error) -> None:
        # our leases are trusted no longer than they were renewed: nothing else to undo
        log.warning("world leases: the database connection failed (%s)", error)
        if connection is not None:
            connection.close()

    def _renew(self, connection: psycopg.Connection[tuple[UUID]] | None) -> psycopg.Connection[tuple[UUID]]:
        """Renew the leases held, on ``connection`` or a new one (LISTENing); the connection."""
        if connection is None or connection.closed:
            connection = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            connection.execute(f"LISTEN {CHANNEL}")
        if not self._held:
            return connection
        started = time.monotonic()
        rows = connection.execute(_RENEW, {"owner": self.owner, "lease": self._lease_sec}).fetchall()
        renewed = {row[0] for row in rows}
        with self._lock:
            for world_id in list(self._held):
                if world_id in renewed:
                    self._held[world_id] = started + self._trusted_sec
                elif self._held[world_id] <= started:  # taken over after it expired: not ours
                    del self._held[world_id]
        return connection

    def _told(self, notification: psycopg.Notify) -> None:
        word, _, world = notification.payload.partition(" ")
        try:
            world_id = UUID(world)
        except ValueError:
            return
        if word == "release" and world_id in self._held:
            self._handovers.put(world_id)
        elif word == "released" and (waiting := self._released.get(world_id)) is not None:
            waiting.set()

    def _run_handovers(self) -> None:
        """Hand the asked-for worlds over, one at a time, off the heartbeat's thread (a
        handover waits for the command running on its world)."""
        while (world_id := self._handovers.get()) is not None:
            if world_id not in self._held:
                continue  # asked twice, handed over once
            try:
                self._hand_over(world_id)
            except Exception:  # the asker keeps asking; the lease expires if we cannot answer
                log.exception("world %s could not be handed over", world_id)
