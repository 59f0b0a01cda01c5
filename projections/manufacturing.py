"""Read models of manufacturing containers: their current config and its change history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Integer,
    String,
    Table,
    Uuid,
    bindparam,
    select,
    update,
)

from domain.events import Event
from domain.manufacturing.config import ManufacturingConfig
from domain.manufacturing.container import (
    ConfigChanged,
    ContainerRegistered,
    StatusChanged,
)
from projections.readmodel import ReadModelTable, insert_rows
from projections.runtime import Projection
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
        Column("max_pipelines", Integer, nullable=False),
        Column("max_workers", Integer, nullable=False),
        Column("collect_min_start_supply", String(16), nullable=False),
        Column("collect_min_execute_supply", String(16), nullable=False),
        Column("acquire_min_start_supply", String(16), nullable=False),
        Column("acquire_min_execute_supply", String(16), nullable=False),
        Column("min_purchase_price", BigInteger, nullable=False),
        Column("strategy", String(64), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        Column("min_balance", BigInteger, nullable=False),  # last: migration 0010 added them
        Column("mode", String(32), nullable=False),
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


def _config_columns(config: ManufacturingConfig) -> dict[str, Any]:
    return msgspec.to_builtins(config)  # field names are the column names; enums become values


class ManufacturingProjection(Projection):
    name = "manufacturing"
    tables = (CONTAINERS, CONFIG_HISTORY)
    topics = (ContainerRegistered, ConfigChanged, StatusChanged)

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        """Folds the batch in memory: one insert per new container, one update per changed
        container (grouped by the columns they set), and one bulk insert of history rows."""
        new_rows: dict[UUID, dict[str, Any]] = {}
        updates: dict[UUID, dict[str, Any]] = {}
        history: list[dict[str, Any]] = []
        for event in events:
            changes = self._row_changes(event)
            row = new_rows.get(event.originator_id)
            if isinstance(event, ContainerRegistered):
                new_rows[event.originator_id] = changes
            elif row is not None:
                row.update(changes)
            else:
                updates.setdefault(event.originator_id, {}).update(changes)
            history.append(self._history_row(event))
        insert_rows(connection, tables["mfg_containers"], list(new_rows.values()))
        self._apply_updates(connection, tables["mfg_containers"], updates)
        insert_rows(connection, tables["mfg_config_history"], history)

    @staticmethod
    def _row_changes(event: Event) -> dict[str, Any]:
        common = {"version": event.originator_version, "updated_at": event.timestamp}
        if isinstance(event, ContainerRegistered):
            return {
                "aggregate_id": event.originator_id,
                "owner_id": event.owner_id,
                "container_id": event.container_id,
                "system_symbol": event.system_symbol,
                "status": "STOPPED",
                "created_at": event.timestamp,
                **_config_columns(event.config),
                **common,
            }
        if isinstance(event, ConfigChanged):
            return {**_config_columns(event.config), **common}
        if isinstance(event, StatusChanged):
            return {"status": event.status.value, **common}
        raise TypeError(f"unexpected event {type(event).__name__}")

    @staticmethod
    def _history_row(event: Event) -> dict[str, Any]:
        if isinstance(event, ContainerRegistered):
            kind = "registered"
            changes = {name: {"old": None, "new": value} for name, value in _config_columns(event.config).items()}
        elif isinstance(event, ConfigChanged):
            kind = "config"
            changes = msgspec.to_builtins(event.changes)  # {field: {"old": ..., "new": ...}}
        else:
            assert isinstance(event, StatusChanged)
            kind = "status"
            changes = {"status": {"old": event.old_status.value, "new": event.status.value}}
        return {
            "aggregate_id": event.originator_id,
            "version": event.originator_version,
            "changed_at": event.timestamp,
            "changed_by": event.meta.user_id,
            "correlation_id": event.meta.correlation_id,
            "kind": kind,
            "changes": changes,
        }

    @staticmethod
    def _apply_updates(connection: Connection, containers: Table, updates: Mapping[UUID, dict[str, Any]]) -> None:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for aggregate_id, values in updates.items():
            groups[tuple(sorted(values))].append({"key_id": aggregate_id, **values})
        for columns, rows in groups.items():
            statement = (
                update(containers)
                .where(containers.c.aggregate_id == bindparam("key_id"))
                .values({column: bindparam(column) for column in columns})
            )
            connection.execute(statement, rows)


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


def _container_view(row: Any) -> ContainerView:
    mapping = row._mapping
    fields = ManufacturingConfig.__struct_fields__
    config = msgspec.convert({name: mapping[name] for name in fields}, ManufacturingConfig)
    return ContainerView(
        aggregate_id=mapping["aggregate_id"],
        container_id=mapping["container_id"],
        system_symbol=mapping["system_symbol"],
        status=mapping["status"],
        version=mapping["version"],
        config=config,
        created_at=mapping["created_at"],
        updated_at=mapping["updated_at"],
    )


def list_containers(
    connection: Connection, owner_id: UUID, limit: int | None = None, offset: int = 0
) -> list[ContainerView]:
    table = CONTAINERS.view
    query = select(table).where(table.c.owner_id == owner_id).order_by(table.c.container_id)
    rows = connection.execute(query.limit(limit).offset(offset))
    return [_container_view(row) for row in rows]


def find_container(connection: Connection, owner_id: UUID, container_id: str) -> ContainerView | None:
    table = CONTAINERS.view
    row = connection.execute(
        select(table).where(table.c.owner_id == owner_id, table.c.container_id == container_id)
    ).first()
    return _container_view(row) if row else None


def config_history(connection: Connection, aggregate_id: UUID) -> list[ConfigHistoryEntry]:
    """A container's changes, oldest first. Its id derives from its owner, so it is theirs only."""
    table = CONFIG_HISTORY.view
    rows = connection.execute(select(table).where(table.c.aggregate_id == aggregate_id).order_by(table.c.version))
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
