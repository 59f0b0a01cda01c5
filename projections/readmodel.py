"""Read-model tables that can be rebuilt blue/green.

Each read model is stored in generation tables (``<name>_g<N>``) and read through a view
named ``<name>`` over the active generation. A rebuild fills generation N+1 while N keeps
serving, then swaps the view in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Column, Connection, Index, MetaData, Table, UniqueConstraint


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
