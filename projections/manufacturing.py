"""Read models of manufacturing containers: their current config and its change history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Integer,
    String,
    Table,
    Uuid,
    select,
)

from domain.events import Event
from domain.manufacturing.config import ManufacturingConfig
from domain.manufacturing.container import (
    ConfigChanged,
    Container,
    ContainerRegistered,
    StatusChanged,
)
from projections.readmodel import (
    Attributes,
    ReadModelTable,
    insert_rows,
    insert_values,
    struct_cells,
    struct_columns,
    update_rows,
)
from projections.runtime import Projection, handles
from projections.types import UtcDateTime

CONTAINERS = ReadModelTable(
    "mfg_containers",
    lambda: [
        Column("aggregate_id", Uuid, primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        Column("container_id", String(128), nullable=False),
        Column("system_symbol", String(64), nullable=False),
        Column("status", String(16), nullable=False),
        Column("version", Integer, nullable=False),
        *struct_columns(ManufacturingConfig),  # a column per config field
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ],
    indexes=[("owner_container", ["owner_id", "container_id"], True)],
)

CONFIG_HISTORY = ReadModelTable(
    "mfg_config_history",
    lambda: [
        Column("aggregate_id", Uuid, primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("changed_at", UtcDateTime, nullable=False),
        Column("changed_by", Uuid, nullable=False),
        Column("correlation_id", String(128), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("changes", JSON, nullable=False),
    ],
)


class ContainerChanges:
    """A batch folded in memory: one insert per new container, one update per changed container
    (grouped by the columns they set), and one bulk insert of history rows. Per event it keeps
    only what the write needs: the container's last event (its version and time), last config
    and last status, and the history row as a tuple in the table's column order; the rows of
    containers are made once per container at the write (a rebuild folds thousands of changes
    per container, and a config becomes cells once). Containers are keyed by their id's
    integer: a ``UUID`` hashes and compares in Python code, once per event and dictionary
    (measured: 13% of a rebuild)."""

    def __init__(self) -> None:
        self.new_rows: dict[int, dict[str, Any]] = {}
        self.last: dict[int, Event] = {}
        self.configs: dict[int, ManufacturingConfig] = {}
        self.statuses: dict[int, str] = {}
        self.history: list[tuple[Any, ...]] = []

    def change(self, event: Event, kind: str, changes: Any, config: ManufacturingConfig | None = None) -> None:
        """Record an event of the container (with its new ``config``), and its history row
        (``changes``: anything msgspec encodes as the JSON of ``{field: {"old", "new"}}``)."""
        key = event.originator_id.int
        self.last[key] = event
        if config is not None:
            self.configs[key] = config
        meta = event.meta
        self.history.append(  # CONFIG_HISTORY's columns, in order
            (
                event.originator_id,
                event.originator_version,
                event.timestamp,
                meta.user_id,
                meta.correlation_id,
                kind,
                changes,
            )
        )

    def write(self, connection: Connection, tables: Mapping[str, Table]) -> None:
        containers = tables["mfg_containers"]
        updates: list[dict[str, Any]] = []
        for key, event in self.last.items():
            values: dict[str, Any] = {"version": event.originator_version, "updated_at": event.timestamp}
            if key in self.statuses:
                values["status"] = self.statuses[key]
            if key in self.configs:
                values.update(struct_cells(self.configs[key]))
            row = self.new_rows.get(key)
            if row is not None:
                row.update(values)
            else:
                updates.append({**values, "aggregate_id": event.originator_id})
        insert_rows(connection, containers, list(self.new_rows.values()))
        update_rows(connection, containers, "aggregate_id", updates)
        insert_values(connection, tables["mfg_config_history"], self.history)


class ManufacturingProjection(Projection):
    name = "manufacturing"
    tables = (CONTAINERS, CONFIG_HISTORY)

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        changes = ContainerChanges()
        handle = self.bound_handlers
        for event in events:
            handle[type(event)](changes, event)
        changes.write(connection, tables)

    @handles(ContainerRegistered)
    def _registered(self, changes: ContainerChanges, event: ContainerRegistered) -> None:
        config = struct_cells(event.config)
        changes.new_rows[event.originator_id.int] = {
            "aggregate_id": event.originator_id,
            "owner_id": event.owner_id,
            "container_id": event.container_id,
            "system_symbol": event.system_symbol,
            "status": "STOPPED",
            "created_at": event.timestamp,
        }
        registered = {name: {"old": None, "new": value} for name, value in config.items()}
        changes.change(event, "registered", registered, event.config)

    @handles(ConfigChanged)
    def _config_changed(self, changes: ContainerChanges, event: ConfigChanged) -> None:
        changes.change(event, "config", event.changes, event.config)  # {field: FieldChange(old, new)}

    @handles(StatusChanged)
    def _status_changed(self, changes: ContainerChanges, event: StatusChanged) -> None:
        changes.statuses[event.originator_id.int] = event.status.value
        status = {"status": {"old": event.old_status.value, "new": event.status.value}}
        changes.change(event, "status", status)


# ------------------------------------------------------------------- queries


class ContainerView(msgspec.Struct, frozen=True, kw_only=True):
    aggregate_id: UUID
    container_id: str
    system_symbol: str
    status: str
    version: int
    config: ManufacturingConfig
    created_at: datetime
    updated_at: datetime


class ConfigHistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    kind: str
    changed_at: datetime
    changed_by: UUID
    correlation_id: str
    changes: dict[str, dict[str, Any]]


def container_view(row: Any) -> ContainerView:
    """A container's view from anything with its columns as attributes: a row, or a container
    just changed (``container_view_of``)."""
    config = msgspec.convert(row, ManufacturingConfig, from_attributes=True)
    return msgspec.convert(Attributes(row, config=config), ContainerView, from_attributes=True)


def container_view_of(container: Container) -> ContainerView:
    """A container just changed, before the projection has it: the view of its row."""
    row = {
        "aggregate_id": container.id,
        "container_id": container.container_id,
        "system_symbol": container.system_symbol,
        "status": container.status.value,
        "version": container.version,
        "created_at": container.created_on,
        "updated_at": container.modified_on,
    }
    return container_view(Attributes(container.config, **row))


def list_containers(
    connection: Connection, owner_id: UUID, limit: int | None = None, offset: int = 0
) -> list[ContainerView]:
    table = CONTAINERS.view
    query = select(table).where(table.c.owner_id == owner_id).order_by(table.c.container_id)
    rows = connection.execute(query.limit(limit).offset(offset))
    return [container_view(row) for row in rows]


def find_container(connection: Connection, owner_id: UUID, container_id: str) -> ContainerView | None:
    table = CONTAINERS.view
    row = connection.execute(
        select(table).where(table.c.owner_id == owner_id, table.c.container_id == container_id)
    ).first()
    return container_view(row) if row else None


def config_history(
    connection: Connection, aggregate_id: UUID, limit: int, offset: int = 0, *, newest_first: bool = False
) -> list[ConfigHistoryEntry]:
    """A page of a container's changes, oldest first (or newest). Its id derives from its
    owner, so it is theirs only."""
    table = CONFIG_HISTORY.view
    order = table.c.version.desc() if newest_first else table.c.version
    query = select(table).where(table.c.aggregate_id == aggregate_id).order_by(order).limit(limit).offset(offset)
    rows = connection.execute(query)
    return [
        ConfigHistoryEntry(
            version=row.version,
            kind=row.kind,
            changed_at=row.changed_at,
            changed_by=row.changed_by,
            correlation_id=row.correlation_id,
            changes=row.changes,
        )
        for row in rows
    ]
