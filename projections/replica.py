"""A PostgreSQL streaming replica the queries read from (``MANUFACTORY_READ_DATABASE_URL``).

Commands, the event store, the projection runner and every background duty stay on the
primary; the replica replays the primary's committed transactions a moment later, in commit
order. A projection's position is written in the same transaction as the rows it accounts
for, so once the replica's tracking row of a projection shows position P, the replica holds
exactly the rows the primary had when it committed P: a query that must see P (the writes
acknowledged before it, its ``minPosition``) waits for the replica's position, not the
primary's, and then reads the replica.

NOTIFY does not reach a standby, so the replica's positions are polled: by each waiting query
with a short backoff (``interfaces/http/context.py``), and every poll interval by a follower
thread, so ``signal`` (the replica's positions, which the read caches, streams and the waits'
fast path watch) stays current while nobody waits. A rebuilt generation swapped in, or dead
letters applied by a retry, change rows at the same position: seen on the replica as a new
active generation or fewer dead letters, and told to ``signal`` as rows rewritten, so caches
drop what they read before.

The economics updater's rows carry no position of their own: a query that needs them current
(``minPosition``) has the updater bring them up to date on the primary, then waits until the
replica has replayed the primary's WAL as far as it was written then (``primary_wal``,
``replayed_wal``), polled the same way.
"""

from __future__ import annotations

import logging
import threading

import msgspec
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL

from application.position_signal import PositionSignal
from projections.database import create_read_engine, query_engine
from projections.tracking import positions, registry

log = logging.getLogger(__name__)

_LIVE_POSITIONS = select(positions.c.name, positions.c.generation, positions.c.position, positions.c.dead_letters).join(
    registry,
    (registry.c.name == positions.c.name) & (registry.c.active_generation == positions.c.generation),
)
_REPLAY = text(
    "SELECT pg_last_wal_replay_lsn()::text,"
    " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END,"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8"
)
_PRIMARY_WAL = text("SELECT pg_current_wal_lsn()::text")
_REPLAYED_WAL = text("SELECT pg_last_wal_replay_lsn()::text")


class ReplicaStatus(msgspec.Struct, frozen=True, kw_only=True):
    """How far the replica trails the primary."""

    lag_bytes: int | None  # WAL the primary has written and the replica not replayed (None: not a standby)
    lag_seconds: float  # since the replica last replayed a transaction; 0 once it has replayed everything
    replay_paused: bool  # ``pg_wal_replay_pause()``: it falls behind until resumed
    positions: dict[str, int]  # each projection's live position as the replica has it


class Replica:
    def __init__(self, url: URL, primary: Engine, pool_size: int, poll_interval: float) -> None:
        self.engine = create_read_engine(url, pool_size)
        self.query_engine = query_engine(self.engine)  # what the queries read through
        self.signal = PositionSignal()  # the replica's positions as last read
        self._primary = query_engine(primary)
        self._poll_interval = poll_interval
        self._seen: dict[str, tuple[int, int]] = {}  # projection -> (active generation, dead letters)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def positions(self) -> dict[str, int]:
        """Every projection's live position on the replica (one query), told to ``signal``."""
        with self.query_engine.connect() as connection:
            rows = connection.execute(_LIVE_POSITIONS).all()
        with self._lock:
            for row in rows:
                seen = self._seen.get(row.name)
                if seen is not None and (row.generation != seen[0] or row.dead_letters < seen[1]):
                    self.signal.rewritten(row.name)
                self._seen[row.name] = (row.generation, row.dead_letters)
        for row in rows:
            self.signal.advance(row.name, row.position)
        return {row.name: row.position for row in rows}

    def position(self, name: str) -> int:
        """Projection ``name``'s live position on the replica."""
        return self.positions().get(name, 0)

    def primary_wal(self) -> int:
        """How far the primary has written its WAL: past every transaction committed before this
        call (a commit waits for its WAL to be flushed, with the default ``synchronous_commit``)."""
        with self._primary.connect() as connection:
            return _lsn(connection.execute(_PRIMARY_WAL).scalar_one())

    def replayed_wal(self) -> int | None:
        """How far the replica has replayed the primary's WAL (None: not a standby, e.g. promoted,
        so there is nothing to wait for)."""
        with self.query_engine.connect() as connection:
            replayed = connection.execute(_REPLAYED_WAL).scalar_one()
        return None if replayed is None else _lsn(replayed)

    def status(self) -> ReplicaStatus:
        """The replica's lag: read there first, then the primary's WAL, so the lag is never
        understated."""
        with self.query_engine.connect() as connection:
            replayed, paused, since_replay = connection.execute(_REPLAY).one()
        found = self.positions()
        lag = None if replayed is None else max(self.primary_wal() - _lsn(replayed), 0)
        return ReplicaStatus(
            lag_bytes=lag,
            lag_seconds=0.0 if lag == 0 or since_replay is None else round(max(since_replay, 0.0), 3),
            replay_paused=bool(paused),
            positions=found,
        )

    def start(self) -> None:
        """Follow the replica's positions every poll interval, until ``stop``."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._follow, name="replica-positions", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                self.positions()
            except Exception:
                log.exception("could not read the replica's projection positions; retrying")
            self._stop.wait(self._poll_interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.engine.dispose()


def _lsn(text: str) -> int:
    """A WAL location (``16/B374D848``) as a byte offset."""
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)
