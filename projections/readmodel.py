"""Read-model tables that can be rebuilt blue/green.

Each read model is stored in generation tables (``<name>_g<N>``) and read through a view
named ``<name>`` over the active generation. A rebuild fills generation N+1 while N keeps
serving, then swaps the view in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

import msgspec
from sqlalchemy import JSON, Column, Connection, Dialect, Index, MetaData, Table, UniqueConstraint


class ReadModelTable:
    def __init__(
        self,
        name: str,
        columns: Callable[[], list[Column]],
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
        items: list = [*self._columns()]
        for suffix, columns, unique in self._indexes:
            if unique:
                items.append(UniqueConstraint(*columns, name=f"uq_{table_name}_{suffix}"))
            else:
                items.append(Index(f"ix_{table_name}_{suffix}", *columns))
        return Table(table_name, metadata or MetaData(), *items)

    def point_view_at(self, connection: Connection, generation: int) -> None:
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {self.name}")
        connection.exec_driver_sql(f"CREATE VIEW {self.name} AS SELECT * FROM {self.physical_name(generation)}")


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
    # the dialect's own implementation: a generic DateTime stores another text format on SQLite
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in table.columns]
    return statement, values_of, [(i, convert) for i, convert in enumerate(processors) if convert is not None]


def _copy_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = list(table.columns)
    json_columns = {column.name for column in columns if isinstance(column.type, JSON)}
    names = ", ".join(f'"{column.name}"' for column in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    msgspec.json.encode(row[column.name]).decode() if column.name in json_columns else row[column.name]
                    for column in columns
                ]
            )
