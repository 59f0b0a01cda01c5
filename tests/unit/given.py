"""Given events, when a command, then these events: aggregate tests that read as specifications.

    given(event(PlanCreated, name="Drakes", ...)).when(lambda plan: plan.rename("Ships", META)).then(
        event(PlanRenamed, name="Ships")
    )

``event(Class, **fields)`` names an event by its class and the payload fields the spec cares
about; the envelope (aggregate id, version, timestamp, metadata) is filled in for the history
and checked for what the command records, so specs never spell ids or clocks. ``then``
compares the recorded events' exact classes and the fields named; ``then_nothing`` says the
command was an idempotent no-op; ``then_refused`` says which error, and that nothing was
recorded. A creation command receives None and returns the new aggregate. Where a history
holds what a spec cannot spell (a random roll, a content hash), ``history_of`` takes it from
an aggregate the commands themselves built.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
import pytest

from domain.aggregate import Aggregate, replay
from domain.events import CommandMeta, Event

OWNER = UUID(int=1)
AGGREGATE_ID = UUID(int=2)
META = CommandMeta(user_id=OWNER, correlation_id="spec")
_WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "meta"})


class ExpectedEvent:
    """An event's class and the payload fields a spec names (the rest is not compared)."""

    def __init__(self, event_class: type[Event], fields: dict[str, Any]) -> None:
        self.event_class = event_class
        self.fields = fields

    def recorded(self, aggregate_id: UUID, version: int) -> Event:
        """The event as the history holds it (for ``given``): every field named."""
        return self.event_class(
            originator_id=aggregate_id, originator_version=version, timestamp=_WHEN, meta=META, **self.fields
        )

    def differences(self, actual: Event) -> list[str]:
        if type(actual) is not self.event_class:
            return [f"{type(actual).__name__} recorded, {self.event_class.__name__} expected"]
        return [
            f"{self.event_class.__name__}.{name}: {getattr(actual, name)!r} recorded, {value!r} expected"
            for name, value in self.fields.items()
            if getattr(actual, name) != value
        ]


def event(event_class: type[Event], **fields: Any) -> ExpectedEvent:
    return ExpectedEvent(event_class, fields)


class Given:
    def __init__(self, history: tuple[ExpectedEvent, ...], aggregate_id: UUID) -> None:
        events = [fact.recorded(aggregate_id, version) for version, fact in enumerate(history, start=1)]
        self.aggregate: Any = replay(None, events)

    def when(self, command: Callable[[Any], Any]) -> When:
        return When(self.aggregate, command)


class When:
    def __init__(self, aggregate: Aggregate | None, command: Callable[[Any], Any]) -> None:
        self.aggregate = aggregate
        self.command = command

    def then(self, *expected: ExpectedEvent) -> Any:
        """The command records exactly ``expected``, in order; returns the aggregate after it."""
        before = self.aggregate.version if self.aggregate is not None else 0
        result = self.command(self.aggregate)
        aggregate = result if isinstance(result, Aggregate) else self.aggregate
        assert aggregate is not None, "a creation command returns the new aggregate"
        recorded = aggregate.collect_events()
        names = [type(actual).__name__ for actual in recorded]
        assert len(recorded) == len(expected), (
            f"recorded {names}, expected {[e.event_class.__name__ for e in expected]}"
        )
        problems = [
            problem for want, actual in zip(expected, recorded, strict=True) for problem in want.differences(actual)
        ]
        assert not problems, "\n".join(problems)
        for version, actual in enumerate(recorded, start=before + 1):
            assert (actual.originator_id, actual.originator_version) == (aggregate.id, version)
            assert actual.meta == META
        return aggregate

    def then_nothing(self) -> Any:
        """An idempotent no-op: the command records nothing."""
        return self.then()

    def then_refused(self, error: type[Exception], match: str | None = None) -> Exception:
        """The command raises ``error`` and records nothing."""
        with pytest.raises(error, match=match) as raised:
            self.command(self.aggregate)
        if self.aggregate is not None:
            assert not self.aggregate.has_pending_events, "a refused command records nothing"
        return raised.value


def history_of(aggregate: Aggregate) -> tuple[ExpectedEvent, ...]:
    """The events ``aggregate`` has not saved yet, as a history for ``given`` (every payload field)."""
    return tuple(
        ExpectedEvent(type(recorded), {k: v for k, v in msgspec.structs.asdict(recorded).items() if k not in _ENVELOPE})
        for recorded in aggregate.collect_events()
    )


def given(*history: ExpectedEvent, aggregate_id: UUID = AGGREGATE_ID) -> Given:
    return Given(history, aggregate_id)
