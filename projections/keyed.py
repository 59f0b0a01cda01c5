"""Reads and deletes of many rows by key in one statement, for projections that fold a whole
batch in memory (``Projection.apply``): they read the rows the batch touches once, work out
the rows' final state, and write each table once (``delete_keys``, then ``insert_rows``).

PostgreSQL gets one statement joined with the keys as arrays (``unnest``): a statement per key
costs a round trip each, which made rebuilds of the market, stockpiles and economics read
models take 0.4-1.1 ms per event of the log (BENCHMARKS.md, "Growth"). SQLite, in process,
reads in chunks of keys (``IN``) and deletes with the driver's ``executemany``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table, select, tuple_

from projections.readmodel import driver_values

_CHUNK = 1000  # keys per SQLite statement: within its limit of bound values at 7 columns a key


def select_keys(
    connection: Connection, table: Table, key: Sequence[str], keys: Collection[tuple[Any, ...]], columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """The rows of ``table`` whose ``key`` columns hold one of ``keys``: each as its key's
    values, then ``columns``' values."""
    wanted = list(set(keys))
    if not wanted:
        return []
    if connection.dialect.name == "postgresql":
        selected = ", ".join(f't."{name}"' for name in (*key, *columns))
        joined = _joined(table, key, ["="] * len(key), connection.dialect, "JOIN", "ON")
        return [tuple(row) for row in connection.exec_driver_sql(f"SELECT {selected} FROM {joined}", _arrays(wanted))]
    columns_of = [table.c[name] for name in (*key, *columns)]
    matching = table.c[key[0]] if len(key) == 1 else tuple_(*(table.c[name] for name in key))
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        values = [k[0] for k in chunk] if len(key) == 1 else chunk
        found.extend(tuple(row) for row in connection.execute(select(*columns_of).where(matching.in_(values))))
    return found


def delete_keys(
    connection: Connection,
    table: Table,
    key: Sequence[str],
    keys: Collection[tuple[Any, ...]],
    older: str | None = None,
) -> None:
    """Delete the rows of ``table`` whose ``key`` columns hold one of ``keys``; with ``older``
    (a column of times), each key tuple ends with a time, and only its rows whose ``older`` is
    before that time go."""
    wanted = list(set(keys))
    if not wanted:
        return
    names = [*key, older] if older is not None else [*key]
    operators = ["="] * len(key) + (["<"] if older is not None else [])
    if connection.dialect.name == "postgresql":
        joined = _joined(table, names, operators, connection.dialect, "USING", "WHERE")
        connection.exec_driver_sql(f"DELETE FROM {joined}", _arrays(wanted))
        return
    conditions = " AND ".join(f'"{name}" {operator} ?' for name, operator in zip(names, operators, strict=True))
    parameters = driver_values(connection.dialect, table, tuple(names), wanted)
    connection.exec_driver_sql(f'DELETE FROM "{table.name}" WHERE {conditions}', parameters)


def _joined(table: Table, names: Sequence[str], operators: Sequence[str], dialect: Dialect, join: str, on: str) -> str:
    """``"table" AS t <join> unnest(<an array per column>) AS k(k0, ...) <on> t.name <op> k.k0
    AND ...``: the arrays are the statement's parameters (``_arrays``)."""
    arrays = ", ".join(f"%s::{_array_type(table, name, dialect)}" for name in names)
    aliases = ", ".join(f"k{i}" for i in range(len(names)))
    conditions = " AND ".join(
        f't."{name}" {operator} k.k{i}' for i, (name, operator) in enumerate(zip(names, operators, strict=True))
    )
    return f'"{table.name}" AS t {join} unnest({arrays}) AS k({aliases}) {on} {conditions}'


@lru_cache(maxsize=256)
def _array_type(table: Table, name: str, dialect: Dialect) -> str:
    return f"{table.c[name].type.compile(dialect=dialect)}[]"


def _arrays(keys: list[tuple[Any, ...]]) -> tuple[list[Any], ...]:
    """The keys as one list per column."""
    return tuple(list(column) for column in zip(*keys, strict=True))
