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
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
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
    MetaData,
    Result,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

from projections.types import UtcDateTime, sqlite_utc_text


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

    def definition(self) -> str:
        """The table as canonical text: name, each column (type, nullability, key) and index."""
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
    """Bulk insert in the current transaction: PostgreSQL's COPY (an executemany costs a
    round trip's worth of work per row through psycopg); on SQLite the driver's executemany
    on values converted by the columns' own bind processors (SQLAlchemy's storage format,
    without its per-row parameter bookkeeping)."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, rows)
        return
    statement, values_of, converters = _plain_insert(table, connection.dialect)
    parameters = []
    for row in rows:
        values = list(values_of(row))
        for index, convert in converters:
            values[index] = convert(values[index])
        parameters.append(tuple(values))
    connection.exec_driver_sql(statement, parameters)


@lru_cache(maxsize=256)
def _plain_insert(
    table: Table, dialect: Dialect
) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]], list[tuple[int, Callable[[Any], Any]]]]:
    """The INSERT statement, a getter of a row's values in column order, and the converters
    of the columns that have one."""
    names = [column.name for column in table.columns]
    placeholders = ", ".join("?" for _ in names)
    statement = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({placeholders})'
    values_of = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    converters = sqlite_converters(table, dialect)
    return statement, values_of, [(i, converters[name]) for i, name in enumerate(names) if name in converters]


@lru_cache(maxsize=256)
def sqlite_converters(table: Table, dialect: Dialect) -> dict[str, Callable[[Any], Any]]:
    """Per column that has one, what turns a value into what SQLite stores for it: the
    dialect's own implementation (a generic DateTime stores another text format on SQLite);
    JSON is encoded by msgspec as COPY does (the same JSON as ``json.dumps``, five times
    faster), and UTC timestamps by ``isoformat`` (the dialect's text, a third of the time)."""
    processors = {
        column.name: _json_text
        if isinstance(column.type, JSON)
        else sqlite_utc_text
        if isinstance(column.type, UtcDateTime)
        else column.type.dialect_impl(dialect).bind_processor(dialect)
        for column in table.columns
    }
    return {name: convert for name, convert in processors.items() if convert is not None}


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _copy_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = list(table.columns)
    json_columns = {column.name for column in columns if isinstance(column.type, JSON)}
    names = ", ".join(f'"{column.name}"' for column in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # None only once closed
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    _json_text(row[column.name]) if column.name in json_columns else row[column.name]
                    for column in columns
                ]
            )
