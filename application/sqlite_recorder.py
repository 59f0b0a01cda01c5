"""The SQLite event recorder: a save's events in one statement, and a look-up of one stored
event's log position (how a save recognises its own landed events).

eventsourcing records a save as ``BEGIN``, one ``INSERT`` per event and ``COMMIT``: a call into
SQLite each, and each lets go of the GIL and must take it back. In the server the group
committer takes it back from the event loop, the handler threads and the projection runner,
and each time it waited: a group commit of four or five commands took about 5 ms, of which
0.9 ms was its own CPU and 0.4 ms the WAL's fsync (BENCHMARKS.md, "The command path", third
pass). One ``INSERT`` of all the rows, in autocommit mode, is a transaction of its own in
SQLite (every row or none: a collision fails the whole statement), and its begin, its rows and
its commit with the fsync run in one call: the GIL is let go once and taken back once. A save
needs about 15% less CPU (one event: 230-280 µs against 290-300), and the server's group commit
3.5-4.3 ms instead of 5-7; the server's config updates per second did not measurably change
(the GIL is wanted elsewhere too). A save too large for one statement's variables (a catalog
import) is the library's own transaction.

The rows' log positions: the log is a rowid table that is only ever appended to, and SQLite
gives a new row the largest rowid plus one, so the rows of one statement, which holds the
write lock throughout, are numbered consecutively up to its ``lastrowid``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder

from application import sqlite_inserts
from application.log_rows import LogRow

COLUMNS = ("originator_id", "originator_version", "topic", "state")
# The library's translation of SQLite's errors (``SQLiteTransaction.__exit__``), in its order:
# subclasses before the classes they derive from.
_ERRORS: tuple[tuple[type[sqlite3.Error], type[PersistenceError]], ...] = (
    (sqlite3.InterfaceError, InterfaceError),
    (sqlite3.DataError, DataError),
    (sqlite3.OperationalError, OperationalError),
    (sqlite3.IntegrityError, IntegrityError),
    (sqlite3.InternalError, InternalError),
    (sqlite3.ProgrammingError, ProgrammingError),
    (sqlite3.NotSupportedError, NotSupportedError),
    (sqlite3.DatabaseError, DatabaseError),
    (sqlite3.Error, PersistenceError),
)


class SQLiteRecorder(SQLiteApplicationRecorder):
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        count = len(stored_events)
        if not count or count * len(COLUMNS) > sqlite_inserts.variable_limit():
            return super().insert_events(stored_events, **kwargs)  # BEGIN, a statement per event, COMMIT
        values = [
            value
            for event in stored_events
            for value in (
                event.originator_id.hex if isinstance(event.originator_id, UUID) else event.originator_id,
                event.originator_version,
                event.topic,
                event.state,
            )
        ]
        with self.datastore.get_connection(commit=True) as connection, connection.cursor() as cursor:
            try:
                cursor.execute(sqlite_inserts.insert_statement(self.events_table_name, COLUMNS, count), values)
            except sqlite3.Error as error:
                raise _persistence_error(error) from error
            last = cursor.lastrowid
        assert last is not None  # an INSERT that succeeded
        return list(range(last - count + 1, last + 1))

    def select_log(self, start: int, limit: int, stop: int, topics: Sequence[str] = ()) -> list[LogRow]:
        """``select_notifications`` as plain tuples (``application.log_rows``)."""
        topic_filter = f" AND topic IN ({','.join('?' * len(topics))})" if topics else ""
        statement = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name}"
            f" WHERE rowid >= ? AND rowid <= ?{topic_filter} ORDER BY rowid LIMIT ?"
        )
        with self.datastore.get_connection(commit=False) as connection, connection.cursor() as cursor:
            cursor.row_factory = None  # tuples, not the connection's ``sqlite3.Row``
            try:
                cursor.execute(statement, (start, stop, *topics, limit))  # one statement: its own snapshot
                rows: list[LogRow] = cursor.fetchall()
            except sqlite3.Error as error:
                raise _persistence_error(error) from error
        return rows

    def stored_at(self, originator_id: UUID, version: int) -> tuple[int, bytes] | None:
        """(log position, state) of the stored event at ``version`` of an aggregate, or None."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT rowid, state FROM {self.events_table_name} WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = cursor.fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))


def _persistence_error(error: sqlite3.Error) -> PersistenceError:
    """The library's error for SQLite's, as its own transactions raise them."""
    return next(raised(error) for found, raised in _ERRORS if isinstance(error, found))
