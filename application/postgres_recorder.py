"""The PostgreSQL event recorder, with a way around a pipeline stall on large saves, and a
look-up of one stored event's log position (how a save recognises its own landed events).

eventsourcing inserts a save's events with one statement inside a psycopg pipeline. With a
save of several megabytes (a catalog import), client and server ended up each waiting to
read from the other (PostgreSQL showed the INSERT active in ClientRead; compare psycopg
issue #685). Large saves therefore take the same statements without the pipeline: a few
more round trips, for a save that happens once per import. Ordinary commands keep the
pipelined path.

The library creates its tables, indexes and functions at every start (``IF NOT EXISTS``); two
processes starting at once raced in PostgreSQL's catalog ("tuple concurrently updated"), so
those statements run under a transaction-level advisory lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from application.log_rows import LogRow

PIPELINE_LIMIT_BYTES = 512 * 1024
SCHEMA_LOCK = 72430003  # pg_advisory_xact_lock key: the event store's schema statements


class PostgresRecorder(PostgresApplicationRecorder):
    def _create_table(self, curs: Cursor[DictRow]) -> None:
        curs.execute(SQL("SELECT pg_advisory_xact_lock(%s)"), (SCHEMA_LOCK,))
        super()._create_table(curs)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if sum(len(event.state) for event in stored_events) <= PIPELINE_LIMIT_BYTES:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)  # untyped: @retry
            return ids
        with self.datastore.get_connection() as connection, connection.transaction(), connection.cursor() as cursor:
            self._insert_stored_events(cursor, stored_events, **kwargs)  # lock, notify, insert
            return self._fetch_ids_after_insert_events(cursor, stored_events, **kwargs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_log(self, start: int, limit: int, stop: int, topics: Sequence[str] = ()) -> list[LogRow]:
        """``select_notifications`` as plain tuples (``application.log_rows``)."""
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {schema}.{table}"
            " WHERE notification_id >= %s AND notification_id <= %s{topic_filter}"
            " ORDER BY notification_id LIMIT %s"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            topic_filter=SQL(" AND topic = ANY(%s)" if topics else ""),
        )
        parameters = (start, stop, list(topics), limit) if topics else (start, stop, limit)
        with self.datastore.get_connection() as connection, connection.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, parameters, prepare=True)
            rows: list[LogRow] = cursor.fetchall()
        return rows

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def stored_at(self, originator_id: UUID, version: int) -> tuple[int, bytes] | None:
        """(log position, state) of the stored event at ``version`` of an aggregate, or None."""
        statement = SQL(
            "SELECT notification_id, state FROM {schema}.{table} WHERE originator_id = %s AND originator_version = %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (originator_id, version))
            row = cursor.fetchone()
        return None if row is None else (int(row["notification_id"]), bytes(row["state"]))
