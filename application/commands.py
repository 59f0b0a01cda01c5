"""Running a command against one aggregate with optimistic concurrency.

A command loads the aggregate, checks the version the caller expects (if any), decides, and
saves. If another writer saved first, the save collides on (aggregate id, version) in the
event store; the command is then retried on the fresh state, where an expected version no
longer matches and becomes a 409. No update is ever silently overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from application.event_store import EventStore
from domain.aggregate import Aggregate
from domain.errors import Conflict

A = TypeVar("A", bound=Aggregate)

MAX_ATTEMPTS = 8


class CommandResult(msgspec.Struct, Generic[A], frozen=True):
    aggregate: A
    # Log position of the command's last event (or the log head if it changed nothing):
    # a query given it as minPosition sees this command's effect.
    position: int
    changed: bool


def update_aggregate(
    store: EventStore,
    aggregate_class: type[A],
    aggregate_id: UUID,
    user_id: UUID,
    decide: Callable[[A], object],
    expected_version: int | None = None,
) -> CommandResult[A]:
    """Load, check ownership and expected version, apply ``decide``, save; retry on collision."""
    for _ in range(MAX_ATTEMPTS):
        aggregate = store.load(aggregate_id, aggregate_class)
        aggregate.ensure_owned_by(user_id)
        if expected_version is not None and aggregate.version != expected_version:
            raise Conflict(
                f"expected version {expected_version}, but the current version is {aggregate.version}",
                "If-Match",
                current_version=aggregate.version,
            )
        decide(aggregate)
        if not aggregate.has_pending_events:
            return CommandResult(aggregate, store.head(), changed=False)
        try:
            position = store.save_events(aggregate)
        except IntegrityError:
            continue
        return CommandResult(aggregate, position, changed=True)
    raise Conflict("the aggregate is being changed by others too often; try again", None)


def create_aggregate(store: EventStore, aggregate: A, what: str) -> CommandResult[A]:
    """Save a new aggregate; an existing one with the same id is a 409."""
    try:
        position = store.save_events(aggregate)
    except IntegrityError:
        raise Conflict(f"{what} already exists", None, current_version=None) from None
    return CommandResult(aggregate, position, changed=True)
