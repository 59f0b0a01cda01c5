"""Dead letters: the events a projection could not apply, set aside so the projection moves on.

One bad event (an id too large for its column, a string PostgreSQL refuses, a bug in a
projection) used to stop its projection for every user, forever. Now the runtime records such
an event here (with its generation, log position, aggregate, user and error) in the same
transaction as the position that moves past it. Later events of the same aggregate are parked
behind it (recorded here too), so that ``retry`` replays the aggregate's events in order once
the cause is fixed and nothing is ever applied out of order; other aggregates go on.

Only faults of the event count. An unreachable database, a lock timeout, a dropped connection
(``OperationalError`` and kin) dead-letter nothing: the runner keeps retrying as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
import psycopg
from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy import exc as sa_exc

from application.log_rows import LogRow, originator_uuid
from application.mapper import decode_event
from domain.events import Event
from projections.tracking import dead_letters, positions, registry

MAX_ERROR_CHARS = 2000

# Errors of the database or the connection, never of one event: retried, never dead-lettered.
# (COPY on PostgreSQL and raw driver calls raise the driver's own classes, unwrapped.)
_INFRASTRUCTURE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    sqlite3.InterfaceError,
    ConnectionError,
    TimeoutError,
    MemoryError,
)


def blames_the_event(error: BaseException) -> bool:
    """True when applying the event failed because of the event (or the projection's code on
    it), so that setting it aside lets the projection go on; False for the database's own
    trouble, which retrying the same work may get past."""
    if isinstance(error, _INFRASTRUCTURE):
        return False
    return not (isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated)


def describe(error: BaseException) -> str:
    """One line for the operator: the driver's message, not SQLAlchemy's wrapper with the
    statement and its parameters."""
    cause = error.orig if isinstance(error, sa_exc.DBAPIError) and error.orig is not None else error
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first_line}"[:MAX_ERROR_CHARS]


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # the projection
    generation: int
    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    user_id: UUID | None
    error: str
    attempts: int  # 0: parked behind an earlier dead letter of the aggregate, never tried
    failed_at: datetime


class LoggedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A notification of the log as the runtime applies it: decoded, or with why it cannot be."""

    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    user_id: UUID | None
    event: Event | None
    error: str | None  # set when the event cannot be decoded

    @classmethod
    def read(cls, row: LogRow) -> LoggedEvent:
        """The row decoded. The originator id is the event's own (decoded with it), which is
        what the stored column was written from; only an event that cannot be decoded has its
        id parsed from the row."""
        position, originator_id, originator_version, topic, state = row
        event: Event | None = None
        error: str | None = None
        try:
            event = decode_event(topic, state)
        except Exception as failure:  # a stored event this code cannot read is a fault of the event
            error = f"cannot decode: {describe(failure)}"
        return cls(
            position=position,
            originator_id=event.originator_id if event is not None else originator_uuid(originator_id),
            originator_version=originator_version,
            topic=topic,
            user_id=event.meta.user_id if event is not None else _user_of(state),
            event=event,
            error=error,
        )

    def letter(self, name: str, generation: int, error: str, attempts: int) -> DeadLetter:
        return DeadLetter(
            name=name,
            generation=generation,
            position=self.position,
            originator_id=self.originator_id,
            originator_version=self.originator_version,
            topic=self.topic,
            user_id=self.user_id,
            error=error[:MAX_ERROR_CHARS],
            attempts=attempts,
            failed_at=_now(),
        )


def parked_reason(position: int) -> str:
    return f"parked: an earlier event of this aggregate (position {position}) is a dead letter"


class _Meta(msgspec.Struct):
    user_id: UUID | None = None


class _Stored(msgspec.Struct):
    meta: _Meta = msgspec.field(default_factory=_Meta)


def _user_of(state: bytes) -> UUID | None:
    try:
        return msgspec.json.decode(state, type=_Stored).meta.user_id
    except msgspec.DecodeError:
        return None


class RetryOutcome(msgspec.Struct, frozen=True, kw_only=True):
    letter: DeadLetter  # as it is after the retry (as it was, if applied)
    result: Literal["applied", "failed", "parked"]


# ------------------------------------------------------------------ the table


def record(connection: Connection, letters: Sequence[DeadLetter]) -> None:
    connection.execute(dead_letters.insert(), [msgspec.structs.asdict(letter) for letter in letters])
    for name, generation in {(letter.name, letter.generation) for letter in letters}:
        recount(connection, name, generation)


def parked_aggregates(connection: Connection, name: str, generation: int) -> dict[UUID, int]:
    """Each aggregate with a dead letter in the generation -> the position of its first one."""
    query = (
        select(dead_letters.c.originator_id, func.min(dead_letters.c.position))
        .where(dead_letters.c.name == name, dead_letters.c.generation == generation)
        .group_by(dead_letters.c.originator_id)
    )
    return {originator_id: position for originator_id, position in connection.execute(query)}


def of_generation(connection: Connection, name: str, generation: int) -> list[DeadLetter]:
    query = (
        select(dead_letters)
        .where(dead_letters.c.name == name, dead_letters.c.generation == generation)
        .order_by(dead_letters.c.position)
    )
    return [DeadLetter(**row._asdict()) for row in connection.execute(query)]


def of_live_generations(
    connection: Connection, names: Iterable[str] | None = None, limit: int | None = None
) -> list[DeadLetter]:
    """The dead letters of the generations that serve reads, by projection and position (the
    first ``limit``: once an aggregate has one, each later event of it is parked as another)."""
    query = (
        select(dead_letters)
        .join(
            registry,
            (registry.c.name == dead_letters.c.name) & (registry.c.active_generation == dead_letters.c.generation),
        )
        .order_by(dead_letters.c.name, dead_letters.c.position)
        .limit(limit)
    )
    if names is not None:
        query = query.where(dead_letters.c.name.in_(list(names)))
    return [DeadLetter(**row._asdict()) for row in connection.execute(query)]


def applied(connection: Connection, letter: DeadLetter) -> None:
    connection.execute(delete(dead_letters).where(*_key(letter)))


def failed_again(connection: Connection, letter: DeadLetter, error: str, attempts: int) -> DeadLetter:
    """Record another failure of a letter; returns the letter as it now is."""
    again = msgspec.structs.replace(
        letter, error=error[:MAX_ERROR_CHARS], attempts=letter.attempts + attempts, failed_at=_now()
    )
    connection.execute(
        update(dead_letters)
        .where(*_key(letter))
        .values(error=again.error, attempts=again.attempts, failed_at=again.failed_at)
    )
    return again


def parked_again(connection: Connection, letter: DeadLetter, behind: int) -> DeadLetter:
    """A parked letter whose blocker was applied waits behind the aggregate's next failing one."""
    again = msgspec.structs.replace(letter, error=parked_reason(behind))
    if again != letter:
        connection.execute(update(dead_letters).where(*_key(letter)).values(error=again.error))
    return again


def recount(connection: Connection, name: str, generation: int) -> None:
    """Keep the generation's count beside its position (read with it on every batch)."""
    count = (
        select(func.count())
        .select_from(dead_letters)
        .where(dead_letters.c.name == name, dead_letters.c.generation == generation)
        .scalar_subquery()
    )
    connection.execute(
        update(positions)
        .where(positions.c.name == name, positions.c.generation == generation)
        .values(dead_letters=count)
    )


def drop_generation(connection: Connection, name: str, generation: int) -> None:
    connection.execute(delete(dead_letters).where(dead_letters.c.name == name, dead_letters.c.generation == generation))


def users_with_dead_letters(connection: Connection) -> dict[str, frozenset[UUID | None]]:
    """Per projection, the users whose events its live generation set aside."""
    query = (
        select(dead_letters.c.name, dead_letters.c.user_id)
        .join(
            registry,
            (registry.c.name == dead_letters.c.name) & (registry.c.active_generation == dead_letters.c.generation),
        )
        .distinct()
    )
    users: dict[str, set[UUID | None]] = {}
    for name, user_id in connection.execute(query):
        users.setdefault(name, set()).add(user_id)
    return {name: frozenset(ids) for name, ids in users.items()}


def _key(letter: DeadLetter) -> tuple[Any, ...]:
    return (
        dead_letters.c.name == letter.name,
        dead_letters.c.generation == letter.generation,
        dead_letters.c.position == letter.position,
    )


# ------------------------------------------------------------------ the marker reads consult


class IncompleteReads:
    """Which users' reads of which projections miss set-aside events, in memory so a query
    learns it without a database round trip. The runtime replaces the whole map when it
    records or clears dead letters, and on its poll (for those other processes record)."""

    def __init__(self) -> None:
        self._users: dict[str, frozenset[UUID | None]] = {}

    def replace(self, users: dict[str, frozenset[UUID | None]]) -> None:
        self._users = users  # one assignment: a reader sees the old map or the new one

    def of(self, user_id: UUID, names: Iterable[str]) -> list[str]:
        """The projections among ``names`` whose reads are incomplete for this user, sorted."""
        users = self._users
        return sorted(name for name in set(names) if user_id in users.get(name, ()))


def _now() -> datetime:
    return datetime.now(UTC)
