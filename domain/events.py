"""The base of every domain event: an immutable msgspec Struct that carries its audit metadata.

Events are tagged with their class version (``class_version`` in the stored JSON). A class
that changes shape bumps its tag and gains an ``upcast_vN_vN1(state: dict) -> None`` static
method; the mapper applies those to older stored events on the way in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

import msgspec

if TYPE_CHECKING:
    from domain.aggregate import Aggregate


class CommandMeta(msgspec.Struct, frozen=True, kw_only=True, gc=False):  # no cycles: see Event
    """Who caused a change and why: the user, the request's correlation id and, where one
    command caused another, the id of the command (or event) that caused it.

    ``command_id`` names the one command execution that recorded the events (the client's
    ``Idempotency-Key``, else one per request): after a lost COMMIT answer, the store tells
    its own landed events from another writer's by it. Events stored before it existed, and
    commands started inside the server without one, have None: they are never taken for
    anyone's own."""

    user_id: UUID
    correlation_id: str
    causation_id: str | None = None
    command_id: str | None = None


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="class_version", tag=1, gc=False):
    """A fact recorded about one aggregate. Subclasses implement ``apply``.

    ``gc=False``: an event holds values and never a reference back to itself, so it can be in
    no cycle, and reference counting frees it. Untracked, the events a rebuild decodes by the
    thousand are neither walked nor counted by the cyclic collector (decoding and freeing
    20,000 events took about 8% less time)."""

    # Fields that hold a secret (a token's hash): kept in the store, never shown by audit.
    redacted: ClassVar[frozenset[str]] = frozenset()
    # The topic a renamed class is still stored under (its old ``module:QualName``), so the
    # stored history and the projections' topic filters keep finding it (as Eventuous's
    # EventType attribute decouples a stored name from a class name). None: its own name.
    stored_as: ClassVar[str | None] = None

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    meta: CommandMeta

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        stored_as = cls.__dict__.get("stored_as")
        if stored_as:
            _RENAMED[stored_as] = cls

    def apply(self, aggregate: Any) -> Any:
        """Change ``aggregate`` (None for a creation event) and return it."""
        raise NotImplementedError

    def mutate(self, aggregate: Aggregate | None) -> Aggregate:
        """The eventsourcing library's hook: apply the event and advance the version."""
        aggregate = self.apply(aggregate)
        aggregate.version = self.originator_version
        aggregate.modified_on = self.timestamp
        return aggregate


def class_version(event_class: type[Event]) -> int:
    """The version an event class is stored at today (its msgspec tag)."""
    tag = event_class.__struct_config__.tag
    return tag if isinstance(tag, int) else 1


def utcnow() -> datetime:
    return datetime.now(UTC)


_RENAMED: dict[str, type[Event]] = {}


def renamed_event(topic: str) -> type[Event] | None:
    """The class now stored under ``topic`` when it was renamed, else None."""
    return _RENAMED.get(topic)


def stored_name(event_class: type[Event]) -> str:
    """The name an event is known by outside the code (the audit trail's ``type``): the class
    name in its stored topic, so renaming a class does not rename its events for clients."""
    return stored_topic(event_class).rpartition(":")[2]


def stored_topic(event_class: type[Event]) -> str:
    """The topic an event class is stored and selected under: ``module:QualName`` (as the
    eventsourcing library names it) unless the class was renamed and keeps its old one."""
    stored_as = event_class.__dict__.get("stored_as")
    return stored_as if stored_as else f"{event_class.__module__}:{event_class.__qualname__}"
