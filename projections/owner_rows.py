"""A batch's view of one read-model table whose rows belong to owners (``owner_id``): what the
batch read of them and what it changed, written once at the batch's end.

A projection that applied each event with its own statements paid several round trips per
event; a rebuild of a store of millions of events spent hours in them. Folding the batch
in memory instead, a handler reads an owner's rows once (all of them, or some items' of a
large table) and changes them in memory, and the batch ends with a few statements per table:
the owners emptied, then the keys changed deleted, then their rows as they ended inserted
(``COPY`` on PostgreSQL). Later events of the batch see the earlier ones' changes, as they
saw the rows the earlier statements wrote.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Table, select

from projections.keyed import delete_keys
from projections.readmodel import insert_rows

Key = tuple[Any, ...]
Row = dict[str, Any]
CHUNK = 2000  # keys per statement (SQLite's bound parameters are limited)


class OwnerRows:
    """One table's rows of the owners a batch touches, keyed by the rest of its primary key.
    ``scope`` names the column by whose values a large owner's rows are read a few at a time
    (``item_type_id``); without it an owner's rows are read whole."""

    def __init__(self, table: Table, scope: str | None = None) -> None:
        self.table = table
        self.key = tuple(column.name for column in table.primary_key.columns if column.name != "owner_id")
        self.scope = scope
        self._rows: dict[UUID, dict[Key, Row]] = {}
        self._whole: set[UUID] = set()  # owners whose every row is in ``_rows``
        self._read: dict[UUID, set[Any]] = {}  # scope values read, of the other owners
        self._stored: dict[UUID, set[Key]] = {}  # keys read from the table
        self._dirty: dict[UUID, set[Key]] = {}  # keys to delete and write again
        self._cleared: set[UUID] = set()  # owners whose stored rows all go

    def key_of(self, row: Row) -> Key:
        return tuple(row[name] for name in self.key)

    def put(self, owner: UUID, row: Row) -> None:
        key = self.key_of(row)
        self._rows.setdefault(owner, {})[key] = row
        self._dirty.setdefault(owner, set()).add(key)

    def remove(self, owner: UUID, key: Key) -> None:
        self._rows.setdefault(owner, {}).pop(key, None)
        self._dirty.setdefault(owner, set()).add(key)

    def clear(self, owner: UUID) -> None:
        """Every row of the owner goes (those stored and those the batch added)."""
        self._rows[owner], self._dirty[owner] = {}, set()
        self._cleared.add(owner)
        self._whole.add(owner)

    def replace(self, owner: UUID, rows: Iterable[Row]) -> None:
        self.clear(owner)
        for row in rows:
            self.put(owner, row)

    def load(self, connection: Connection, owners: Collection[UUID]) -> None:
        """Read the rows of these owners in one statement per chunk (a batch's many owners)."""
        wanted = [owner for owner in owners if owner not in self._whole]
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            self._merge(connection.execute(select(self.table).where(self.table.c.owner_id.in_(chunk))))
            self._whole.update(chunk)

    def note_empty(self, connection: Connection, owners: Collection[UUID]) -> None:
        """Find which of these owners have no stored rows (one statement per chunk): they are
        read whole, and never again a few items at a time."""
        wanted = [owner for owner in owners if owner not in self._whole]
        column = self.table.c.owner_id
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            stored = set(connection.execute(select(column).where(column.in_(chunk)).distinct()).scalars())
            self._whole.update(owner for owner in chunk if owner not in stored)

    def whole(self, connection: Connection, owner: UUID) -> dict[Key, Row]:
        """The owner's rows as the batch has left them so far."""
        if owner not in self._whole:
            self.load(connection, [owner])
        return self._rows.setdefault(owner, {})

    def some(self, connection: Connection, owner: UUID, values: Collection[Any]) -> dict[Key, Row]:
        """The owner's rows whose ``scope`` column is one of ``values``."""
        assert self.scope is not None
        if owner not in self._whole:
            read = self._read.setdefault(owner, set())
            missing = sorted(set(values) - read)
            column, table = self.table.c[self.scope], self.table
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                self._merge(connection.execute(select(table).where(table.c.owner_id == owner, column.in_(chunk))))
            read.update(missing)
        wanted = set(values)
        rows = self._rows.get(owner, {})
        return {key: row for key, row in rows.items() if row[self.scope] in wanted}

    def _merge(self, rows: Iterable[Any]) -> None:
        """Stored rows, unless the batch has changed them."""
        for stored in rows:
            row = dict(stored._mapping)
            owner, key = row["owner_id"], self.key_of(row)
            self._stored.setdefault(owner, set()).add(key)
            if key not in self._dirty.get(owner, ()):
                self._rows.setdefault(owner, {})[key] = row

    def stale_keys(self) -> dict[UUID, set[Key]]:
        """The changed keys that may be stored (of owners read whole, only those read), but
        those of the owners cleared."""
        stored, whole, cleared = self._stored, self._whole, self._cleared
        return {
            owner: keys & stored.get(owner, set()) if owner in whole else keys
            for owner, keys in self._dirty.items()
            if owner not in cleared
        }

    def cleared(self) -> set[UUID]:
        return self._cleared

    def written(self) -> dict[UUID, list[Row]]:
        """The rows of the changed keys, as the batch left them, by owner."""
        rows = self._rows
        return {
            owner: [row for key in keys if (row := rows[owner].get(key)) is not None]
            for owner, keys in self._dirty.items()
        }

    def write(self, connection: Connection) -> None:
        """The owners cleared emptied, the changed keys deleted, and their rows inserted."""
        delete_owners(connection, self.table, self._cleared)
        delete_owner_keys(connection, self.table, self.key, self.stale_keys())
        insert_rows(connection, self.table, [row for rows in self.written().values() for row in rows])


def delete_owners(connection: Connection, table: Table, owners: Collection[UUID]) -> None:
    """Delete every row of these owners."""
    delete_keys(connection, table, ("owner_id",), [(owner,) for owner in owners])


def delete_owner_keys(connection: Connection, table: Table, key: tuple[str, ...], keys: dict[UUID, set[Key]]) -> None:
    """Delete the rows of each owner's ``keys`` (``key`` names their columns, beside ``owner_id``)."""
    owned = [(owner, *values) for owner, some in keys.items() for values in some]
    delete_keys(connection, table, ("owner_id", *key), owned)
