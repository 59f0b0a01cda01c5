"""The event log as the projections read it: plain rows, not the library's notifications.

``select_notifications`` gives a ``Notification`` per event: a frozen dataclass (each field set
through ``object.__setattr__``), read from SQLite through ``sqlite3.Row`` by column name, with
the originator id parsed into a ``UUID`` by Python code. The projections decode the event's
state, which holds its originator id already (decoded by msgspec), so all of that is spent on
nothing. On SQLite, reading and decoding 20,202 events that way took 150-185 ms, against
79-94 ms for the same rows as plain tuples; rebuilds of them, alternated in one process, went
from 357-400 ms to 285-296 (medians; BENCHMARKS.md, "Sixth pass"). ``select_log`` answers
what ``select_notifications`` answers (the same rows, in the same order), as tuples straight
from the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

LogRow = tuple[int, UUID | str, int, str, bytes]
"""(log position, originator id, originator version, topic, state). The originator id is as
the driver gives it: a ``UUID`` from PostgreSQL, its text from SQLite (see ``originator_uuid``)."""


@runtime_checkable
class LogReader(Protocol):
    def select_log(self, start: int, limit: int, stop: int, topics: Sequence[str] = ()) -> list[LogRow]:
        """Up to ``limit`` rows from position ``start`` to ``stop`` (both included), in log
        order; only those of ``topics`` if any are given."""
        ...


def originator_uuid(originator_id: UUID | str) -> UUID:
    return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)


class NotificationRows:
    """A log reader over a recorder without ``select_log`` of its own (the in-memory one)."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self._recorder = recorder

    def select_log(self, start: int, limit: int, stop: int, topics: Sequence[str] = ()) -> list[LogRow]:
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in self._recorder.select_notifications(start=start, limit=limit, stop=stop, topics=topics)
        ]


def log_reader(recorder: ApplicationRecorder) -> LogReader:
    """The recorder itself where it reads rows directly (SQLite, PostgreSQL)."""
    return recorder if isinstance(recorder, LogReader) else NotificationRows(recorder)
