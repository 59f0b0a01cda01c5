"""The one projection runtime of Manufactory.

For each projection it reads the notification log in batches from the projection's tracked
position, applies the events to the read-model tables, and stores the new position in the
same transaction: exactly once, also after a crash between batches or with several runners
(they serialise on the projection's registry row). It runs as a thread in the server or
standalone, wakes at once on in-process writes and polls briefly for other processes'.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import ClassVar

import msgspec
from eventsourcing.persistence import ApplicationRecorder, Mapper
from eventsourcing.utils import get_topic
from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    delete,
    insert,
    select,
    text,
    update,
)

from domain.events import Event
from projections.database import query_engine, write_transaction
from projections.readmodel import ReadModelTable
from projections.signal import PositionSignal
from projections.tracking import positions, registry

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
SWAP_ATTEMPTS = 20


class Projection(ABC):
    """Builds read-model tables from events. ``apply`` gets a whole batch so it can write in bulk."""

    name: ClassVar[str]
    tables: ClassVar[tuple[ReadModelTable, ...]]
    topics: ClassVar[tuple[type[Event], ...]]

    @abstractmethod
    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        """Apply events in log order. Must be deterministic: a rebuild must give the same rows."""


class ProjectionStatus(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    generation: int
    position: int
    head: int
    lag: int
    rebuilding_generation: int | None = None
    rebuilding_position: int | None = None
    last_error: str | None = None


class ProjectionError(Exception):
    """A projection cannot be run as asked (unknown name, rebuild already running, ...)."""


class ProjectionRuntime:
    def __init__(
        self,
        engine: Engine,
        recorder: ApplicationRecorder,
        mapper: Mapper,
        projections: Sequence[Projection],
        signal: PositionSignal | None = None,
        batch_size: int = 500,
        poll_interval: float = 0.2,
        coalesce_interval: float = 0.02,
        rebuild_batch_size: int = 5000,
    ) -> None:
        self.engine = engine
        self._reader = query_engine(engine)
        self.recorder = recorder
        self.mapper = mapper
        self.projections = {projection.name: projection for projection in projections}
        self.signal = signal or PositionSignal()
        self.batch_size = batch_size
        self.rebuild_batch_size = rebuild_batch_size  # a rebuild starts far behind: fewer, bigger batches
        self.poll_interval = poll_interval
        self.coalesce_interval = coalesce_interval
        self._topics = {p.name: [get_topic(t) for t in p.topics] for p in projections}
        self._table_cache: dict[tuple[str, int], dict[str, Table]] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- running

    def wake(self, _position: int | None = None) -> None:
        self._wake.set()

    def start(self, *, apply: bool = True) -> None:
        """Run all projections in a background thread until ``stop``. With ``apply=False``
        (another process runs them) only follow their positions, for waiters and caches."""
        self._stop.clear()
        target = self.run_until_stopped if apply else self._follow_positions
        self._thread = threading.Thread(target=target, name="projections", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def run_until_stopped(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                progressed = self.catch_up()
            except Exception:  # keep serving; the error is logged and shown in status
                log.exception("projection runner failed; retrying in 1 s")
                self._stop.wait(1.0)
                continue
            if not progressed:
                # A write wakes us at once; then a few ms more gather the rest of a burst into
                # the same batch (one transaction instead of one per event). Measured: 20 ms
                # lifted SQLite command throughput by 10-15% at the cost of 20 ms of lag.
                if self._wake.wait(self.poll_interval) and not self._stop.is_set():
                    self._stop.wait(self.coalesce_interval)

    def _follow_positions(self) -> None:
        while not self._stop.is_set():
            try:
                for name in self.projections:
                    self.signal.advance(name, self.position(name))
            except Exception:
                log.exception("could not read projection positions; retrying")
            self._stop.wait(self.poll_interval)

    def catch_up(self, name: str | None = None) -> bool:
        """Apply every available event to the live generation; True if anything moved."""
        progressed = False
        for projection in self.selected(name):
            try:
                progressed = self._drain(projection) or progressed
            except Exception as error:
                self._record_error(projection.name, f"{type(error).__name__}: {error}")
                raise
        return progressed

    def _drain(
        self, projection: Projection, generation: int | None = None, progress: ProgressCallback | None = None
    ) -> bool:
        """Apply batches to a generation (the live one if None) until it reaches the head;
        True if any batch was applied."""
        progressed = False
        while (step := self._process_batch(projection, generation)) is not None:
            progressed = True
            if progress:
                progress(*step)
            if step[0] >= step[1]:
                break
        return progressed

    def _process_batch(self, projection: Projection, generation: int | None = None) -> tuple[int, int] | None:
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
        notifications = self.recorder.select_notifications(
            start=position + 1, limit=limit, stop=head, topics=self._topics[projection.name]
        )
        new_position = notifications[-1].id if len(notifications) == limit else head
        events = [self.mapper.to_domain_event(notification) for notification in notifications]
        with write_transaction(self.engine) as connection:
            locked_generation = self._lock_active_generation(connection, projection.name) if live else generation
            locked_position = self._lock_position(connection, projection.name, expected_generation)
            if locked_generation != expected_generation or locked_position != position:
                return locked_position, head  # another runner or a swap got here first: read again
            if events:
                projection.apply(connection, self._tables(projection, expected_generation), events)
            self._set_position(connection, projection.name, expected_generation, new_position)
        if live:
            self.signal.advance(projection.name, new_position)
        return new_position, head

    def _set_position(self, connection: Connection, name: str, generation: int, position: int) -> None:
        connection.execute(
            update(positions)
            .where(positions.c.name == name, positions.c.generation == generation)
            .values(position=position, updated_at=_now(), last_error=None)
        )

    # ----------------------------------------------------------------- rebuild

    def rebuild(self, name: str, progress: ProgressCallback | None = None) -> int:
        """Rebuild a projection from event 1 into fresh tables while the live ones keep
        serving, then swap them in. Returns the new generation."""
        projection = self.selected(name)[0]
        with self._rebuild_lock(name):
            generation = self._create_generation(projection)
            self._drain(projection, generation, progress)
            old_generation = self._swap(projection, generation)
            self._drop_generation(projection, old_generation)
        self.signal.advance(name, self.position(name))
        return generation

    def _create_generation(self, projection: Projection) -> int:
        with write_transaction(self.engine) as connection:
            active = self._lock_active_generation(connection, projection.name)
            generations = list(
                connection.execute(select(positions.c.generation).where(positions.c.name == projection.name)).scalars()
            )
            for leftover in set(generations) - {active}:  # an interrupted earlier rebuild
                self._drop_tables(connection, projection, leftover)
            generation = max([active, *generations]) + 1
            metadata = MetaData()
            for table in projection.tables:
                table.physical(generation, metadata)
            metadata.create_all(connection)
            connection.execute(
                insert(positions).values(name=projection.name, generation=generation, position=0, updated_at=_now())
            )
        return generation

    def _swap(self, projection: Projection, generation: int) -> int:
        """Point the views at the caught-up generation, under the lock the live runner takes.
        Events committed after the check are the new generation's to apply, as live."""
        for _ in range(SWAP_ATTEMPTS):
            self._drain(projection, generation)
            with write_transaction(self.engine) as connection:
                old_generation = self._lock_active_generation(connection, projection.name)
                if self._lock_position(connection, projection.name, generation) < self.head():
                    continue  # events arrived meanwhile: catch up again
                for table in projection.tables:
                    table.point_view_at(connection, generation)
                connection.execute(
                    update(registry).where(registry.c.name == projection.name).values(active_generation=generation)
                )
                return old_generation
        raise ProjectionError(f"{projection.name}: events arrive faster than the rebuild can catch up; try again")

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

    @contextmanager
    def _rebuild_lock(self, name: str) -> Iterator[None]:
        """On PostgreSQL, one rebuild of a projection at a time across all processes."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self.engine.connect() as connection:
            key = text("SELECT pg_try_advisory_lock(hashtext(:key))")
            if not connection.execute(key, {"key": f"rebuild:{name}"}).scalar():
                raise ProjectionError(f"a rebuild of {name!r} is already running")
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": f"rebuild:{name}"})
                connection.commit()

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
        head = self.head()
        with self._reader.connect() as connection:
            active = {
                name: generation
                for name, generation in connection.execute(select(registry.c.name, registry.c.active_generation))
            }
            rows = connection.execute(select(positions).order_by(positions.c.name, positions.c.generation)).all()
        statuses = []
        for name in self.projections:
            generation = active.get(name, 0)
            live = next((row for row in rows if row.name == name and row.generation == generation), None)
            building = next((row for row in rows if row.name == name and row.generation > generation), None)
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
                )
            )
        return statuses

    # ----------------------------------------------------------------- helpers

    def selected(self, name: str | None) -> list[Projection]:
        if name is None:
            return list(self.projections.values())
        if name not in self.projections:
            known = ", ".join(sorted(self.projections))
            raise ProjectionError(f"unknown projection {name!r}; known projections: {known}")
        return [self.projections[name]]

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
            return self._lock_position(connection, name, generation, lock=False)

    def _lock_active_generation(self, connection: Connection, name: str, lock: bool = True) -> int:
        query = select(registry.c.active_generation).where(registry.c.name == name)
        generation = connection.execute(query.with_for_update() if lock else query).scalar()
        if generation is None:
            raise ProjectionError(f"projection {name!r} has no tables; run `manufactory migrate`")
        return generation

    def _lock_position(self, connection: Connection, name: str, generation: int, lock: bool = True) -> int:
        query = select(positions.c.position).where(positions.c.name == name, positions.c.generation == generation)
        return connection.execute(query.with_for_update() if lock else query).scalar_one()

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


def _now() -> datetime:
    return datetime.now(UTC)
