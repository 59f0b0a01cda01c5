"""Request and response bodies of manufacturing containers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar.params import PathParameter
from msgspec import UNSET, UnsetType

from domain.limits import Count, Key, Label, Quantity, text
from domain.manufacturing.config import ManufacturingConfig
from interfaces.http.bodies import CommandAccepted, Request, Response
from projections.manufacturing import ConfigHistoryEntry, ContainerView

Code = Annotated[str, text(16)]  # a supply level or a status (VARCHAR(16))


class ConfigOut(Response):
    """A container's configuration on the wire: the one list of its fields and of the bounds the
    boundary holds them to (``ConfigPatch`` takes the same fields, each optional). A new field
    of ``ManufacturingConfig`` is added here, and only here, in HTTP."""

    max_pipelines: Count
    max_workers: Count
    collect_min_start_supply: Code
    collect_min_execute_supply: Code
    acquire_min_start_supply: Code
    acquire_min_execute_supply: Code
    min_purchase_price: Quantity
    strategy: Label
    min_balance: Quantity  # credits kept in reserve, 0 to 2^63-1
    mode: Label  # parallel_task_based | sequential_task_based (VARCHAR(32); the model checks the value)

    @classmethod
    def of(cls, config: ManufacturingConfig) -> ConfigOut:
        return cls(**msgspec.to_builtins(config))


# A config field's Python name -> its JSON name.
CONFIG_WIRE_NAMES = {field.name: field.encode_name for field in msgspec.structs.fields(ConfigOut)}


class ConfigPatch(Request):
    """A partial configuration: ``ConfigOut``'s fields, each optional; only the fields sent change."""

    __annotations__ = {field.name: field.type | UnsetType for field in msgspec.structs.fields(ConfigOut)}
    locals().update(dict.fromkeys(__annotations__, UNSET))  # a field not sent is UNSET

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in msgspec.structs.asdict(self).items() if value is not UNSET}


class RegisterContainer(Request):
    container_id: Key
    system_symbol: Label
    strategy: Label
    config: ConfigPatch | UnsetType = UNSET


class ChangeStatus(Request):
    status: Code


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


class ContainerRegisteredOut(CommandAccepted):
    """The answer to a registration (the event it records is ``domain``'s ``ContainerRegistered``)."""

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
        fields = msgspec.structs.asdict(entry)
        changes = {CONFIG_WIRE_NAMES.get(name, name): change for name, change in entry.changes.items()}
        return cls(**{**fields, "changes": changes})


class ConfigHistoryOut(Response):
    container_id: str
    entries: list[HistoryEntryOut]


ContainerIdPath = Annotated[
    str, PathParameter(description="The coordinator container's id, e.g. parallel-mfg-X1-YZ19-abc123", max_length=128)
]
