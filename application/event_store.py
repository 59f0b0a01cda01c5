"""The one eventsourcing Application that holds every aggregate of Manufactory.

One Application means one notification log, so every projection reads one ordered stream
and a read-your-writes position is a single number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Mapper, Recording

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
        # Aggregates are cached and fast-forwarded with newer events on each load, so a hot
        # aggregate is not replayed from its first event for every command.
        env["AGGREGATE_CACHE_MAXSIZE"] = "10000"
        super().__init__(env=env)
        self._listeners: list[Callable[[int], None]] = []

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

    def load(self, aggregate_id: UUID, aggregate_class: type[A], version: int | None = None) -> A:
        try:
            aggregate = self.repository.get(aggregate_id, version=version, projector_func=replay)
        except AggregateNotFoundError:
            raise NotFound(f"{aggregate_class.__name__.lower()} not found") from None
        if not isinstance(aggregate, aggregate_class):
            raise NotFound(f"{aggregate_class.__name__.lower()} not found")
        return aggregate

    def history(self, aggregate_id: UUID) -> list[Event]:
        return list(self.events.get(aggregate_id))

    def head(self) -> int:
        """The position of the newest event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def save_events(self, *aggregates: Any) -> int:
        """Save aggregates' pending events atomically; returns the last event's log position."""
        recordings = self.save(*aggregates)
        return recordings[-1].notification.id if recordings else self.head()
