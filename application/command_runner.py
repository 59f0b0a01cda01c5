"""Running a command against one aggregate with optimistic concurrency.

A command loads the aggregate, checks the version the caller expects (if any), decides, and
saves. Within one process, commands on the same aggregate take turns (a striped lock), so
hot aggregates do not livelock. Across processes, a writer that saved first makes the other
save collide on (aggregate id, version) in the event store; that command is retried on the
fresh state (with jittered backoff), where an expected version no longer matches and
becomes a 409. No update is ever silently overwritten. Loads come from the event store's
cache, which another process's write can leave stale: a collision, or a version that does
not match what the caller expects, is checked again on fresh state before it is believed.

A collision with the command's own events (its COMMIT landed but the answer was lost, and
the library inserted again) never reaches these runners: the event store recognises them
by the command id in their metadata and answers the save as done, so a command is never
decided twice and never answers 409 naming the version it wrote itself.

These runners run in a thread or, for the routes that ask, on the event loop
(``application.on_loop``): a turn's lock, a retry's pause, a load that misses the cache and
the commit are then awaited, and the same code serves both.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from typing import Generic, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from application.event_store import EventStore
from application.on_loop import acquire, pause
from domain.aggregate import Aggregate
from domain.errors import Conflict

A = TypeVar("A", bound=Aggregate)

MAX_ATTEMPTS = 20
_STRIPES = [threading.Lock() for _ in range(256)]


def _stripe(aggregate_id: UUID) -> threading.Lock:
    return _STRIPES[aggregate_id.int % len(_STRIPES)]


class CommandResult(msgspec.Struct, Generic[A], frozen=True):
    aggregate: A
    # Log position of the command's last event (or the log head if it changed nothing):
    # a query given it as minPosition sees this command's effect.
    position: int
    changed: bool


def _take_turn(stack: ExitStack, aggregate_ids: Iterable[UUID]) -> None:
    """Hold the locks of ``aggregate_ids`` (in one order everywhere) until ``stack`` closes."""
    locks = {id(lock): lock for lock in map(_stripe, aggregate_ids)}
    for _, lock in sorted(locks.items()):
        acquire(lock)
        stack.callback(lock.release)


def _back_off(attempt: int) -> None:
    pause(random.uniform(0, min(0.001 * 2**attempt, 0.05)))


def update_aggregate(
    store: EventStore,
    aggregate_class: type[A],
    aggregate_id: UUID,
    user_id: UUID,
    decide: Callable[[A], object],
    expected_version: int | None = None,
) -> CommandResult[A]:
    """Load, check ownership and expected version, apply ``decide``, save; retry on collision."""
    with ExitStack() as stack:
        _take_turn(stack, [aggregate_id])
        for attempt in range(MAX_ATTEMPTS):
            result = _attempt(store, aggregate_class, aggregate_id, user_id, decide, expected_version)
            if result is not None:
                return result
            _back_off(attempt)
    raise Conflict("the aggregate is being changed by others too often; try again", None)


def load_expecting(
    store: EventStore, aggregate_class: type[A], aggregate_id: UUID, user_id: UUID, expected_version: int | None
) -> A:
    """The user's aggregate, at the version the caller expects (If-Match) or a 409 naming the
    current one; a mismatch is checked again on fresh state, since the cache may be behind."""
    aggregate = store.load(aggregate_id, aggregate_class)
    aggregate.ensure_owned_by(user_id)
    if expected_version is not None and aggregate.version != expected_version:
        aggregate = store.load(aggregate_id, aggregate_class, fresh=True)
    if expected_version is not None and aggregate.version != expected_version:
        raise Conflict(
            f"expected version {expected_version}, but the current version is {aggregate.version}",
            "expected_version",
            current_version=aggregate.version,
        )
    return aggregate


def _attempt(
    store: EventStore,
    aggregate_class: type[A],
    aggregate_id: UUID,
    user_id: UUID,
    decide: Callable[[A], object],
    expected_version: int | None,
) -> CommandResult[A] | None:
    """One try; None if another process saved this aggregate first."""
    aggregate = load_expecting(store, aggregate_class, aggregate_id, user_id, expected_version)
    decide(aggregate)
    if not aggregate.has_pending_events:
        return CommandResult(aggregate, store.head(), changed=False)
    try:
        position = store.save_events(aggregate)
    except IntegrityError:
        store.forget(aggregate_id)
        return None
    return CommandResult(aggregate, position, changed=True)


def create_aggregate(store: EventStore, aggregate: A, what: str, *companions: Aggregate) -> CommandResult[A]:
    """Save a new aggregate (with new ``companions`` in the same transaction, e.g. the claim
    on a user's name); an existing one with the same id is a 409 (unless it is this very
    command's creation, landed on an earlier try: then it is this command's success)."""
    try:
        position = store.save_events(aggregate, *companions)
    except IntegrityError:
        raise Conflict(f"{what} already exists", None, current_version=None) from None
    return CommandResult(aggregate, position, changed=True)


R = TypeVar("R")


def save_atomically(
    store: EventStore,
    touched: Sequence[UUID],
    decide: Callable[[], tuple[Sequence[Aggregate], R]],
) -> tuple[R, int]:
    """A command over several aggregates, saved in one transaction: everything or nothing.

    ``decide`` loads what it needs, changes or creates aggregates and returns them with its
    answer. Commands touching the same existing aggregates (``touched``) take turns in this
    process; a collision with another process retries ``decide`` on fresh state.
    """
    with ExitStack() as stack:
        _take_turn(stack, touched)
        for attempt in range(MAX_ATTEMPTS):
            aggregates, answer = decide()
            try:
                return answer, store.save_events(*aggregates)
            except IntegrityError:
                for aggregate in aggregates:
                    store.forget(aggregate.id)
                for aggregate_id in touched:
                    store.forget(aggregate_id)
            _back_off(attempt)
    raise Conflict("the data is being changed by others too often; try again", None)
