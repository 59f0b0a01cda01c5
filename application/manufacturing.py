"""Commands on manufacturing coordinator containers and their live configuration."""

from __future__ import annotations

from typing import Any

from application.command_runner import CommandResult, create_aggregate, update_aggregate
from application.event_store import EventStore
from domain.errors import NotFound
from domain.events import CommandMeta
from domain.manufacturing.config import ManufacturingConfig
from domain.manufacturing.container import (
    Container,
    ContainerStatus,
    container_aggregate_id,
)


class ContainerService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def register(
        self,
        container_id: str,
        system_symbol: str,
        strategy: str,
        initial_config: dict[str, Any],
        meta: CommandMeta,
    ) -> CommandResult[Container]:
        config = ManufacturingConfig().with_changes({**initial_config, "strategy": strategy})
        container = Container.register(
            owner_id=meta.user_id,
            container_id=container_id,
            system_symbol=system_symbol,
            config=config,
            meta=meta,
        )
        return create_aggregate(self.store, container, f"container {container_id!r}")

    def change_config(
        self, container_id: str, changes: dict[str, Any], meta: CommandMeta, expected_version: int | None
    ) -> CommandResult[Container]:
        return self._update(container_id, meta, expected_version, lambda c: c.change_config(changes, meta))

    def change_status(
        self, container_id: str, status: str, meta: CommandMeta, expected_version: int | None
    ) -> CommandResult[Container]:
        parsed = ContainerStatus.parse(status)
        return self._update(container_id, meta, expected_version, lambda c: c.change_status(parsed, meta))

    def _update(
        self, container_id: str, meta: CommandMeta, expected_version: int | None, decide: Any
    ) -> CommandResult[Container]:
        aggregate_id = container_aggregate_id(meta.user_id, container_id)
        try:
            return update_aggregate(self.store, Container, aggregate_id, meta.user_id, decide, expected_version)
        except NotFound:
            raise NotFound(f"container {container_id!r} not found", "container_id") from None
