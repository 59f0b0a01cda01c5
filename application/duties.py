"""The background duties (projection runner, economics updater, auto-production, game sync,
notification delivery) and which process runs each. (The crafting ticker is no duty: every
process ticks the crafting worlds it holds, ``application.world_leases``.)

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

The same connection carries the wake-ups between processes (PostgreSQL's LISTEN/NOTIFY):

- ``manufactory_log``: a process whose writes a duty elsewhere must see tells so after they
  commit (``log_moved``, coalesced by a thread with a connection of its own), and every
  process wakes its duties as its own writes would (``on_log_moved``). Without it the
  projection runner in another process would find the write at its next poll
  (``MANUFACTORY_PROJECTION_POLL_SEC``, 0.2 s), and every read waiting for it with it. The
  payload is the position, then the duties beyond the projection runner that the writes
  concern (``"812 economics,notifications"``): a process wakes those only when its own writes
  of the same events would, not on every config update made elsewhere. A process whose query
  waits for the projections names them (``"812 projections"``): the runner applies what is
  there at once instead of gathering more of a burst (``ProjectionRuntime.hurry``).
- ``manufactory_projections``: the projection runner's commits carry their new position
  (``projections.runtime``); every process hands it to its waiting queries and streams
  (``on_projection_moved``) at once, where they would otherwise read the positions again
  only every 0.1 s.

Measured with two workers (bench/workers.py): a strong read of a write just made through the
other process waited 60 to 200 ms with polling alone; see BENCHMARKS.md for the figure now.

On SQLite there is one server process (``--workers`` above 1 is refused), but a standalone
runner (``manufactory projections run``) may share the file with it: there each duty's lock is
an exclusive ``flock`` on a file beside the database (``<database>-duty-<name>.lock``), held
while the process keeps the file open and let go by the kernel when it ends, even by SIGKILL;
nothing needs telling (the runner polls the file's log). In memory the election is a
formality: every duty runs here.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import psycopg

from application.listening import StopSignal, rounds_between_notifications

log = logging.getLogger(__name__)

RETRY_SEC = 0.5
LOG_CHANNEL = "manufactory_log"
PROJECTIONS_CHANNEL = "manufactory_projections"  # payload: "<projection> <position>"
HURRY_PROJECTIONS = "projections"  # named in a log payload: a query there waits for the runner


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
    """Runs this process's share of ``duties`` (by name): those whose advisory lock it holds
    on its election connection (``conninfo``), or whose lock file beside the SQLite database
    ``database`` it holds, or all of them with neither."""

    def __init__(
        self,
        duties: Mapping[str, Duty],
        conninfo: str | None,
        *,
        on_log_moved: Callable[[int, frozenset[str]], None],
        on_projection_moved: Callable[[str, int], None],
        retry_sec: float = RETRY_SEC,
        others_elsewhere: bool = False,
        database: Path | None = None,
    ) -> None:
        self._duties = dict(duties)
        # Some duties are left out of this election to processes of their own (a server's
        # ``--no-projections``, a standalone runner): they must hear of every write made here.
        self._others_elsewhere = others_elsewhere
        self._conninfo = conninfo
        self._on_log_moved = on_log_moved
        self._on_projection_moved = on_projection_moved
        self._retry_sec = retry_sec
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = StopSignal()
        self._thread: threading.Thread | None = None
        self._notifier = _LogNotifier(conninfo) if conninfo is not None else None
        self._files = _LockFiles(database) if conninfo is None and database is not None else None

    def log_moved(self, position: int, wakes: frozenset[str] = frozenset()) -> None:
        """The event store's ``on_recorded`` listener: tell the processes running the duties
        this one does not (never waits), and which duties ``wakes`` the writes concern."""
        if self._notifier is not None and (self._others_elsewhere or len(self._held) < len(self._duties)):
            self._notifier.tell(position, wakes)

    @property
    def held(self) -> list[str]:
        """The duties this process runs now, by name."""
        with self._lock:
            return sorted(self._held)

    def start(self) -> None:
        if self._files is not None:
            self._stop.clear()
            self._file_round()  # before the server serves: a lone server starts with its duties
            self._thread = threading.Thread(target=self._file_campaign, name="duty-election", daemon=True)
            self._thread.start()
            return
        if self._conninfo is None:
            for name in self._duties:
                self._take(name)
            return
        self._stop.clear()
        connection: psycopg.Connection[tuple[bool]] | None = None
        try:  # the first round before the server serves: a lone server starts with its duties
            connection = self._campaign_round(None)
        except psycopg.Error as error:
            self._lost(connection, error)
        self._thread = threading.Thread(target=self._campaign, args=(connection,), name="duty-election", daemon=True)
        self._thread.start()
        if self._notifier is not None:
            self._notifier.start()

    def stop(self) -> None:
        """Stop every duty held; the locks go with the election's connection."""
        self._stop.set()
        if self._notifier is not None:
            self._notifier.stop()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._release_all()

    def _campaign(self, connection: psycopg.Connection[tuple[bool]] | None) -> None:
        """Try for the duties not held every ``retry_sec`` until stopped, passing on the
        wake-ups that arrive meanwhile (``start`` has held the first round)."""
        connection = rounds_between_notifications(
            self._stop,
            connection,
            self._campaign_round,
            self._pass_on,
            self._retry_sec,
            self._lost,
        )
        if connection is not None:
            self._release_all()  # before the locks go: never two holders at once
            connection.close()

    def _file_campaign(self) -> None:
        """Try for the duties not held every ``retry_sec`` until stopped (SQLite)."""
        assert self._files is not None
        while not self._stop.wait(self._retry_sec):
            self._file_round()
        self._release_all()  # before the locks go: never two holders at once
        self._files.let_go()

    def _file_round(self) -> None:
        assert self._files is not None
        for name in self._duties:
            if name not in self._held and self._files.take(name):
                self._take(name)

    def _campaign_round(self, connection: psycopg.Connection[tuple[bool]] | None) -> psycopg.Connection[tuple[bool]]:
        """One round of the election, on ``connection`` or a new one; the connection."""
        assert self._conninfo is not None
        if connection is None or connection.closed:
            connection = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            connection.execute(f"LISTEN {LOG_CHANNEL}")
            connection.execute(f"LISTEN {PROJECTIONS_CHANNEL}")
        self._round(connection)
        return connection

    def _lost(self, connection: psycopg.Connection[tuple[bool]] | None, error: psycopg.Error) -> None:
        log.warning("duty election: the database connection failed (%s); duties stopped", error)
        self._release_all()  # the session and its locks are gone, or soon will be
        if connection is not None:
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

    def _pass_on(self, notification: psycopg.Notify) -> None:
        channel, payload = notification.channel, notification.payload
        try:
            if channel == LOG_CHANNEL:
                position, _, wakes = payload.partition(" ")
                self._on_log_moved(int(position), frozenset(wakes.split(",")) if wakes else frozenset())
            else:
                name, _, position = payload.partition(" ")
                self._on_projection_moved(name, int(position))
        except Exception:  # a wake-up is a hint: the pollers find the same a little later
            log.exception("duty election: could not pass on %s %r", channel, payload)

    def _take(self, name: str) -> None:
        log.info("duty %s: runs in this process", name)
        with self._lock:
            self._held.add(name)
        self._duties[name].start()

    def _release_all(self) -> None:
        for name in self.held:
            with self._lock:
                self._held.discard(name)
            try:
                self._duties[name].stop()
            except Exception:  # the others must stop all the same
                log.exception("duty %s did not stop cleanly", name)


class _LockFiles:
    """The duties' locks beside an SQLite database: an exclusive ``flock`` on one file per duty.
    A ``flock`` belongs to the open file, so two elections even in one process exclude each
    other, and the kernel lets go of it when the file is closed or the process ends."""

    def __init__(self, database: Path) -> None:
        self._database = database
        self._open: dict[str, int] = {}

    def take(self, name: str) -> bool:
        path = self._database.with_name(f"{self._database.stem}-duty-{name}.lock")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another process holds it
            os.close(descriptor)
            return False
        self._open[name] = descriptor
        return True

    def let_go(self) -> None:
        for descriptor in self._open.values():
            os.close(descriptor)
        self._open.clear()


class _LogNotifier:
    """Sends ``NOTIFY manufactory_log`` after this process's writes, from a thread and a
    connection of its own, off the commands' path: a burst of writes is told once, with the
    newest position, while the previous notification is on its way."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._newest = 0
        self._wakes: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tell(self, position: int, wakes: frozenset[str]) -> None:
        with self._lock:
            self._newest = max(self._newest, position)
            self._wakes |= wakes
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="log-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        connection: psycopg.Connection[tuple[str]] | None = None
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                position, wakes, self._wakes = self._newest, self._wakes, set()
            if self._stop.is_set() or position == 0:
                continue
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
                payload = f"{position} {','.join(sorted(wakes))}" if wakes else str(position)
                connection.execute("SELECT pg_notify(%s, %s)", (LOG_CHANNEL, payload))
            except psycopg.Error as error:  # a hint lost: the other processes' pollers find it
                log.warning("could not tell the other processes of a write: %s", error)
                if connection is not None:
                    connection.close()
                connection = None
                self._stop.wait(RETRY_SEC)
        if connection is not None:
            connection.close()
