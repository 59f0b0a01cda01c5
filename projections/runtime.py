"""The one projection runtime of Manufactory.

For each projection it reads the notification log in batches from the projection's tracked
position, applies the events to the read-model tables, and stores the new position in the
same transaction: exactly once, also after a crash between batches or with several runners
(they serialise on the projection's registry row). It runs as a thread in the server or
standalone, wakes at once on in-process writes and polls briefly for other processes'.

An event that cannot be applied does not stop the projection: the batch is rolled back and
applied one event at a time, and an event that still fails is set aside as a dead letter with
the rest of its aggregate's events (see ``projections.dead_letters``); ``retry`` applies them
once the cause is fixed. A rebuild holds a lease renewed by a heartbeat: a second rebuild is
refused while it lives, and a dead rebuilder's half-built generation is dropped on start.

A projection is the only definition of its read model: its tables and a ``version`` it bumps
when what it writes changes without the tables changing. The runtime stores a fingerprint of
that definition with the projection's registry row. At start-up (``set_up``) a projection with
no registry row gets generation 1 made from its definition; one whose stored fingerprint
differs (its definition changed, or the database was made by the migrations that used to
create these tables) is rebuilt blue/green into a new generation before the process serves,
which records the new fingerprint. We rebuild rather than refuse to serve: a changed read
model is always rebuildable from the log, and an operator need not remember a command. A
second process starting meanwhile finds the rebuild's lease, waits for it and does not
rebuild again.

Each projection names the events it handles with ``@handles(EventClass, ...)`` on its
methods; its ``topics`` (what the runtime reads from the log) are derived from them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from abc import ABC
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import ApplicationRecorder
from sqlalchemy import Connection, Engine, MetaData, Table, bindparam, delete, func, insert, select, update

from application.duties import PROJECTIONS_CHANNEL
from application.log_rows import LogRow, log_reader
from application.position_signal import PositionSignal
from domain.events import Event, stored_topic
from projections import dead_letters
from projections.collector import collect_young, collection_paused
from projections.database import query_engine, write_transaction
from projections.dead_letters import DeadLetter, IncompleteReads, LoggedEvent, RetryOutcome, parked_reason
from projections.read_ahead import LogRead, ReadAhead
from projections.readmodel import BatchWriter, ReadModelTable
from projections.tracking import positions, rebuild_leases, registry

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
SWAP_ATTEMPTS = 20
# A rebuild collects the young generations (``projections.collector``) after every fourth batch,
# not every one: each collection walks the batch read ahead meanwhile (15 ms of CPU per 5,000
# events, measured with ``gc.callbacks``) and finds next to nothing (the benchmark's batches
# leave no cycles), while what it does find waits four batches at most.
YOUNG_COLLECTION_BATCHES = 4


Handler = TypeVar("Handler", bound=Callable[..., None])


def handles(*events: type[Event]) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of ``events``: it is called with the batch's
    ``BatchWriter`` and the event."""

    def mark(method: Handler) -> Handler:
        method.__handles__ = events  # type: ignore[attr-defined]  # a function takes attributes; Callable declares none
        return method

    return mark


class Projection(ABC):
    """Builds read-model tables from events, one ``@handles`` method per event type. ``apply``
    gets a whole batch so it can write in bulk (``BatchWriter`` inserts rows at the batch's end)."""

    name: ClassVar[str]
    version: ClassVar[int] = 1  # bump when the rows written change but the tables do not
    tables: ClassVar[tuple[ReadModelTable, ...]]
    handlers: ClassVar[dict[type[Event], str]]  # event class -> method name, from ``@handles``
    topics: ClassVar[tuple[type[Event], ...]]  # the events handled, in the order declared

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type[Event], str] = {}
        for klass in reversed(cls.__mro__):
            for attribute, method in vars(klass).items():
                for event in getattr(method, "__handles__", ()):
                    handlers[event] = attribute
        cls.handlers = handlers
        cls.topics = tuple(handlers)

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        """Apply events in log order. Must be deterministic: a rebuild must give the same rows."""
        writer = BatchWriter(connection, tables)
        for event in events:
            self.dispatch(event, writer)
        writer.flush()

    def dispatch(self, event: Event, *arguments: Any) -> Any:
        """Call the event's handler with ``arguments`` and the event."""
        return self.bound_handlers[type(event)](*arguments, event)

    @cached_property
    def bound_handlers(self) -> dict[type[Event], Callable[..., Any]]:
        """Each event class's handler, bound once rather than looked up by name for every event
        (a fold's loop may call them directly)."""
        return {event: getattr(self, name) for event, name in self.handlers.items()}

    def fingerprint(self) -> str:
        """A digest of the definition (version and tables), the same in every process."""
        definition = "\n".join([f"projection {self.name} version {self.version}", *(t.definition for t in self.tables)])
        return hashlib.sha256(definition.encode()).hexdigest()


class ProjectionStatus(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    generation: int
    position: int
    head: int
    lag: int
    rebuilding_generation: int | None = None
    rebuilding_position: int | None = None
    last_error: str | None = None
    dead_letters: int = 0  # events of the live generation set aside (see ``retry``)


class ProjectionError(Exception):
    """A projection cannot be run as asked (unknown name, rebuild already running, ...)."""


class RebuildRunning(ProjectionError):
    """Another rebuild of the projection holds the lease."""


class RebuildLease(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    generation: int
    owner: str  # a token of the rebuilding process
    started_at: datetime
    heartbeat_at: datetime


class Batch(msgspec.Struct, frozen=True, kw_only=True):
    """The next events of a generation, read and decoded before the write lock is taken."""

    projection: Projection
    generation: int
    live: bool
    position: int  # where the generation was when the batch was read
    new_position: int  # where it is once the batch is committed
    entries: list[LoggedEvent]
    # Live generations of other projections at the same position with nothing to apply up to
    # ``new_position``: moved there in the batch's transaction (one transaction per round).
    idle: tuple[tuple[str, int], ...] = ()


# Every projection's live generation and its position (a row per projection).
_LIVE_POSITIONS = select(positions.c.name, positions.c.generation, positions.c.position).join(
    registry, (registry.c.name == positions.c.name) & (registry.c.active_generation == positions.c.generation)
)
# One position moved on, if it is still where it was read (executed for many at once).
_MOVE_POSITION = (
    update(positions)
    .where(
        positions.c.name == bindparam("n"),
        positions.c.generation == bindparam("g"),
        positions.c.position == bindparam("p"),
    )
    .values(position=bindparam("to"), updated_at=bindparam("at"), last_error=None)
)


class ProjectionRuntime:
    def __init__(
        self,
        engine: Engine,
        recorder: ApplicationRecorder,
        projections: Sequence[Projection],
        signal: PositionSignal | None = None,
        batch_size: int = 500,
        poll_interval: float = 0.2,
        coalesce_interval: float = 0.1,
        rebuild_batch_size: int = 5000,
        attempts: int = 3,
        rebuild_heartbeat: float = 5.0,
        rebuild_lease_timeout: float = 15.0,
    ) -> None:
        self.engine = engine
        self._reader = query_engine(engine)
        self.recorder = recorder
        self.log_rows = log_reader(recorder)
        self.projections = {projection.name: projection for projection in projections}
        self.signal = signal or PositionSignal()
        self.batch_size = batch_size
        self.rebuild_batch_size = rebuild_batch_size  # a rebuild starts far behind: fewer, bigger batches
        self.poll_interval = poll_interval
        self.coalesce_interval = coalesce_interval
        self.attempts = attempts  # tries of one event, alone, before it is set aside
        self.rebuild_heartbeat = rebuild_heartbeat
        self.rebuild_lease_timeout = timedelta(seconds=rebuild_lease_timeout)
        self.incomplete = IncompleteReads()
        self._incomplete_read_at = 0.0
        self._incomplete_lock = threading.Lock()
        self._topics = {p.name: [stored_topic(t) for t in p.topics] for p in projections}
        self._topic_sets = {name: frozenset(topics) for name, topics in self._topics.items()}
        self._table_cache: dict[tuple[str, int], dict[str, Table]] = {}
        # Reading ahead pays where the read waits outside the GIL, for PostgreSQL's answers. On
        # SQLite the reader's decoding and the writer's rows take turns on the one GIL anyway,
        # and their hand-offs made a rebuild 15% slower (BENCHMARKS.md, "Third pass").
        self._read_ahead = engine.dialect.name != "sqlite"
        self._wake = threading.Event()
        self._hurry = threading.Event()  # a reader waits: no gathering of a burst (``hurry``)
        # Where another process applies the projections, a reader here asks it to hurry
        # (``Manufactory.duty_election`` sets this: a NOTIFY to that process).
        self.hurry_elsewhere: Callable[[int], None] = lambda _position: None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._applying = False  # this process's runner applies the projections (``start``)

    # ----------------------------------------------------------------- running

    def wake(self, _position: int | None = None, *, hurry: bool = False) -> None:
        """New events are in the log; ``hurry``: a query waits for them, so apply what is there
        now rather than gather more of a burst first."""
        if hurry:
            self._hurry.set()
        self._wake.set()

    def hurry(self, position: int) -> None:
        """A query here waits for ``position``: the runner applies what is there at once, this
        process's or, where another process runs the projections, that one (asked through
        ``hurry_elsewhere``). Without the ask a read-your-writes read on a worker that does not
        run them waited for the runner's gathering (up to ``coalesce_interval``)."""
        self.wake(hurry=True)
        if not self._applying:
            self.hurry_elsewhere(position)

    def start(self, *, apply: bool = True) -> None:
        """Run all projections in a background thread until ``stop``. With ``apply=False``
        (another process runs them) only follow their positions, for waiters and caches."""
        self._stop.clear()
        self._applying = apply
        self.refresh_incomplete()
        target = self.run_until_stopped if apply else self._follow_positions
        self._thread = threading.Thread(target=target, name="projections", daemon=True)
        self._thread.start()

    def moved_elsewhere(self, name: str, position: int) -> None:
        """A runner's commit, told to every process (``manufactory_projections``): passed on to
        the waiters, unless this process's own runner applies the projections. That runner
        advances them itself once it knows which reads its commit left incomplete; the
        notification of its own commit would wake a reader before that."""
        if not self._applying:
            self.signal.advance(name, position)

    def stop(self) -> None:
        self._stop.set()
        self._hurry.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._applying = False

    def run_until_stopped(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self._hurry.clear()
            try:
                progressed = self.catch_up()
                self._refresh_incomplete_when_due()
            except Exception:  # keep serving; the error is logged and shown in status
                log.exception("projection runner failed; retrying in 1 s")
                self._stop.wait(1.0)
                continue
            # A write wakes us at once; then a few ms more gather the rest of a burst into the
            # same batch (one transaction instead of one per event), also while commands keep
            # coming (going round again at once applied a handful of events per round, for the
            # price of a whole round each: its statements cost more than its events). Measured:
            # 20 ms lifted SQLite command throughput by 10-15%, 50 ms by more, 100 ms by 5% more
            # again (a round costs about 3.5 ms of the GIL, an event 13 µs: BENCHMARKS.md, "Eighth
            # pass"). Only eventual reads see that lag: a read waiting for its writes hurries us.
            if progressed or self._wake.wait(self.poll_interval):
                self._hurry.wait(self.coalesce_interval)

    def _follow_positions(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh_incomplete()  # before the positions: a reader they release sees its dead letters
                live = self._live_positions(list(self.projections))  # one read for them all
                for name in self.projections:
                    self.signal.advance(name, live[name][1])
            except Exception:
                log.exception("could not read projection positions; retrying")
            self._stop.wait(self.poll_interval)

    def catch_up(self, name: str | Sequence[str] | None = None) -> bool:
        """Apply every available event to the live generations (of all projections, one, or
        those named); True if anything moved.

        One round reads the log's head and every position once. Projections at the same
        position near the head share one read of the log (each takes its topics from it, every
        event decoded once); those it gives nothing to apply move to the head together in one
        transaction. Only a projection with events to apply takes a transaction of its own, so
        a burst of commands costs the runner a few statements, not a few per projection (it
        shares the server's GIL with the commands), also when more than a batch arrived since
        the last round. A projection alone far behind (new, or left behind by an error) reads
        its own topics in batches."""
        selected = self.selected(name)
        progressed = False
        target: int | None = None  # the head when this began: done once every projection is there
        while True:
            head = self.head()
            target = head if target is None else target
            live = self._live_positions([projection.name for projection in selected])
            behind: dict[int, list[tuple[Projection, int]]] = {}
            for projection in selected:
                generation, position = live[projection.name]
                if position >= target:  # another runner may have got here: keep our waiters and caches in step
                    self.signal.advance(projection.name, position)
                else:
                    behind.setdefault(position, []).append((projection, generation))
            together = False
            for position, group in behind.items():
                if len(group) == 1 and head - position > self.batch_size:
                    ((projection, _),) = group
                    with self._recording_errors(projection):
                        progressed = self._drain(projection) or progressed  # to the head: done
                else:
                    self._catch_up_together(position, head, group)
                    together = True
            if not together:
                return progressed
            progressed = True

    @contextmanager
    def _recording_errors(self, projection: Projection) -> Iterator[None]:
        """An error applying a projection is shown in its status, then raised."""
        try:
            yield
        except Exception as error:
            self._record_error(projection.name, dead_letters.describe(error))  # no SQL, no parameters
            raise

    def _live_positions(self, names: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(live generation, its position) of each projection named, in one read."""
        with self._reader.connect() as connection:
            found = {row.name: (row.generation, row.position) for row in connection.execute(_LIVE_POSITIONS)}
        for name in names:
            if name not in found:
                raise ProjectionError(f"projection {name!r} has no tables; run `manufactory migrate`")
        return found

    def _catch_up_together(self, position: int, head: int, group: list[tuple[Projection, int]]) -> None:
        """Bring projections whose live generations are all at ``position`` to the next batch
        of the log (to the head if it is within one batch) with one read of it; those with
        nothing to apply move in the transaction of the last one that has something."""
        rows = self.log_rows.select_log(position + 1, self.batch_size, head)
        new_position = rows[-1][0] if len(rows) == self.batch_size else head
        decoded: dict[int, LoggedEvent] = {}
        idle: list[tuple[str, int]] = []
        batches: list[Batch] = []
        for projection, generation in group:
            topics = self._topic_sets[projection.name]
            entries = [
                decoded.get(row[0]) or decoded.setdefault(row[0], LoggedEvent.read(row))
                for row in rows
                if row[3] in topics  # the topic
            ]
            if not entries:
                idle.append((projection.name, generation))
                continue
            batch = Batch(
                projection=projection,
                generation=generation,
                live=True,
                position=position,
                new_position=new_position,
                entries=entries,
            )
            batches.append(batch)
        if not batches:
            with write_transaction(self.engine) as connection:
                moved = self._move_idle(connection, idle, position, new_position)
            self._advance_signal(moved, new_position)
            return
        batches[-1] = msgspec.structs.replace(batches[-1], idle=tuple(idle))
        for batch in batches:
            with self._recording_errors(batch.projection):
                self._commit_batch(batch)

    def _move_idle(
        self, connection: Connection, idle: Sequence[tuple[str, int]], position: int, new_position: int
    ) -> list[str]:
        """Move live generations with nothing to apply from ``position`` to ``new_position``,
        each only if it is still live and still there (else another runner or a swap got there
        first, and the next round reads it again); returns the names of those moved."""
        if not idle:
            return []
        # Every live position (a handful of rows: no IN list to expand per statement), the idle
        # ones' rows locked with their registry rows (no swap meanwhile); rows another runner
        # holds are skipped, not waited for (it may be waiting for ours: no deadlock), and are
        # read again next round.
        rows = connection.execute(_LIVE_POSITIONS.with_for_update(skip_locked=True)).all()
        wanted = set(idle)
        moving = [
            (row.name, row.generation)
            for row in rows
            if (row.name, row.generation) in wanted and row.position == position
        ]
        if not moving:
            return []
        now = _now()
        connection.execute(
            _MOVE_POSITION,
            [{"n": name, "g": generation, "p": position, "to": new_position, "at": now} for name, generation in moving],
        )
        if connection.dialect.name == "postgresql":  # told on commit, to every process
            notices = [func.pg_notify(PROJECTIONS_CHANNEL, f"{name} {new_position}") for name, _ in moving]
            connection.execute(select(*notices))
        return [name for name, _ in moving]

    def _advance_signal(self, names: Sequence[str], position: int) -> None:
        for name in names:
            self.signal.advance(name, position)

    def _drain(
        self, projection: Projection, generation: int | None = None, progress: ProgressCallback | None = None
    ) -> bool:
        """Apply batches to a generation (the live one if None) until it reaches the head;
        True if any batch was applied. A rebuild (a generation given) runs with the garbage
        collector's walks over the whole heap paused (``projections.collector``), and on
        PostgreSQL reads each next batch while it writes one (``projections.read_ahead``)."""
        if generation is None:
            return self._apply_batches(projection, None, progress, None)
        read = partial(self._read, projection, self.rebuild_batch_size)
        with collection_paused(), ReadAhead(read) if self._read_ahead else nullcontext() as ahead:
            return self._apply_batches(projection, generation, progress, ahead)

    def _apply_batches(
        self,
        projection: Projection,
        generation: int | None,
        progress: ProgressCallback | None,
        ahead: ReadAhead | None,
    ) -> bool:
        progressed = False
        batches = 0
        while (step := self._process_batch(projection, generation, ahead)) is not None:
            progressed = True
            batches += 1
            if generation is not None and batches % YOUNG_COLLECTION_BATCHES == 0:  # a rebuild: collector paused
                collect_young()  # what the batches left in cycles: their own objects, not the heap
            if progress:
                progress(*step)
            if step[0] >= step[1]:
                break
        return progressed

    def _process_batch(
        self, projection: Projection, generation: int | None = None, ahead: ReadAhead | None = None
    ) -> tuple[int, int] | None:
        """Apply the next batch to a generation (the live one if None) in one transaction.
        Returns (new position, head), or None when already at the head.

        Notifications are read and decoded before the write transaction starts, so the
        read-model lock is held only while rows are written; the position is then checked
        under the lock, and a batch another runner applied meanwhile is dropped and re-read."""
        head = self.head()
        live = generation is None
        limit = self.batch_size if live else self.rebuild_batch_size
        expected_generation = self._active_generation(projection.name) if generation is None else generation
        position = self._position(projection.name, expected_generation)
        if position >= head:
            if live:  # another runner may have got here: keep our waiters and caches in step
                self.signal.advance(projection.name, position)
            return None
        if ahead is None:
            read = self._read(projection, limit, position + 1, head)
        else:
            read = ahead.read(position + 1, head)
            if read.new_position < head:
                ahead.read_next(read.new_position + 1, head)  # while this batch is written
        batch = Batch(
            projection=projection,
            generation=expected_generation,
            live=live,
            position=position,
            new_position=read.new_position,
            entries=read.entries,
        )
        return self._commit_batch(batch), head

    def _commit_batch(self, batch: Batch) -> int:
        """Commit a batch read beforehand (see ``_process_batch``); returns the position reached.
        A batch that fails because of one of its events is rolled back and committed again with
        its events applied one at a time, setting aside those that fail."""
        projection = batch.projection
        try:
            reached, set_aside, moved = self._commit(batch, one_by_one=False)
        except Exception as error:
            if not dead_letters.blames_the_event(error):
                raise
            log.warning(
                "%s: a batch failed (%s); applying its events one at a time",
                projection.name,
                dead_letters.describe(error),
            )
            reached, set_aside, moved = self._commit(batch, one_by_one=True)
        if batch.live:
            if set_aside:
                self.refresh_incomplete()
            self.signal.advance(projection.name, reached)
            self._advance_signal(moved, batch.new_position)
        return reached

    def _read(self, projection: Projection, limit: int, start: int, stop: int) -> LogRead:
        """Up to ``limit`` of the projection's events from ``start`` to ``stop``, decoded; the
        batch ends at ``stop`` unless the limit cut it short."""
        rows = self.log_rows.select_log(start, limit, stop, self._topics[projection.name])
        return LogRead(
            start=start,
            new_position=rows[-1][0] if len(rows) == limit else stop,
            entries=[LoggedEvent.read(row) for row in rows],
        )

    def _commit(self, batch: Batch, *, one_by_one: bool) -> tuple[int, int, list[str]]:
        """Apply a batch and move the position past it in one transaction, with the batch's
        idle projections; returns the position reached, how many events were set aside and
        the idle projections moved."""
        name = batch.projection.name
        with write_transaction(self.engine) as connection:
            locked_generation = self._lock_active_generation(connection, name) if batch.live else batch.generation
            locked_position, count = self._lock_position(connection, name, batch.generation)
            if locked_generation != batch.generation or locked_position != batch.position:
                return locked_position, 0, []  # another runner or a swap got here first: read again
            letters = self._apply(connection, batch, one_by_one, has_dead_letters=count > 0)
            if letters:
                dead_letters.record(connection, letters)
                for letter in letters:
                    log.error("%s: set aside the event at position %d: %s", name, letter.position, letter.error)
            self._set_position(connection, name, batch.generation, batch.new_position)
            if batch.live and connection.dialect.name == "postgresql":  # told on commit, to every process
                payload = f"{name} {batch.new_position}"
                connection.execute(select(func.pg_notify(PROJECTIONS_CHANNEL, payload)))
            moved = self._move_idle(connection, batch.idle, batch.position, batch.new_position)
        return batch.new_position, len(letters), moved

    def _apply(
        self, connection: Connection, batch: Batch, one_by_one: bool, has_dead_letters: bool
    ) -> list[DeadLetter]:
        """Apply the batch's events in log order, skipping those of aggregates with an earlier
        dead letter and those that cannot be decoded; ``one_by_one`` applies each event alone
        (in a savepoint) and sets aside those that still fail. Returns the new dead letters."""
        name, generation = batch.projection.name, batch.generation
        tables = self._tables(batch.projection, generation)
        parked = dead_letters.parked_aggregates(connection, name, generation) if has_dead_letters else {}
        letters: list[DeadLetter] = []
        ready: list[Event] = []
        for entry in batch.entries:
            behind = parked.get(entry.originator_id) if parked else None
            if behind is not None and behind < entry.position:
                letters.append(entry.letter(name, generation, parked_reason(behind), attempts=0))
            elif entry.event is None:  # cannot be decoded
                letters.append(entry.letter(name, generation, entry.error or "", attempts=1))
                parked[entry.originator_id] = entry.position
            elif one_by_one:
                if (error := self._try(connection, batch.projection, tables, entry.event)) is not None:
                    letters.append(entry.letter(name, generation, error, attempts=self.attempts))
                    parked[entry.originator_id] = entry.position
            else:
                ready.append(entry.event)
        if ready:
            batch.projection.apply(connection, tables, ready)
        return letters

    def _try(
        self, connection: Connection, projection: Projection, tables: Mapping[str, Table], event: Event
    ) -> str | None:
        """Apply one event alone, up to ``attempts`` times, each in a savepoint (on PostgreSQL
        a failed statement would abort the whole transaction). Returns the last error, or None
        once applied. Errors of the database itself propagate: they are nobody's dead letter."""
        error = ""
        for _ in range(self.attempts):
            try:
                with connection.begin_nested():
                    projection.apply(connection, tables, [event])
                return None
            except Exception as failure:
                if not dead_letters.blames_the_event(failure):
                    raise
                error = dead_letters.describe(failure)
        return error

    def _set_position(self, connection: Connection, name: str, generation: int, position: int) -> None:
        connection.execute(
            update(positions)
            .where(positions.c.name == name, positions.c.generation == generation)
            .values(position=position, updated_at=_now(), last_error=None)
        )

    # ----------------------------------------------------------------- dead letters

    def dead_letters(self, name: str | None = None, limit: int | None = None) -> list[DeadLetter]:
        """The live generations' dead letters (of one projection, or of all), in log order (the first ``limit``)."""
        names = [projection.name for projection in self.selected(name)]
        with self._reader.connect() as connection:
            return dead_letters.of_live_generations(connection, names, limit)

    def retry(self, name: str) -> list[RetryOutcome]:
        """Apply a projection's dead letters again, in log order, under the projection's lock:
        each one that applies is removed; one that still fails stays (attempts and error
        updated), and so do the later ones of its aggregate, parked behind it."""
        projection = self.selected(name)[0]
        outcomes: list[RetryOutcome] = []
        with write_transaction(self.engine) as connection:
            generation = self._lock_active_generation(connection, name)
            self._lock_position(connection, name, generation)
            tables = self._tables(projection, generation)
            blocked: dict[UUID, int] = {}
            for letter in dead_letters.of_generation(connection, name, generation):
                behind = blocked.get(letter.originator_id)
                if behind is not None:
                    outcomes.append(
                        RetryOutcome(letter=dead_letters.parked_again(connection, letter, behind), result="parked")
                    )
                    continue
                entry = LoggedEvent.read(self._logged(letter.position))
                if entry.event is None:  # still cannot be decoded
                    error, attempts = entry.error, 1
                else:
                    error, attempts = self._try(connection, projection, tables, entry.event), self.attempts
                if error is None:
                    dead_letters.applied(connection, letter)
                    outcomes.append(RetryOutcome(letter=letter, result="applied"))
                else:
                    again = dead_letters.failed_again(connection, letter, error, attempts)
                    outcomes.append(RetryOutcome(letter=again, result="failed"))
                    blocked[letter.originator_id] = letter.position
            dead_letters.recount(connection, name, generation)
        if any(outcome.result == "applied" for outcome in outcomes):
            self.signal.rewritten(name)  # rows changed at the same position: read caches are stale
        self.refresh_incomplete()
        return outcomes

    def refresh_incomplete(self) -> None:
        """Re-read which users' reads of which projections miss dead letters. One refresh at a
        time: a poll that read before a batch set letters aside must not replace the map after
        the batch's own refresh did (catch-ups run in several threads), or a reader waiting for
        that batch would miss its ``X-Read-Model-Incomplete``."""
        with self._incomplete_lock, self._reader.connect() as connection:
            self.incomplete.replace(dead_letters.users_with_dead_letters(connection))
            self._incomplete_read_at = time.monotonic()

    def _refresh_incomplete_when_due(self) -> None:
        """On the poll: other processes (a runner, ``projections retry``) change dead letters too."""
        if time.monotonic() - self._incomplete_read_at >= self.poll_interval:
            self.refresh_incomplete()

    def _logged(self, position: int) -> LogRow:
        found = self.log_rows.select_log(position, 1, position)
        if not found:
            raise ProjectionError(f"the event at position {position} is not in the log")
        return found[0]

    # ----------------------------------------------------------------- rebuild

    def rebuild(self, name: str, progress: ProgressCallback | None = None, *, only_if_changed: bool = False) -> int:
        """Rebuild a projection from event 1 into fresh tables while the live ones keep
        serving, then swap them in (with the dead letters the new generation set aside) and
        record the definition's fingerprint. Returns the new generation (with
        ``only_if_changed``, the active one if its fingerprint is already the definition's).
        One rebuild of a projection at a time, across processes: it holds a lease, renewed by
        a heartbeat while it runs; one that fails drops its tables."""
        projection = self.selected(name)[0]
        lease = self._take_lease(projection, only_if_changed)
        if isinstance(lease, int):
            return lease
        with self._heartbeat(lease):
            try:
                self._drain(projection, lease.generation, progress)
                old_generation = self._swap(projection, lease)
            except BaseException:
                self._abandon(projection, lease)
                raise
        self._drop_generation(projection, old_generation)
        self.signal.rewritten(name)  # the rebuilt rows may differ at the same position
        self.refresh_incomplete()
        self.signal.advance(name, self.position(name))
        return lease.generation

    def set_up(self) -> None:
        """On start: give each projection without tables generation 1 made from its definition,
        and rebuild each whose stored fingerprint differs from its definition's (see the module
        docstring) before anything is served."""
        stored = self._fingerprints()
        missing = [projection for projection in self.projections.values() if projection.name not in stored]
        if missing:
            self._create_first_generations(missing)
        for projection in self.projections.values():
            if projection.name in stored and stored[projection.name] != projection.fingerprint():
                self._rebuild_changed(projection)

    def _fingerprints(self) -> dict[str, str | None]:
        with self._reader.connect() as connection:
            return dict(connection.execute(select(registry.c.name, registry.c.fingerprint)).all())

    @staticmethod
    def _fingerprint(connection: Connection, name: str) -> str | None:
        return connection.execute(select(registry.c.fingerprint).where(registry.c.name == name)).scalar()

    def _create_first_generations(self, projections: Sequence[Projection]) -> None:
        """Generation 1 of each projection (tables, views, registry row, position), in one
        transaction that another process starting at once waits for."""
        with write_transaction(self.engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(72430002)")
            known = set(connection.execute(select(registry.c.name)).scalars())
            fresh = [projection for projection in projections if projection.name not in known]
            metadata = MetaData()
            for projection in fresh:
                for table in projection.tables:
                    table.physical(1, metadata)
            metadata.create_all(connection)
            for projection in fresh:
                for table in projection.tables:
                    table.point_view_at(connection, 1)
                connection.execute(
                    insert(registry).values(
                        name=projection.name, active_generation=1, fingerprint=projection.fingerprint()
                    )
                )
                connection.execute(insert(positions).values(name=projection.name, generation=1, position=0))

    def _rebuild_changed(self, projection: Projection) -> None:
        """Rebuild a projection whose definition changed, or wait while another process does
        (and then rebuild only if what it built is still not today's definition)."""
        name = projection.name
        log.warning("%s: its definition changed; rebuilding it into a new generation", name)
        while True:
            try:
                generation = self.rebuild(name, self._log_progress(name), only_if_changed=True)
            except RebuildRunning:
                log.warning("%s: another process is rebuilding it; waiting", name)
                time.sleep(min(self.rebuild_heartbeat, 1.0))
                continue
            log.warning("%s: serving generation %d", name, generation)
            return

    @staticmethod
    def _log_progress(name: str) -> ProgressCallback:
        last = [0.0]

        def progress(position: int, head: int) -> None:
            if time.monotonic() - last[0] >= 5 or position >= head:
                last[0] = time.monotonic()
                log.warning("%s: rebuilt up to event %d of %d", name, position, head)

        return progress

    def drop_abandoned_rebuilds(self) -> None:
        """On start: drop what rebuilds whose process died left behind (a generation's tables,
        position and dead letters, and the lease), unless their heartbeat is still fresh."""
        with self._reader.connect() as connection:
            active = dict(connection.execute(select(registry.c.name, registry.c.active_generation)).all())
            generations = connection.execute(select(positions.c.name, positions.c.generation)).all()
            leftovers = {name for name, generation in generations if generation != active.get(name)}
            leases = {row.name: RebuildLease(**row._asdict()) for row in connection.execute(select(rebuild_leases))}
        for name in sorted((leftovers | set(leases)) & set(self.projections)):
            if name in leases and self._alive(leases[name]):
                continue
            with write_transaction(self.engine) as connection:
                current = self._lock_active_generation(connection, name)
                if self._lease(connection, name, alive=True) is None:  # none started meanwhile
                    self._drop_abandoned(connection, self.projections[name], current)
                    log.warning("%s: dropped the generation an interrupted rebuild left", name)

    def _take_lease(self, projection: Projection, only_if_changed: bool = False) -> RebuildLease | int:
        """Create the next generation under a new lease, after dropping what an interrupted
        rebuild left; refused while another rebuild's lease is alive. With ``only_if_changed``,
        the active generation instead if it was built from today's definition (checked under
        the registry lock: another process may have just rebuilt it)."""
        name = projection.name
        with write_transaction(self.engine) as connection:
            active = self._lock_active_generation(connection, name)
            if only_if_changed and self._fingerprint(connection, name) == projection.fingerprint():
                return active
            held = self._lease(connection, name, alive=True)
            if held is not None:
                raise RebuildRunning(
                    f"a rebuild of {name!r} is already running (generation {held.generation}, "
                    f"started {held.started_at:%Y-%m-%d %H:%M:%S} UTC)"
                )
            generation = max(self._drop_abandoned(connection, projection, active)) + 1
            metadata = MetaData()
            for table in projection.tables:
                table.physical(generation, metadata)
            metadata.create_all(connection)
            connection.execute(
                insert(positions).values(name=name, generation=generation, position=0, updated_at=_now())
            )
            now = _now()
            lease = RebuildLease(
                name=name, generation=generation, owner=uuid.uuid4().hex, started_at=now, heartbeat_at=now
            )
            connection.execute(insert(rebuild_leases).values(msgspec.structs.asdict(lease)))
        return lease

    def _drop_abandoned(self, connection: Connection, projection: Projection, active: int) -> list[int]:
        """Drop every generation but the active one, and the lease; returns every generation
        there was (so a new one is numbered past them all)."""
        generations = list(
            connection.execute(select(positions.c.generation).where(positions.c.name == projection.name)).scalars()
        )
        for leftover in set(generations) - {active}:
            self._drop_tables(connection, projection, leftover)
        connection.execute(delete(rebuild_leases).where(rebuild_leases.c.name == projection.name))
        return [active, *generations]

    @contextmanager
    def _heartbeat(self, lease: RebuildLease) -> Iterator[None]:
        """Renew the lease every ``rebuild_heartbeat`` seconds while the block runs."""
        stopped = threading.Event()

        def beat() -> None:
            while not stopped.wait(self.rebuild_heartbeat):
                try:
                    with write_transaction(self.engine) as connection:
                        connection.execute(
                            update(rebuild_leases)
                            .where(rebuild_leases.c.name == lease.name, rebuild_leases.c.owner == lease.owner)
                            .values(heartbeat_at=_now())
                        )
                except Exception:  # the next beat tries again; the swap checks the lease is ours
                    log.exception("%s: could not renew the rebuild lease", lease.name)

        thread = threading.Thread(target=beat, name=f"rebuild-lease-{lease.name}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stopped.set()
            thread.join()

    def _swap(self, projection: Projection, lease: RebuildLease) -> int:
        """Point the views at the caught-up generation, under the lock the live runner takes,
        and end the lease. Events committed after the check are the new generation's to
        apply, as live."""
        for _ in range(SWAP_ATTEMPTS):
            self._drain(projection, lease.generation)
            with write_transaction(self.engine) as connection:
                old_generation = self._lock_active_generation(connection, projection.name)
                held = self._lease(connection, projection.name)
                if held is None or held.owner != lease.owner:
                    raise ProjectionError(
                        f"the rebuild of {projection.name!r} lost its lease (no heartbeat for "
                        f"{self.rebuild_lease_timeout.total_seconds():g} s); start it again"
                    )
                if self._lock_position(connection, projection.name, lease.generation)[0] < self.head():
                    continue  # events arrived meanwhile: catch up again
                for table in projection.tables:
                    table.point_view_at(connection, lease.generation)
                connection.execute(
                    update(registry)
                    .where(registry.c.name == projection.name)
                    .values(active_generation=lease.generation, fingerprint=projection.fingerprint())
                )
                connection.execute(delete(rebuild_leases).where(rebuild_leases.c.name == projection.name))
                return old_generation
        raise ProjectionError(f"{projection.name}: events arrive faster than the rebuild can catch up; try again")

    def _abandon(self, projection: Projection, lease: RebuildLease) -> None:
        """A rebuild that failed drops its generation and its lease (if still its own)."""
        try:
            with write_transaction(self.engine) as connection:
                self._lock_active_generation(connection, projection.name)
                held = self._lease(connection, projection.name)
                if held is not None and held.owner == lease.owner:
                    self._drop_tables(connection, projection, lease.generation)
                    connection.execute(delete(rebuild_leases).where(rebuild_leases.c.name == projection.name))
        except Exception:  # the next start, or the next rebuild, drops it
            log.exception("%s: could not drop the generation of a failed rebuild", projection.name)

    def _drop_generation(self, projection: Projection, generation: int) -> None:
        with write_transaction(self.engine) as connection:
            self._drop_tables(connection, projection, generation)
        self._table_cache.pop((projection.name, generation), None)

    def _drop_tables(self, connection: Connection, projection: Projection, generation: int) -> None:
        for table in projection.tables:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.physical_name(generation)}")
        connection.execute(
            delete(positions).where(positions.c.name == projection.name, positions.c.generation == generation)
        )
        dead_letters.drop_generation(connection, projection.name, generation)

    def _lease(self, connection: Connection, name: str, alive: bool = False) -> RebuildLease | None:
        """The projection's rebuild lease (only if its heartbeat is fresh, with ``alive``)."""
        row = connection.execute(select(rebuild_leases).where(rebuild_leases.c.name == name)).first()
        held = RebuildLease(**row._asdict()) if row is not None else None
        return held if held is not None and (not alive or self._alive(held)) else None

    def _alive(self, lease: RebuildLease) -> bool:
        return _now() - lease.heartbeat_at < self.rebuild_lease_timeout

    # ----------------------------------------------------------------- reading

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def position(self, name: str) -> int:
        """The live generation's position, read from the database."""
        with self._reader.connect() as connection:
            value = connection.execute(
                select(positions.c.position)
                .join(
                    registry,
                    (registry.c.name == positions.c.name) & (registry.c.active_generation == positions.c.generation),
                )
                .where(positions.c.name == name)
            ).scalar()
        return value or 0

    def status(self) -> list[ProjectionStatus]:
        """Each projection's live generation, and the generation a rebuild is filling (only
        while its lease is alive: a dead rebuilder's leftovers are not "rebuilding")."""
        head = self.head()
        with self._reader.connect() as connection:
            active = dict(connection.execute(select(registry.c.name, registry.c.active_generation)).all())
            rows = connection.execute(select(positions).order_by(positions.c.name, positions.c.generation)).all()
            leases = {
                lease.name: lease.generation
                for lease in (RebuildLease(**row._asdict()) for row in connection.execute(select(rebuild_leases)))
                if self._alive(lease)
            }
        statuses = []
        for name in self.projections:
            generation = active.get(name, 0)
            live = next((row for row in rows if row.name == name and row.generation == generation), None)
            building = next((row for row in rows if row.name == name and row.generation == leases.get(name)), None)
            position = live.position if live else 0
            statuses.append(
                ProjectionStatus(
                    name=name,
                    generation=generation,
                    position=position,
                    head=head,
                    lag=max(head - position, 0),
                    rebuilding_generation=building.generation if building else None,
                    rebuilding_position=building.position if building else None,
                    last_error=live.last_error if live else None,
                    dead_letters=live.dead_letters if live else 0,
                )
            )
        return statuses

    # ----------------------------------------------------------------- helpers

    def selected(self, name: str | Sequence[str] | None) -> list[Projection]:
        """Every projection (None), or the one or those named."""
        if name is None:
            return list(self.projections.values())
        names = [name] if isinstance(name, str) else list(name)
        unknown = [n for n in names if n not in self.projections]
        if unknown:
            known = ", ".join(sorted(self.projections))
            raise ProjectionError(f"unknown projection {unknown[0]!r}; known projections: {known}")
        return [self.projections[n] for n in names]

    def _tables(self, projection: Projection, generation: int) -> dict[str, Table]:
        key = (projection.name, generation)
        if key not in self._table_cache:
            metadata = MetaData()
            self._table_cache[key] = {t.name: t.physical(generation, metadata) for t in projection.tables}
        return self._table_cache[key]

    def _active_generation(self, name: str) -> int:
        with self._reader.connect() as connection:
            return self._lock_active_generation(connection, name, lock=False)

    def _position(self, name: str, generation: int) -> int:
        with self._reader.connect() as connection:
            return self._lock_position(connection, name, generation, lock=False)[0]

    def _lock_active_generation(self, connection: Connection, name: str, lock: bool = True) -> int:
        query = select(registry.c.active_generation).where(registry.c.name == name)
        generation: int | None = connection.execute(query.with_for_update() if lock else query).scalar()
        if generation is None:
            raise ProjectionError(f"projection {name!r} has no tables; run `manufactory migrate`")
        return generation

    def _lock_position(self, connection: Connection, name: str, generation: int, lock: bool = True) -> tuple[int, int]:
        """The generation's position and its count of dead letters (read with the row locked anyway)."""
        query = select(positions.c.position, positions.c.dead_letters).where(
            positions.c.name == name, positions.c.generation == generation
        )
        position, count = connection.execute(query.with_for_update() if lock else query).one()
        return position, count

    def _record_error(self, name: str, message: str) -> None:
        try:
            with write_transaction(self.engine) as connection:
                generation = connection.execute(
                    select(registry.c.active_generation).where(registry.c.name == name)
                ).scalar()
                connection.execute(
                    update(positions)
                    .where(positions.c.name == name, positions.c.generation == generation)
                    .values(last_error=message[:2000])
                )
        except Exception:
            log.exception("could not record the error of projection %s", name)


class ProjectionRunner:
    """The projection runner as a duty of the process elected to run it
    (``application.duties``): the others only follow the positions it writes."""

    def __init__(self, runtime: ProjectionRuntime) -> None:
        self._runtime = runtime

    def start(self) -> None:
        self._runtime.stop()
        self._runtime.start(apply=True)

    def stop(self) -> None:
        self._runtime.stop()
        self._runtime.start(apply=False)


def _now() -> datetime:
    return datetime.now(UTC)
