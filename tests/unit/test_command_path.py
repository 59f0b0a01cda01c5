"""What the command path skips to stay cheap, and what it must still guarantee: loops are
woken only by the saves they read, and a command's working copy of a cached aggregate never
changes the cached one."""

from __future__ import annotations

import uuid

import pytest

from application.command_runner import update_aggregate
from application.event_store import EventStore
from application.settings import MEMORY_URL, Settings
from domain.events import CommandMeta
from domain.manufacturing.config import ManufacturingConfig
from domain.manufacturing.container import Container, ContainerStatus, StatusChanged, container_aggregate_id

USER = uuid.uuid4()
META = CommandMeta(user_id=USER, correlation_id="spec")


def registered(store: EventStore) -> Container:
    container = Container.register(
        owner_id=USER, container_id="c1", system_symbol="X1", config=ManufacturingConfig(), meta=META
    )
    store.save_events(container)
    return container


def test_a_listener_for_some_events_is_woken_only_by_saves_holding_one() -> None:
    store = EventStore(Settings(database_url=MEMORY_URL))
    every, statuses = [], []
    store.on_recorded(every.append)
    store.on_recorded(statuses.append, [StatusChanged])
    container = registered(store)
    container.change_config({"max_workers": 7}, META)
    store.save_events(container)
    assert (len(every), statuses) == (2, [])
    container.change_status(ContainerStatus.RUNNING, META)
    position = store.save_events(container)
    assert (every[-1], statuses) == (position, [position])


def test_a_failed_command_leaves_the_cached_container_as_it_was() -> None:
    store = EventStore(Settings(database_url=MEMORY_URL))
    registered(store)
    aggregate_id = container_aggregate_id(USER, "c1")

    def change_then_fail(container: Container) -> None:
        container.change_config({"max_workers": 9}, META)
        container.change_status(ContainerStatus.RUNNING, META)
        raise RuntimeError("the command failed after deciding")

    with pytest.raises(RuntimeError):
        update_aggregate(store, Container, aggregate_id, USER, change_then_fail)
    cached = store.load(aggregate_id, Container)
    assert (cached.version, cached.config.max_workers, cached.status) == (1, 5, ContainerStatus.STOPPED)
    assert not cached.has_pending_events
