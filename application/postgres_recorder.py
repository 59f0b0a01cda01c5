"""The PostgreSQL event recorder, with a way around a pipeline stall on large saves.

eventsourcing inserts a save's events with one statement inside a psycopg pipeline. With a
save of several megabytes (a catalog import), client and server ended up each waiting to
read from the other (PostgreSQL showed the INSERT active in ClientRead; compare psycopg
issue #685). Large saves therefore take the same statements without the pipeline: a few
more round trips, for a save that happens once per import. Ordinary commands keep the
pipelined path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

PIPELINE_LIMIT_BYTES = 512 * 1024


class PostgresRecorder(PostgresApplicationRecorder):
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if sum(len(event.state) for event in stored_events) <= PIPELINE_LIMIT_BYTES:
            return super().insert_events(stored_events, **kwargs)
        with self.datastore.get_connection() as connection, connection.transaction(), connection.cursor() as cursor:
            self._insert_stored_events(cursor, stored_events, **kwargs)  # lock, notify, insert
            return self._fetch_ids_after_insert_events(cursor, stored_events, **kwargs)
