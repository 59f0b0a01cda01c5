"""A batch's view of one read-model table whose rows are found by key (an aggregate's id) or by
a few other columns: what the batch read of them and what it changed, written once at its end.

The sibling of ``projections.owner_rows`` for tables whose rows are an aggregate's each (a
plan, a run, a job): a handler reads a row by key or the rows of a column's value (a run's
jobs), in memory once read, and changes them there; reads are gathered for the whole batch
beforehand where the events say what they will read (``load``), and made one at a time only
for what that missed. The batch ends with the keys it changed deleted (only those that may be
stored) and their rows as they ended inserted: ``COPY`` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, select

from projections.keyed import delete_keys
from projections.readmodel import insert_rows

Key = tuple[Any, ...]
Row = dict[str, Any]
CHUNK = 2000  # values per statement (SQLite's bound parameters are limited)


class KeyedRows:
    """One table's rows a batch has read or written, by ``key`` (column names), with an index
    of each of ``indexed`` columns, to find rows by their value (``find``)."""

    def __init__(
        self, connection: Connection, table: Table, key: tuple[str, ...], indexed: tuple[str, ...] = ()
    ) -> None:
        self.connection = connection
        self.table = table
        self.key = key
        self._rows: dict[Key, Row] = {}
        self._index: dict[str, dict[Any, set[Key]]] = {column: {} for column in indexed}
        self._loaded: set[tuple[str, Any]] = set()  # (column, value): every stored row of it was read
        self._stored: set[Key] = set()  # keys read from the table
        self._dirty: set[Key] = set()  # keys to delete and write again

    def key_of(self, row: Row) -> Key:
        return tuple(row[name] for name in self.key)

    # ----------------------------------------------------------------- reading

    def load(self, column: str, values: Iterable[Any]) -> None:
        """Read every stored row whose ``column`` is one of ``values``, one statement per chunk."""
        wanted = sorted({value for value in values if value is not None and (column, value) not in self._loaded})
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            self._merge(self.connection.execute(select(self.table).where(self.table.c[column].in_(chunk))))
            self._loaded.update((column, value) for value in chunk)

    def get(self, *key: Any) -> Row | None:
        """The row of ``key`` as the batch has left it so far (None: there is none)."""
        row = self._rows.get(key)
        if row is None and key not in self._dirty and not self._covered(key):
            self.load(self.key[0], [key[0]])
            row = self._rows.get(key)
        return row

    def find(self, column: str, value: Any) -> list[Row]:
        """The rows whose ``column`` (an indexed one) is ``value``, as the batch has left them."""
        if (column, value) not in self._loaded:
            self.load(column, [value])
        rows = self._rows
        return [rows[key] for key in self._index[column].get(value, ())]

    def _covered(self, key: Key) -> bool:
        """Whether a load read every stored row that could have this key."""
        loaded = self._loaded
        return any((name, value) in loaded for name, value in zip(self.key, key, strict=True))

    def _merge(self, rows: Iterable[Any]) -> None:
        """Stored rows, unless the batch has changed them."""
        for stored in rows:
            row = dict(stored._mapping)
            key = self.key_of(row)
            self._stored.add(key)
            if key not in self._dirty and key not in self._rows:
                self._set(key, row)

    # ----------------------------------------------------------------- changing

    def put(self, row: Row) -> None:
        key = self.key_of(row)
        self._unset(key)
        self._set(key, row)
        self._dirty.add(key)

    def update(self, row: Row, **values: Any) -> Row:
        """The row with ``values`` set (a new row: indexes follow)."""
        changed = {**row, **values}
        self.put(changed)
        return changed

    def remove(self, *key: Any) -> None:
        self._unset(key)
        self._dirty.add(key)

    def _set(self, key: Key, row: Row) -> None:
        self._rows[key] = row
        for column, index in self._index.items():
            index.setdefault(row[column], set()).add(key)

    def _unset(self, key: Key) -> None:
        row = self._rows.pop(key, None)
        if row is not None:
            for column, index in self._index.items():
                index[row[column]].discard(key)

    # ----------------------------------------------------------------- writing

    def values(self, column: str) -> set[Any]:
        """The values of ``column`` in the rows read or written so far."""
        return {row[column] for row in self._rows.values()}

    def write(self) -> None:
        """Delete the changed keys that may be stored, then insert their rows."""
        stale = [key for key in self._dirty if key in self._stored or not self._covered(key)]
        delete_keys(self.connection, self.table, self.key, stale)
        rows = self._rows
        insert_rows(self.connection, self.table, [rows[key] for key in self._dirty if key in rows])
