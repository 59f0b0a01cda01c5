"""The one eventsourcing Application that holds every aggregate of Manufactory.

One Application means one notification log, so every projection reads one ordered stream
and a read-your-writes position is a single number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Mapper, Recording

from application.group_commit import GroupCommitter
from application.mapper import MsgspecMapper
from application.settings import Settings
from domain.aggregate import Aggregate, replay
from domain.errors import NotFound
from domain.events import Event

A = TypeVar("A", bound=Aggregate)


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
        self._listeners: list[Callable[[int], None]] = []
        self._committer = GroupCommitter(self.events.put)

    def construct_mapper(self) -> Mapper[UUID]:
        return MsgspecMapper()

    def on_recorded(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(last_position)`` after every successful save (wakes projections)."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if recordings:
            position = recordings[-1].notification.id
            for listener in self._listeners:
                listener(position)

    def load(
        self, aggregate_id: UUID, aggregate_class: type[A], version: int | None = None, *, fresh: bool = False
    ) -> A:
        """The aggregate now (from the cache unless ``fresh``) or as of ``version``."""
        if fresh:
            self.forget(aggregate_id)
        try:
            aggregate = self.repository.get(aggregate_id, version=version, projector_func=replay)
        except AggregateNotFoundError:
            raise NotFound(f"{aggregate_class.__name__.lower()} not found") from None
        if not isinstance(aggregate, aggregate_class):
            raise NotFound(f"{aggregate_class.__name__.lower()} not found")
        return aggregate

    def forget(self, aggregate_id: UUID) -> None:
        """Drop a cached aggregate that may be stale (another process wrote to it)."""
        cache = self.repository.cache
        if cache is not None:
            try:
                cache.get(aggregate_id, evict=True)
            except KeyError:
                pass

    def history(self, aggregate_id: UUID) -> list[Event]:
        return list(self.events.get(aggregate_id))

    def head(self) -> int:
        """The position of the newest event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def save_events(self, *aggregates: Aggregate) -> int:
        """Save aggregates' pending events atomically (group-committed with concurrent
        commands); returns the log position of the last one."""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        if not events:
            return self.head()
        recordings = self._committer.put(events)
        cache = self.repository.cache
        if cache is not None:
            for aggregate in aggregates:
                cache.put(aggregate.id, aggregate)
        self._notify(recordings)
        return recordings[-1].notification.id
