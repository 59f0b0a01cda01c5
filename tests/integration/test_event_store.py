"""Events are msgspec Structs stored by our mapper: metadata, upcasting, concurrency."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import msgspec
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from application import sqlite_inserts, sqlite_recorder
from application.event_store import EventStore
from application.group_commit import GroupCommitter
from application.log_rows import NotificationRows, log_reader, originator_uuid
from application.settings import Settings
from application.system import Manufactory
from domain.errors import Conflict
from domain.events import CommandMeta
from domain.manufacturing.config import CoordinatorMode, ManufacturingConfig
from domain.manufacturing.container import ConfigChanged, Container, ContainerRegistered, container_aggregate_id
from domain.manufacturing.supply import SupplyLevel
from projections.manufacturing import list_containers


def meta(user_id: uuid.UUID, correlation: str = "corr-1", causation: str | None = None) -> CommandMeta:
    return CommandMeta(user_id=user_id, correlation_id=correlation, causation_id=causation)


def register(system: Manufactory, user_id: uuid.UUID, container_id: str = "mfg-1") -> Container:
    return system.containers.register(container_id, "X1-YZ19", "prefer-fabricate", {}, meta(user_id)).aggregate


def test_every_event_records_when_who_and_why(system: Manufactory) -> None:
    user_id = uuid.uuid4()
    container = register(system, user_id)
    system.containers.change_config("mfg-1", {"max_workers": 9}, meta(user_id, "corr-2", "cause-7"), None)
    first, second = system.store.history(container.id)
    assert first.meta == meta(user_id)
    assert second.meta == CommandMeta(user_id=user_id, correlation_id="corr-2", causation_id="cause-7")
    assert first.timestamp <= second.timestamp
    assert system.store.load(container.id, Container).config.max_workers == 9


def store_legacy_container(store: EventStore, owner: uuid.UUID) -> uuid.UUID:
    """A container ``legacy`` registered at v1 (from the spec's containers.config JSON, with
    `system` and `min_price`), stored as it was then; its aggregate id."""
    aggregate_id = container_aggregate_id(owner, "legacy")
    v1_state = msgspec.json.encode(
        {
            "originator_id": str(aggregate_id),
            "originator_version": 1,
            "timestamp": "2025-01-02T03:04:05Z",
            "meta": {"user_id": str(owner), "correlation_id": "import-1"},
            "owner_id": str(owner),
            "container_id": "legacy",
            "system": "X1-YZ19",
            "min_price": 1000,
            "min_balance": 250000,
            "mode": "parallel_task_based",
            "config": {"max_pipelines": 4, "strategy": "prefer-fabricate"},
        }
    )
    store.recorder.insert_events([StoredEvent(aggregate_id, 1, get_topic(ContainerRegistered), v1_state)])
    return aggregate_id


def test_a_stored_v1_event_is_upcast_to_todays_v2(system: Manufactory) -> None:
    """v1 registrations (from the spec's containers.config JSON) had `system` and `min_price`."""
    owner = uuid.uuid4()
    aggregate_id = store_legacy_container(system.store, owner)
    [event] = system.store.history(aggregate_id)
    assert isinstance(event, ContainerRegistered)
    assert event.system_symbol == "X1-YZ19"
    assert event.config.min_purchase_price == 1000
    assert event.config.max_pipelines == 4
    assert (event.config.min_balance, event.config.mode) == (250_000, CoordinatorMode.PARALLEL_TASK_BASED)
    container = system.store.load(aggregate_id, Container)
    assert container.config.collect_min_start_supply is SupplyLevel.ABUNDANT  # default filled in
    # and it is stored at today's version from now on
    system.containers.change_config("legacy", {"max_workers": 6}, meta(owner), None)
    assert b'"class_version":1' in system.store.recorder.select_events(aggregate_id)[1].state


def test_events_recorded_before_min_balance_and_mode_replay_and_project_with_the_defaults(
    system: Manufactory,
) -> None:
    owner = uuid.uuid4()
    aggregate_id = container_aggregate_id(owner, "older")
    before = {"max_pipelines": 4, "max_workers": 5, "min_purchase_price": 0, "strategy": "prefer-fabricate"}
    states = [
        {
            "class_version": 2,
            "owner_id": str(owner),
            "container_id": "older",
            "system_symbol": "X1-YZ19",
            "config": before,
        },
        {"changes": {"max_workers": {"old": 5, "new": 7}}, "config": {**before, "max_workers": 7}},
    ]
    topics = [get_topic(ContainerRegistered), get_topic(ConfigChanged)]
    system.store.recorder.insert_events(
        [
            StoredEvent(
                aggregate_id,
                version,
                topic,
                msgspec.json.encode(
                    {
                        "originator_id": str(aggregate_id),
                        "originator_version": version,
                        "timestamp": "2025-01-02T03:04:05Z",
                        "meta": {"user_id": str(owner), "correlation_id": "before-0010"},
                        **state,
                    }
                ),
            )
            for version, (topic, state) in enumerate(zip(topics, states, strict=True), start=1)
        ]
    )
    config = system.store.load(aggregate_id, Container).config
    assert (config.max_workers, config.min_balance, config.mode) == (7, 0, CoordinatorMode.PARALLEL_TASK_BASED)
    system.projections.catch_up("manufacturing")
    with system.read_engine.connect() as connection:
        [view] = list_containers(connection, owner)
    assert view.config == config


def test_concurrent_updates_never_lose_one(system: Manufactory) -> None:
    """Two writers changing different fields of one aggregate at once: every change lands."""
    user_id = uuid.uuid4()
    container = register(system, user_id)
    rounds = 25

    def writer(field: str, offset: int) -> None:
        for value in range(1, rounds + 1):
            system.containers.change_config("mfg-1", {field: value + offset}, meta(user_id), None)

    threads = [
        threading.Thread(target=writer, args=("max_workers", 100)),
        threading.Thread(target=writer, args=("max_pipelines", 0)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = system.store.history(container.id)
    assert [e.originator_version for e in events] == list(range(1, 2 * rounds + 2))
    final = system.store.load(container.id, Container).config
    assert (final.max_workers, final.max_pipelines) == (100 + rounds, rounds)


def test_writers_expecting_the_same_version_one_wins_the_other_gets_409(system: Manufactory) -> None:
    user_id = uuid.uuid4()
    register(system, user_id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(workers: int) -> None:
        barrier.wait()
        try:
            system.containers.change_config("mfg-1", {"max_workers": workers}, meta(user_id), expected_version=1)
            outcomes.append("ok")
        except Conflict as conflict:
            assert conflict.current_version == 2
            outcomes.append("409")

    threads = [threading.Thread(target=writer, args=(n,)) for n in (7, 8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "ok"]


def test_registering_the_same_container_twice_is_a_conflict(system: Manufactory) -> None:
    user_id = uuid.uuid4()
    register(system, user_id)
    with pytest.raises(Conflict):
        register(system, user_id)
    register(system, uuid.uuid4())  # another user's namespace is separate


def test_writers_in_separate_processes_never_lose_an_update(settings) -> None:  # type: ignore[no-untyped-def]
    """Two independent systems (own caches, own locks) on one database, as two servers would be:
    their saves collide in the event store and are retried on the fresh state."""
    user_id = uuid.uuid4()
    rounds = 15
    with Manufactory.open(settings) as first, Manufactory.open(settings) as second:
        register(first, user_id)

        def writer(system: Manufactory, field: str) -> None:
            for value in range(1, rounds + 1):
                system.containers.change_config("mfg-1", {field: value}, meta(user_id), None)

        threads = [
            threading.Thread(target=writer, args=(first, "max_workers")),
            threading.Thread(target=writer, args=(second, "max_pipelines")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    aggregate_id = container_aggregate_id(user_id, "mfg-1")
    with Manufactory.open(settings) as third:  # what the event store holds, read afresh
        assert len(third.store.history(aggregate_id)) == 2 * rounds + 1
        final = third.store.load(aggregate_id, Container).config
        assert (final.max_workers, final.max_pipelines) == (rounds, rounds)


def test_a_collision_in_a_shared_transaction_fails_only_its_own_command(system: Manufactory) -> None:
    """Group commit writes concurrent commands together; if one collides, the others still land."""
    user_id = uuid.uuid4()
    ok = Container.register(
        owner_id=user_id, container_id="ok", system_symbol="X1", config=ManufacturingConfig(), meta=meta(user_id)
    )
    clash = register(system, user_id, "taken")
    stale = Container.register(
        owner_id=user_id, container_id="taken", system_symbol="X1", config=ManufacturingConfig(), meta=meta(user_id)
    )
    assert stale.id == clash.id  # version 1 of "taken" exists already
    committer = GroupCommitter(system.store.events.put)
    landed, collided = committer._record([ok.collect_events(), stale.collect_events()])
    assert not isinstance(landed, BaseException) and landed[0].notification.id > 0
    assert isinstance(collided, IntegrityError)
    assert [e.originator_version for e in system.store.history(ok.id)] == [1]


def _changes_of_two_containers(system: Manufactory, user_id: uuid.UUID) -> list[ConfigChanged]:
    """Three config changes of each of two containers, not yet saved."""
    first, second = register(system, user_id, "a"), register(system, user_id, "b")
    for workers in (6, 7, 8):
        first.change_config({"max_workers": workers}, meta(user_id))
        second.change_config({"max_workers": workers}, meta(user_id))
    return [*first.collect_events(), *second.collect_events()]


def _logged_at(system: Manufactory, positions: list[int]) -> list[tuple[int, uuid.UUID, int]]:
    notifications = system.store.recorder.select_notifications(positions[0], len(positions))
    return [(n.id, n.originator_id, n.originator_version) for n in notifications]


def test_a_save_s_events_are_in_the_log_at_the_positions_it_answers(system: Manufactory) -> None:
    events = _changes_of_two_containers(system, uuid.uuid4())
    positions = [recording.notification.id for recording in system.store.events.put(events)]
    assert _logged_at(system, positions) == [
        (position, event.originator_id, event.originator_version)
        for position, event in zip(positions, events, strict=True)
    ]


def test_a_save_that_collides_stores_none_of_its_events(system: Manufactory) -> None:
    """A save is one transaction: its last event collides, and its first is not stored either."""
    user_id = uuid.uuid4()
    ok = Container.register(
        owner_id=user_id, container_id="ok", system_symbol="X1", config=ManufacturingConfig(), meta=meta(user_id)
    )
    register(system, user_id, "taken")
    stale = Container.register(
        owner_id=user_id, container_id="taken", system_symbol="X1", config=ManufacturingConfig(), meta=meta(user_id)
    )
    head = system.store.head()
    with pytest.raises(IntegrityError):
        system.store.events.put([*ok.collect_events(), *stale.collect_events()])
    assert system.store.head() == head
    assert list(system.store.recorder.select_events(ok.id)) == []


def test_on_sqlite_a_save_too_large_for_one_statement_is_stored_the_library_s_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite saves in one INSERT (``application.sqlite_recorder``), up to the variables one
    statement may hold; a larger save (a catalog import) is the library's BEGIN, INSERTs, COMMIT,
    with the same answer."""
    monkeypatch.setattr(sqlite_inserts, "variable_limit", lambda: 2 * len(sqlite_recorder.COLUMNS))
    with Manufactory.open(Settings(database_url=f"sqlite:///{tmp_path / 'events.sqlite'}")) as system:
        events = _changes_of_two_containers(system, uuid.uuid4())
        positions = [recording.notification.id for recording in system.store.events.put(events)]
        assert positions == list(range(positions[0], positions[0] + len(events)))
        assert [
            (n.originator_id, n.originator_version)
            for n in system.store.recorder.select_notifications(positions[0], len(events))
        ] == [(event.originator_id, event.originator_version) for event in events]


@pytest.mark.parametrize(
    ("start", "limit", "stop", "changes_only", "count"),
    [
        (1, 1000, 100, False, 8),
        (2, 3, 100, False, 3),
        (1, 1000, 100, True, 6),
        (3, 2, 7, True, 2),
        (5, 10, 4, False, 0),
    ],
)
def test_the_log_s_rows_are_its_notifications_as_tuples(
    system: Manufactory, start: int, limit: int, stop: int, changes_only: bool, count: int
) -> None:
    """What the projections read (``application.log_rows``): the same events, in the same order,
    with the same limits and topic filter, as the library's ``select_notifications``. Positions
    count from the first of this test's eight events (two registrations, six changes)."""
    events = _changes_of_two_containers(system, uuid.uuid4())
    before = system.store.events.put(events)[0].notification.id - 3  # before the two registrations
    topics = [get_topic(ConfigChanged)] if changes_only else []
    rows = log_reader(system.store.recorder).select_log(before + start, limit, before + stop, topics)
    notifications = system.store.recorder.select_notifications(before + start, limit, before + stop, topics)
    assert [(position, originator_uuid(originator), *rest) for position, originator, *rest in rows] == [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notifications
    ]
    assert len(rows) == count


def test_the_in_memory_log_s_rows_are_its_notifications_as_tuples() -> None:
    with Manufactory.open(Settings(database_url="memory://")) as system:
        system.store.events.put(_changes_of_two_containers(system, uuid.uuid4()))
        reader = log_reader(system.store.recorder)
        assert isinstance(reader, NotificationRows)
        assert [row[0] for row in reader.select_log(2, 4, 100, [get_topic(ConfigChanged)])] == [3, 4, 5, 6]
