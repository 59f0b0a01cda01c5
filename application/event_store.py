"""The one eventsourcing Application that holds every aggregate of Manufactory.

One Application means one notification log, so every projection reads one ordered stream
and a read-your-writes position is a single number.

Saving is exactly-once per command. When the connection drops while COMMIT is in flight,
the library cannot know whether the transaction committed and inserts the events again; if
they had landed, that second insert collides with them. A collision is therefore first
checked against the stored event at the version we tried to write: if it carries our
command id (and user), the save succeeded and answers the position of our events, so no
caller ever decides again on a state that already holds its own change.

Aggregates whose histories grow without end are restored from a snapshot and the events
after it (``application.snapshots``): one is taken after a save crosses a multiple of
``snapshot_interval`` versions, or after a restore that had to replay that many events.
Reads at a version and audit (``from_events``) replay events only.

Every read of the database here goes through ``on_loop.blocking``: a command running on the
event loop (``application.on_loop``) waits for it in a worker thread, never on the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TypeVar, cast
from uuid import UUID

import msgspec
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper
from eventsourcing.popo import POPOApplicationRecorder

from application.group_commit import GroupCommitter
from application.log_rows import log_reader
from application.mapper import MsgspecMapper
from application.on_loop import blocking, on_loop, wait
from application.postgres_recorder import PostgresRecorder
from application.settings import Settings
from application.snapshots import snapshot_table, snapshots, take, usable
from application.sqlite_recorder import SQLiteRecorder
from domain.aggregate import Aggregate, replay
from domain.errors import NotFound
from domain.events import CommandMeta, Event

A = TypeVar("A", bound=Aggregate)
# ``replay`` at the one type the repository folds with (mypy cannot pick it out of the generic).
_replay: Callable[[Aggregate | None, Iterable[Event]], Aggregate | None] = replay
_SCAN_PAGE = 500
REPLAY_PAGE = 5000  # versions read at a time while an aggregate is replayed
log = logging.getLogger(__name__)


class _Stamped(msgspec.Struct):
    """Just the metadata of a stored event (the rest is skipped, not decoded)."""

    meta: CommandMeta


def _meta_of(state: bytes) -> CommandMeta:
    return msgspec.json.decode(state, type=_Stamped).meta


def _same_command(meta: CommandMeta, ours: CommandMeta) -> bool:
    return ours.command_id is not None and (meta.command_id, meta.user_id) == (ours.command_id, ours.user_id)


class EventStore(Application[UUID]):
    name = "Manufactory"

    def __init__(self, settings: Settings) -> None:
        env = settings.eventsourcing_env()
        # Aggregates are cached after each save and not re-read on load: in one process every
        # write goes through the cache. A write from another process makes our next save
        # collide; the command runner then calls ``forget`` and retries on fresh state.
        env["AGGREGATE_CACHE_MAXSIZE"] = "10000"
        env["AGGREGATE_CACHE_FASTFORWARD"] = "n"
        super().__init__(env=env)
        self._listeners: list[tuple[Callable[[int], None], frozenset[type[Event]] | None]] = []
        self._committer = GroupCommitter(self.events.put)
        self.snapshot_interval = settings.snapshot_interval  # 0: no snapshots taken or used
        self._snapshots = snapshot_table(self.recorder)
        self.log_rows = log_reader(self.recorder)  # the log as plain rows (``application.log_rows``)
        self.head_on_loop: Callable[[], Awaitable[int]] | None = None  # set by the system: see ``head``

    def construct_mapper(self) -> Mapper[UUID]:
        return MsgspecMapper()

    def on_recorded(self, listener: Callable[[int], None], events: Iterable[type[Event]] | None = None) -> None:
        """Call ``listener(last_position)`` after every successful save (wakes projections), or
        only after those that saved an event of one of the classes ``events``: a loop that reads
        a few kinds of events is not woken by every command (it shares the server's GIL)."""
        self._listeners.append((listener, None if events is None else frozenset(events)))

    def _wake_listeners(self, position: int, saved: list[Event]) -> None:
        kinds = {type(event) for event in saved}
        for listener, wanted in self._listeners:
            if wanted is None or not kinds.isdisjoint(wanted):
                listener(position)

    def load(
        self,
        aggregate_id: UUID,
        aggregate_class: type[A],
        version: int | None = None,
        *,
        fresh: bool = False,
        from_events: bool = False,
    ) -> A:
        """The aggregate now (from the cache unless ``fresh``, else restored) or as of
        ``version``; ``from_events``: replayed from its events alone, as audit reads it."""
        if fresh:
            self.forget(aggregate_id)
        if version is not None or from_events:
            aggregate = blocking(self._replayed, aggregate_id, version)
        else:
            aggregate = self._cached(aggregate_id)
        if not isinstance(aggregate, aggregate_class):
            raise NotFound(f"{aggregate_class.__name__.lower()} not found")
        return aggregate

    def _replayed(self, aggregate_id: UUID, version: int | None) -> Aggregate | None:
        return _replay(None, self._paged(aggregate_id, after=None, upto=version))

    def _paged(self, aggregate_id: UUID, *, after: int | None, upto: int | None) -> Iterator[Event]:
        """The aggregate's events after version ``after`` up to ``upto`` (None: from the first,
        to the newest), read ``REPLAY_PAGE`` versions at a time: the library reads every event
        asked for into one list first, so an audit of a long history's state (or a restore
        without a snapshot) held all of a million-event world's stored events at once.

        A page is a range of versions, not a LIMIT: PostgreSQL, its estimate of an aggregate's
        rows taken when it had few, sorted every event after the page's start to return the
        first page of them (a bitmap scan, then a sort on disk), each page again."""
        start = after or 0
        while upto is None or start < upto:
            end = start + REPLAY_PAGE if upto is None else min(start + REPLAY_PAGE, upto)
            page = cast("list[Event]", list(self.events.get(aggregate_id, gt=start, lte=end)))
            yield from page
            if len(page) < end - start:  # an aggregate's versions run without gaps: the newest was read
                return
            start = end

    def _cached(self, aggregate_id: UUID) -> Aggregate | None:
        """A copy of the cached aggregate (a command may change it and fail), restored and
        cached first if it is not there."""
        cache = self.repository.cache
        if cache is None:
            return self.restore(aggregate_id)
        try:
            aggregate = cast("Aggregate", cache.get(aggregate_id))
        except KeyError:
            restored = self.restore(aggregate_id)
            if restored is None:
                return None
            cache.put(aggregate_id, restored)
            aggregate = restored
        return aggregate.working_copy()

    def restore(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate from its newest usable snapshot and the events after it (every
        event when there is none); None if it has no events. A restore that replayed a whole
        interval's events leaves a snapshot for the next one."""
        return blocking(self._restore, aggregate_id)

    def _restore(self, aggregate_id: UUID) -> Aggregate | None:
        snapshot = self._snapshots_newest(aggregate_id)
        start = None if snapshot is None else snapshot.version
        tail = _Counted(self._paged(aggregate_id, after=start, upto=None))
        aggregate = _replay(snapshot, tail)
        if aggregate is not None and self.snapshot_interval and tail.count >= self.snapshot_interval:
            self._snapshot(aggregate)
        return aggregate

    def snapshot_version(self, aggregate_id: UUID) -> int | None:
        """The version of the aggregate's snapshot a restore would start from (None: none usable)."""
        snapshot = blocking(self._snapshots_newest, aggregate_id)
        return None if snapshot is None else snapshot.version

    def _snapshots_newest(self, aggregate_id: UUID) -> Aggregate | None:
        if not self.snapshot_interval:
            return None
        try:
            stored = self._snapshots.newest(aggregate_id)
            return None if stored is None else usable(stored)
        except Exception:  # a snapshot only saves time: without one, replay every event
            log.warning("could not read the snapshot of %s", aggregate_id, exc_info=True)
            return None

    def keep_snapshot(self, aggregate: Aggregate) -> None:
        """Snapshot an aggregate whose events are all saved, whatever its version (a crafting
        world about to leave memory, so it comes back from here); never fails."""
        if self.snapshot_interval:
            self._snapshot(aggregate)

    def _snapshot(self, aggregate: Aggregate) -> None:
        """Keep a snapshot of an aggregate whose events are all committed; never fails."""
        if not snapshots(aggregate):
            return
        try:
            blocking(self._snapshots.keep, take(aggregate))
        except Exception:
            log.warning("could not snapshot %s at version %d", aggregate.id, aggregate.version, exc_info=True)

    def forget(self, aggregate_id: UUID) -> None:
        """Drop a cached aggregate that may be stale (another process wrote to it)."""
        cache = self.repository.cache
        if cache is not None:
            try:
                cache.get(aggregate_id, evict=True)
            except KeyError:
                pass

    def history(self, aggregate_id: UUID, *, after: int | None = None, limit: int | None = None) -> list[Event]:
        """The aggregate's events (those after version ``after``, if given; at most ``limit``),
        oldest first. A page is a range of versions, as ``_paged`` reads them (a LIMIT could
        have PostgreSQL sort every later event first)."""
        upto = None if limit is None else (after or 0) + limit
        # Our MsgspecMapper decodes every stored event to an Event; the library types it as any
        # DomainEventProtocol.
        return cast("list[Event]", blocking(lambda: list(self.events.get(aggregate_id, gt=after, lte=upto))))

    def latest_version(self, aggregate_id: UUID) -> int | None:
        """The version of the aggregate's newest event (None: it has none), reading that one alone."""
        newest = cast("list[Event]", blocking(lambda: list(self.events.get(aggregate_id, desc=True, limit=1))))
        return newest[0].originator_version if newest else None

    def head(self) -> int:
        """The position of the newest event in the log (0 when empty), as read by a read begun
        after this call. A command on the event loop reads it through ``head_on_loop`` (the log
        head's reader, ``application.log_head``: a read shared with concurrent callers, on SQLite
        on a read-only connection right on the loop, on PostgreSQL a round trip), not in a worker thread:
        through one a config update that changed nothing cost twice the server's CPU of one
        that recorded an event (BENCHMARKS.md, "Tenth pass")."""
        if self.head_on_loop is not None and on_loop():
            return wait(self.head_on_loop())
        return blocking(self.recorder.max_notification_id) or 0

    def save_events(self, *aggregates: Aggregate) -> int:
        """Save aggregates' pending events atomically (group-committed with concurrent
        commands); returns the log position of the last one."""
        saved = [(aggregate, aggregate.collect_events()) for aggregate in aggregates]
        events = [event for _, pending in saved for event in pending]
        if not events:
            return self.head()
        try:
            position = self._committer.put(events)[-1].notification.id
        except IntegrityError:
            landed = self._landed(events[-1])
            if landed is None:
                raise  # another writer's events: the caller decides again on fresh state
            position = landed
        cache = self.repository.cache
        if cache is not None:
            for aggregate in aggregates:
                cache.put(aggregate.id, aggregate)
        self._wake_listeners(position, events)
        self._snapshot_crossed(saved)
        return position

    def _snapshot_crossed(self, saved: list[tuple[Aggregate, list[Event]]]) -> None:
        """After a committed save: snapshot each aggregate whose save crossed a multiple of
        the interval (so it is taken every ``snapshot_interval`` events, however they came)."""
        interval = self.snapshot_interval
        if not interval:
            return
        for aggregate, pending in saved:
            crossed = pending and snapshots(aggregate)
            if crossed and (aggregate.version - len(pending)) // interval < aggregate.version // interval:
                self._snapshot(aggregate)

    def _landed(self, event: Event) -> int | None:
        """The log position of ``event`` if this very command already stored it (a save whose
        COMMIT answer was lost), else None. A save is one transaction, so its last event
        stands for all of them."""
        if event.meta.command_id is None or isinstance(self.recorder, POPOApplicationRecorder):
            return None  # in memory an insert never loses its answer: a collision is another writer's
        found = blocking(self._stored_at, event.originator_id, event.originator_version)
        if found is None or not _same_command(_meta_of(found[1]), event.meta):
            return None
        return found[0]

    def _stored_at(self, originator_id: UUID, version: int) -> tuple[int, bytes] | None:
        """(log position, state) of the stored event at ``version`` of an aggregate."""
        recorder = self.recorder
        assert isinstance(recorder, PostgresRecorder | SQLiteRecorder)
        found: tuple[int, bytes] | None = recorder.stored_at(originator_id, version)  # untyped on PostgreSQL: @retry
        return found

    def find_command(self, user_id: UUID, command_id: str, after: int) -> int | None:
        """The log position of the last event the user's command ``command_id`` recorded after
        position ``after``, or None: whether a command whose answer was lost was applied.
        A scan of the log's tail (cheap bytes test first); only for that rare recovery."""
        ours = CommandMeta(user_id=user_id, correlation_id="", command_id=command_id)
        needle = b'"command_id":' + msgspec.json.encode(command_id)
        head, found = self.head(), None
        while after < head:
            page = blocking(self.log_rows.select_log, after + 1, _SCAN_PAGE, head)
            if not page:
                break
            for position, _, _, _, state in page:
                if needle in state and _same_command(_meta_of(state), ours):
                    found = position
            after = page[-1][0]
        return found


class _Counted:
    """Events passed through, counted (how long a restore's tail was)."""

    def __init__(self, events: Iterable[Event]) -> None:
        self._events = events
        self.count = 0

    def __iter__(self) -> Iterator[Event]:
        for event in self._events:
            self.count += 1
            yield event
