"""Event-sourced aggregates with msgspec events.

Aggregates satisfy the eventsourcing library's mutable-aggregate protocol (``id``,
``version``, ``collect_events``) so the library's repository and event store work on them
unchanged; ``replay`` is a lean projector used instead of the library's default, whose
per-event ``isinstance`` check against a Protocol dominated reconstruction time.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy, deepcopy
from datetime import datetime
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from domain.errors import NotFound
from domain.events import Event, utcnow

A = TypeVar("A", bound="Aggregate")


class Aggregate:
    """State rebuilt from events. Every aggregate belongs to exactly one user."""

    id: UUID
    version: int
    owner_id: UUID
    created_on: datetime
    modified_on: datetime
    # True when every attribute holds an immutable value (strings, numbers, frozen structs,
    # tuples) that events replace and never change in place: then a shallow copy is a safe
    # working copy, and a command does not pay for a deep one (on the hot command path).
    immutable_values: ClassVar[bool] = False

    def __init__(self, id: UUID, owner_id: UUID, created_on: datetime) -> None:
        self.id = id
        self.owner_id = owner_id
        self.version = 0
        self.created_on = created_on
        self.modified_on = created_on
        self._pending: list[Event] = []

    def _record(self, event_class: type[Event], **fields: Any) -> None:
        """Create the next event, apply it to self, and keep it until it is saved."""
        event = event_class(
            originator_id=self.id,
            originator_version=self.version + 1,
            timestamp=utcnow(),
            **fields,
        )
        event.mutate(self)
        self._pending.append(event)

    @classmethod
    def _create(
        cls: type[A], event_class: type[Event], aggregate_id: UUID, *, timestamp: datetime | None = None, **fields: Any
    ) -> A:
        """Create the creation event (version 1), apply it, and keep it until it is saved."""
        event = event_class(originator_id=aggregate_id, originator_version=1, timestamp=timestamp or utcnow(), **fields)
        aggregate = event.mutate(None)
        assert isinstance(aggregate, cls)
        aggregate._pending.append(event)
        return aggregate

    @property
    def has_pending_events(self) -> bool:
        return bool(self._pending)

    def collect_events(self) -> list[Event]:
        events, self._pending = self._pending, []
        return events

    def state(self) -> Any:
        """A msgspec Struct of the aggregate's state, for audit's as-of-version reads."""
        raise NotImplementedError

    def ensure_owned_by(self, user_id: UUID) -> None:
        """Another user's aggregate is reported as missing, so its id does not leak."""
        if self.owner_id != user_id:
            raise NotFound(f"{type(self).__name__.lower()} not found")

    def working_copy(self: A) -> A:
        """A copy a command may change and throw away (the event store's cache keeps the
        original): deep, unless every attribute of the class holds an immutable value."""
        return copy(self) if self.immutable_values else deepcopy(self)

    def __getstate__(self) -> dict[str, Any]:
        # Copies (shallow or deep) never take the pending events along.
        state = dict(self.__dict__)
        state["_pending"] = []
        return state


def replay(aggregate: A | None, events: Iterable[Event]) -> A | None:
    """Fold events onto an aggregate (None before its creation event)."""
    folded: Aggregate | None = aggregate
    for event in events:
        folded = event.mutate(folded)
    return cast("A | None", folded)  # the events of an A's stream fold into an A
