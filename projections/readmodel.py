"""Read-model tables that can be rebuilt blue/green.

Each read model is stored in generation tables (``<name>_g<N>``) and read through a view
named ``<name>`` over the active generation. A rebuild fills generation N+1 while N keeps
serving, then swaps the view in one transaction.

A ``ReadModelTable`` is the only definition of its table: the runtime creates every generation
from it, and ``definition()`` is the canonical text the projection's fingerprint is taken of
(a changed definition is rebuilt into a new generation at start-up). Columns of a domain value
come from its msgspec fields (``struct_columns``), and its rows from its values
(``struct_cells``), so a new field there needs no edit here and no migration.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property, lru_cache, partial
from operator import itemgetter
from typing import Any

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Dialect,
    Executable,
    Float,
    Index,
    Integer,
    MetaData,
    Result,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    bindparam,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

from application import sqlite_inserts
from projections.types import UtcDateTime, sqlite_utc_texts


class ReadModelTable:
    def __init__(
        self,
        name: str,
        columns: Callable[[], list[Column[Any]]],
        indexes: Sequence[tuple[str, Sequence[str], bool]] = (),
    ) -> None:
        """``columns`` builds fresh Column objects; ``indexes`` are (suffix, columns, unique)."""
        self.name = name
        self._columns = columns
        self._indexes = indexes
        self.view = Table(name, MetaData(), *columns())  # what queries select from

    def physical_name(self, generation: int) -> str:
        return f"{self.name}_g{generation}"

    def physical(self, generation: int, metadata: MetaData | None = None) -> Table:
        table_name = self.physical_name(generation)
        items: list[SchemaItem] = [*self._columns()]
        for suffix, columns, unique in self._indexes:
            if unique:
                items.append(UniqueConstraint(*columns, name=f"uq_{table_name}_{suffix}"))
            else:
                items.append(Index(f"ix_{table_name}_{suffix}", *columns))
        return Table(table_name, metadata or MetaData(), *items)

    @cached_property
    def definition(self) -> str:
        """The table as canonical text: name, each column (type, nullability, key) and index
        (made once: every system opened compares each projection's fingerprint)."""
        lines = [f"table {self.name}"]
        for column in self._columns():
            nullable = "null" if column.nullable else "not null"
            lines.append(f"  {column.name} {column.type} {nullable}{' primary key' if column.primary_key else ''}")
        for suffix, columns, unique in self._indexes:
            lines.append(f"  {'unique' if unique else 'index'} {suffix} ({', '.join(columns)})")
        return "\n".join(lines)

    def point_view_at(self, connection: Connection, generation: int) -> None:
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {self.name}")
        connection.exec_driver_sql(f"CREATE VIEW {self.name} AS SELECT * FROM {self.physical_name(generation)}")


class BatchWriter:
    """A batch's writes to a generation's tables: rows added with ``insert`` are written in bulk,
    before any other statement (``execute``, or a helper given ``connection``) so that every
    statement sees the rows of the events before it."""

    def __init__(self, connection: Connection, tables: Mapping[str, Table]) -> None:
        self._connection = connection
        self.tables = tables
        self._rows: dict[str, list[dict[str, Any]]] = {}

    def insert(self, table: str, *rows: dict[str, Any]) -> None:
        self._rows.setdefault(table, []).extend(rows)

    def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        return self.connection.execute(statement, parameters)

    @property
    def connection(self) -> Connection:
        """The connection, once the rows added so far are written."""
        self.flush()
        return self._connection

    def flush(self) -> None:
        for table, rows in self._rows.items():
            insert_rows(self._connection, self.tables[table], rows)
        self._rows.clear()


def struct_columns(struct: type[msgspec.Struct], **types: TypeEngine[Any]) -> list[Column[Any]]:
    """A column per field of ``struct``, named as the field, typed from its annotation (``types``
    overrides by name): int BIGINT, float, bool, str and enums text, UUID, datetime; anything
    else (tuples, nested structs, dicts) JSON. Optional fields are nullable."""
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    return [
        Column(field.name, types.get(field.name, _column_type(kind)), nullable=nullable)
        for field in info.fields
        for kind, nullable in [_optional(field.type)]
    ]


def struct_cells(value: msgspec.Struct, only: Iterable[str] | None = None) -> dict[str, Any]:
    """A struct's fields (or ``only`` those) as the cells of ``struct_columns``: enums by value,
    JSON as builtins (in the struct's own wire names, as it is stored in events)."""
    fields = msgspec.structs.asdict(value)
    return {name: _cell(fields[name]) for name in (fields if only is None else only)}


class Attributes:
    """``source``'s attributes, with ``values`` in place of (or beside) those named so: what a
    view is converted from (``msgspec.convert(..., from_attributes=True)``). A row of a read
    model and an aggregate just changed thus become a view by the same conversion, each named
    as the view names its fields."""

    __slots__ = ("_source", "_values")

    def __init__(self, source: Any, **values: Any) -> None:
        self._source = source
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        return getattr(self._source, name)


def _cell(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, msgspec.Struct | tuple | list | dict):
        return msgspec.to_builtins(value)
    return value


def _optional(kind: msgspec.inspect.Type) -> tuple[msgspec.inspect.Type, bool]:
    if isinstance(kind, msgspec.inspect.UnionType):
        others = [t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(others) == 1:
            return others[0], len(others) < len(kind.types)
    return kind, False


_COLUMN_TYPES: dict[type[msgspec.inspect.Type], Callable[[], TypeEngine[Any]]] = {
    msgspec.inspect.IntType: BigInteger,
    msgspec.inspect.FloatType: Float,
    msgspec.inspect.BoolType: Boolean,
    msgspec.inspect.StrType: String,
    msgspec.inspect.EnumType: String,
    msgspec.inspect.LiteralType: String,
    msgspec.inspect.UUIDType: Uuid,
    msgspec.inspect.DateTimeType: UtcDateTime,
}


def _column_type(kind: msgspec.inspect.Type) -> TypeEngine[Any]:
    if isinstance(kind, msgspec.inspect.Metadata):  # a type with a description (``domain.limits.GameId``)
        kind = kind.type
    return _COLUMN_TYPES.get(type(kind), JSON)()


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk insert in the current transaction of rows keyed by column name (see ``insert_values``)."""
    if rows:
        insert_values(connection, table, list(map(_values_getter(table), rows)))


def insert_values(connection: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Bulk insert in the current transaction of rows given as tuples in the table's column
    order (what a fold that makes thousands of rows per batch builds: no dict per row).
    PostgreSQL's binary COPY (``_copy_rows``; an executemany costs a round trip's worth of work
    per row through psycopg); on SQLite multi-row INSERTs (``application.sqlite_inserts``) of
    values in SQLAlchemy's storage format, without its per-row parameter bookkeeping, converted
    a column at a time (``_column_converters``): a batch's timestamps or UUIDs in one call, not
    one per value."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, rows)
    else:
        _insert_in_chunks(connection, table, driver_values(connection.dialect, table, _names(table), rows))


def update_rows(connection: Connection, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """Bulk update in the current transaction: each row (keyed by column name) sets its columns
    where ``key`` (a column, also in the row) equals its value; rows that set the same columns
    share one statement. On SQLite the driver's executemany on values converted as
    ``insert_values`` does: SQLAlchemy's own executemany rebuilds each row's parameters from
    the statement's cache key, which cost the live runner more than the rest of its round
    (py-spy, BENCHMARKS.md "The command path"); on PostgreSQL psycopg's through SQLAlchemy."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(column for column in row if column != key))].append(row)
    for columns, group in groups.items():
        if not columns:
            continue
        if connection.dialect.name == "sqlite":
            names = (*columns, key)
            values = driver_values(connection.dialect, table, names, list(map(itemgetter(*names), group)))
            connection.exec_driver_sql(_plain_update(table, key, columns), values)
        else:
            connection.execute(
                update(table)
                .where(table.c[key] == bindparam(f"set_{key}"))
                .values({column: bindparam(f"set_{column}") for column in columns}),
                [{f"set_{name}": value for name, value in row.items()} for row in group],
            )


def driver_values(
    dialect: Dialect, table: Table, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """``rows`` of values of the columns ``names`` of ``table``, as the database's driver takes
    them (``_column_converters``), converted a column at a time."""
    return _converted(rows, _column_converters(table, dialect, names))


def _converted(rows: Sequence[tuple[Any, ...]], converters: list[tuple[int, ColumnConverter]]) -> list[tuple[Any, ...]]:
    """``rows`` with each converter applied to its column (by index), a whole column per call."""
    if not converters:
        return list(rows)
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, convert in converters:
        columns[index] = convert(columns[index])
    return list(zip(*columns, strict=True))


ColumnConverter = Callable[[Sequence[Any]], Sequence[Any]]


@lru_cache(maxsize=256)
def _values_getter(table: Table) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    names = _names(table)
    return itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))


@lru_cache(maxsize=256)
def _names(table: Table) -> tuple[str, ...]:
    return tuple(column.name for column in table.columns)


@lru_cache(maxsize=256)
def _plain_update(table: Table, key: str, columns: tuple[str, ...]) -> str:
    assignments = ", ".join(f'"{name}" = ?' for name in columns)
    return f'UPDATE "{table.name}" SET {assignments} WHERE "{key}" = ?'


@lru_cache(maxsize=256)
def _column_converters(table: Table, dialect: Dialect, names: tuple[str, ...]) -> list[tuple[int, ColumnConverter]]:
    """The converters of the named columns whose values SQLite's driver cannot take as they are,
    by index in ``names``: the dialect's own storage format (a generic DateTime stores another
    text format on SQLite), made a column at a time: UUIDs and UTC timestamps by msgspec in one
    call per column, JSON by msgspec (the same JSON as ``json.dumps``, five times faster), any
    other type by its bind processor."""
    converters: list[ColumnConverter | None] = []
    for column in (table.columns[name] for name in names):
        if isinstance(column.type, JSON):
            converters.append(_json_texts)
        elif isinstance(column.type, Uuid) and column.type.as_uuid:
            converters.append(_uuid_hexes)
        elif isinstance(column.type, UtcDateTime):
            converters.append(sqlite_utc_texts)
        else:
            process = column.type.dialect_impl(dialect).bind_processor(dialect)
            converters.append(partial(_each, process) if process is not None else None)
    return [(index, convert) for index, convert in enumerate(converters) if convert is not None]


_json = msgspec.json.Encoder()
_hex_uuids = msgspec.json.Encoder(uuid_format="hex")


def _json_bytes(values: Sequence[Any]) -> list[bytes]:
    return list(map(_json.encode, values))


def _json_texts(values: Sequence[Any]) -> list[str]:
    return list(map(bytes.decode, map(_json.encode, values)))


def _uuid_hexes(values: Sequence[Any]) -> list[str | None]:
    """UUIDs as 32 hex digits (how SQLAlchemy stores them on SQLite; PostgreSQL reads them as a
    uuid): msgspec writes the column as one JSON list and reads it back as text, 2-3 times
    faster than ``UUID.hex`` per value."""
    texts: list[str | None] = msgspec.json.decode(_hex_uuids.encode(values))
    return texts


def _each(process: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    return list(map(process, values))


ROWS_PER_INSERT = 200
"""Rows per multi-row INSERT on SQLite: 50 and 1,000 were each slower (``application.sqlite_inserts``)."""


def _insert_in_chunks(connection: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    names = _names(table)
    per_statement = max(1, min(ROWS_PER_INSERT, sqlite_inserts.variable_limit() // len(names)))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # None only once closed
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        cursor.execute(sqlite_inserts.insert_statement(table.name, names, len(chunk)), sqlite_inserts.flat(chunk))


def _copy_rows(connection: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY in PostgreSQL's binary format: each value goes as the bytes the column's type
    receives (psycopg's binary dumpers, chosen by ``_binary_types``), so neither side turns
    numbers, timestamps and UUIDs into text and back. JSON is encoded by msgspec and sent as the
    raw bytes it is (binary ``json`` is its text), under psycopg's ``bytea`` dumper, which
    passes bytes on as they are. Against text COPY: a 20,202-event rebuild 5-15% faster
    (BENCHMARKS.md, "Eleventh pass"), where formatting the rows as text had been a fifth of it."""
    types, converters = _binary_types(table)
    rows = _converted(rows, converters)
    names = ", ".join(f'"{column.name}"' for column in table.columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # None only once closed
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)') as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


_BINARY_TYPES: dict[type[TypeEngine[Any]], str] = {
    BigInteger: "int8",
    Integer: "int4",
    Boolean: "bool",
    Float: "float8",
    String: "text",  # varchar(n) and text receive the same bytes
    Uuid: "uuid",
    UtcDateTime: "timestamptz",
    JSON: "bytea",  # see _copy_rows
}


@lru_cache(maxsize=256)
def _binary_types(table: Table) -> tuple[list[str], list[tuple[int, ColumnConverter]]]:
    """The psycopg type of each of ``table``'s columns for a binary COPY (the nearest class of
    its SQLAlchemy type in ``_BINARY_TYPES``), and its JSON columns' converter, by index."""
    types: list[str] = []
    converters: list[tuple[int, ColumnConverter]] = []
    for index, column in enumerate(table.columns):
        found = next((_BINARY_TYPES[kind] for kind in type(column.type).__mro__ if kind in _BINARY_TYPES), None)
        if found is None or isinstance(column.type, JSONB):  # binary jsonb starts with a version byte
            raise TypeError(f"{table.name}.{column.name}: no binary COPY type for {column.type!r}")
        types.append(found)
        if isinstance(column.type, JSON):
            converters.append((index, _json_bytes))
    return types, converters
