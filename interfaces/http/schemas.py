"""Request and response bodies: msgspec Structs with the camelCase names clients use.

Request bodies reject unknown fields, so a typo is a 400 instead of a silent no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from domain.limits import MAX_BATCH, Count, GameId, Key, Label, Quantity, text
from domain.manufacturing.config import ManufacturingConfig
from projections.manufacturing import ConfigHistoryEntry, ContainerView

Code = Annotated[str, text(16)]  # a supply level or a status (VARCHAR(16))


class Request(msgspec.Struct, forbid_unknown_fields=True, rename="camel", kw_only=True):
    pass


class Response(msgspec.Struct, rename="camel", kw_only=True):
    pass


class ErrorBody(Response, omit_defaults=True):
    """``field`` is always present (null when no single field is at fault)."""

    error: str
    detail: str
    field: str | None
    current_version: int | None = None


# ------------------------------------------------------------------ manufacturing


class ConfigPatch(Request):
    """A partial configuration: only the fields sent change."""

    max_pipelines: Count | UnsetType = UNSET
    max_workers: Count | UnsetType = UNSET
    collect_min_start_supply: Code | UnsetType = UNSET
    collect_min_execute_supply: Code | UnsetType = UNSET
    acquire_min_start_supply: Code | UnsetType = UNSET
    acquire_min_execute_supply: Code | UnsetType = UNSET
    min_purchase_price: Quantity | UnsetType = UNSET
    strategy: Label | UnsetType = UNSET
    min_balance: Quantity | UnsetType = UNSET  # credits kept in reserve, 0 to 2^63-1
    mode: Label | UnsetType = (
        UNSET  # parallel_task_based | sequential_task_based (VARCHAR(32); the model checks the value)
    )

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in msgspec.structs.asdict(self).items() if value is not UNSET}


class RegisterContainer(Request):
    container_id: Key
    system_symbol: Label
    strategy: Label
    config: ConfigPatch | UnsetType = UNSET


class ChangeStatus(Request):
    status: Code


class ConfigOut(Response):
    max_pipelines: int
    max_workers: int
    collect_min_start_supply: str
    collect_min_execute_supply: str
    acquire_min_start_supply: str
    acquire_min_execute_supply: str
    min_purchase_price: int
    strategy: str
    min_balance: int
    mode: str

    @classmethod
    def of(cls, config: ManufacturingConfig) -> ConfigOut:
        return cls(**msgspec.to_builtins(config))


class ContainerOut(Response):
    container_id: str
    aggregate_id: UUID
    system_symbol: str
    status: str
    version: int
    config: ConfigOut
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ContainerView) -> ContainerOut:
        return cls(
            container_id=view.container_id,
            aggregate_id=view.aggregate_id,
            system_symbol=view.system_symbol,
            status=view.status,
            version=view.version,
            config=ConfigOut.of(view.config),
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


class ContainerList(Response):
    containers: list[ContainerOut]


class ContainerConfigOut(Response):
    """The spec's GetManufacturingConfigResponse, with the version for If-Match."""

    container_id: str
    container_status: str
    version: int
    config: ConfigOut


class CommandAccepted(Response):
    """Every command answer carries the log position of its last event (for minPosition)."""

    aggregate_id: UUID
    version: int
    position: int
    changed: bool


class ContainerRegistered(CommandAccepted):
    container: ContainerOut


class ConfigUpdated(CommandAccepted):
    """The spec's UpdateManufacturingConfigResponse."""

    success: bool
    message: str
    current_config: ConfigOut


class HistoryEntryOut(Response):
    version: int
    kind: str
    changed_at: datetime
    changed_by: UUID
    correlation_id: str
    changes: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, entry: ConfigHistoryEntry) -> HistoryEntryOut:
        return cls(**msgspec.structs.asdict(entry))


class ConfigHistoryOut(Response):
    container_id: str
    entries: list[HistoryEntryOut]


# ------------------------------------------------------------------ catalog


class BoughtItems(Request):
    type_ids: Annotated[list[GameId], msgspec.Meta(max_length=MAX_BATCH)]


class BoughtMarked(CommandAccepted):
    type_ids: list[int]


class BoughtList(Response):
    type_ids: list[int]


# ------------------------------------------------------------------ health


class ProjectionHealth(Response):
    name: str
    generation: int
    position: int
    lag: int
    last_error: str | None = None
    dead_letters: int = 0  # events set aside (``manufactory projections status`` lists them)


class HealthSummary(Response):
    """What anyone may know: ok, or unavailable."""

    status: str


class Health(Response):
    """The whole picture, for an admin's token. ``status``: ``ok``; ``degraded`` (still a 200)
    when a projection has dead letters or a last error, named in ``degraded``; ``unavailable``
    (503) when the database is not."""

    status: str
    database: str
    head: int
    projections: list[ProjectionHealth]
    degraded: list[str] = msgspec.field(default_factory=list)


class VersionOut(Response):
    name: str
    version: str
