"""A manufacturing coordinator container: registered by a user, configured live.

The aggregate id is derived from (owner, containerId), so each user has a namespace of
container ids of their own and a duplicate registration collides in the event store.
"""

from __future__ import annotations

import enum
import functools
import re
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.errors import InvalidInput
from domain.events import CommandMeta, Event
from domain.manufacturing.config import CoordinatorMode, ManufacturingConfig

CONTAINER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
SYSTEM_SYMBOL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_CONTAINER_NAMESPACE = UUID("6f1d3c52-6a59-4d8e-9c55-0e8f1f7c2a10")


class ContainerStatus(enum.Enum):
    STOPPED = "STOPPED"
    RUNNING = "RUNNING"
    FAILED = "FAILED"

    @classmethod
    def parse(cls, text: str, field: str = "status") -> ContainerStatus:
        try:
            return cls(text.strip().upper())
        except ValueError:
            valid = ", ".join(status.value for status in cls)
            raise InvalidInput(f"unknown status {text!r}; valid statuses: {valid}", field) from None


@functools.lru_cache(maxsize=4096)  # every command on a container starts here: a SHA-1 saved
def container_aggregate_id(owner_id: UUID, container_id: str) -> UUID:
    return uuid.uuid5(_CONTAINER_NAMESPACE, f"{owner_id}/{container_id}")


class Container(Aggregate):
    container_id: str
    system_symbol: str
    status: ContainerStatus
    config: ManufacturingConfig  # frozen: a change replaces it
    immutable_values = True

    @classmethod
    def register(
        cls,
        *,
        owner_id: UUID,
        container_id: str,
        system_symbol: str,
        config: ManufacturingConfig,
        meta: CommandMeta,
    ) -> Container:
        if not CONTAINER_ID_PATTERN.match(container_id):
            raise InvalidInput(
                "containerId must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
                "container_id",
            )
        if not SYSTEM_SYMBOL_PATTERN.match(system_symbol):
            raise InvalidInput("systemSymbol must be 1-64 letters, digits or '-'", "system_symbol")
        config.validate()
        return cls._create(
            ContainerRegistered,
            container_aggregate_id(owner_id, container_id),
            meta=meta,
            owner_id=owner_id,
            container_id=container_id,
            system_symbol=system_symbol.upper(),
            config=config,
        )

    def change_config(self, changes: dict[str, Any], meta: CommandMeta) -> bool:
        """Apply a partial update; returns False (and records nothing) when nothing changes."""
        updated = self.config.with_changes(changes)
        differences = self.config.differences(updated)
        if not differences:
            return False
        self._record(
            ConfigChanged,
            meta=meta,
            changes={name: FieldChange(old=old, new=new) for name, (old, new) in differences.items()},
            config=updated,
        )
        return True

    def change_status(self, status: ContainerStatus, meta: CommandMeta) -> bool:
        if status == self.status:
            return False
        self._record(StatusChanged, meta=meta, old_status=self.status, status=status)
        return True

    def state(self) -> ContainerState:
        return ContainerState(
            container_id=self.container_id,
            owner_id=self.owner_id,
            system_symbol=self.system_symbol,
            status=self.status,
            config=self.config,
            version=self.version,
            created_on=self.created_on,
            modified_on=self.modified_on,
        )


class ContainerState(msgspec.Struct, frozen=True, kw_only=True):
    """What a container looks like at one version (for audit's as-of reads)."""

    container_id: str
    owner_id: UUID
    system_symbol: str
    status: ContainerStatus
    config: ManufacturingConfig
    version: int
    created_on: datetime
    modified_on: datetime


class FieldChange(msgspec.Struct, frozen=True):
    old: Any
    new: Any


class ContainerRegistered(Event, frozen=True, tag=2):
    """v1 (imported from the spec's containers.config JSON) had ``system``, ``min_price``,
    ``min_balance`` and ``mode`` at the top level; v2 names the system ``system_symbol`` and
    keeps the others in the config (a mode v2 does not know falls back to the default)."""

    owner_id: UUID
    container_id: str
    system_symbol: str
    config: ManufacturingConfig

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["system_symbol"] = state.pop("system")
        config = state.setdefault("config", {})
        config.setdefault("min_purchase_price", state.pop("min_price", 0))
        config.setdefault("min_balance", state.pop("min_balance", 0))
        mode = state.pop("mode", None)
        if mode in {known.value for known in CoordinatorMode}:
            config.setdefault("mode", mode)

    def apply(self, aggregate: Any) -> Container:
        container = Container(self.originator_id, self.owner_id, self.timestamp)
        container.container_id = self.container_id
        container.system_symbol = self.system_symbol
        container.status = ContainerStatus.STOPPED
        container.config = self.config
        return container


class ConfigChanged(Event, frozen=True):
    changes: dict[str, FieldChange]
    config: ManufacturingConfig

    def apply(self, aggregate: Container) -> Container:
        aggregate.config = self.config
        return aggregate


class StatusChanged(Event, frozen=True):
    old_status: ContainerStatus
    status: ContainerStatus

    def apply(self, aggregate: Container) -> Container:
        aggregate.status = self.status
        return aggregate
