"""Commands run on the event loop keep every guarantee of the threaded ones, on both
databases: no update lost beside commands in threads, each its own position when woken
together, reads of the store off the loop, and no read-model query on it."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from sqlalchemy import text

from application.on_loop import run_on_loop
from application.settings import Settings
from application.system import Manufactory
from domain.events import CommandMeta
from domain.manufacturing.container import Container, container_aggregate_id

ROUNDS = 20


def meta(user_id: uuid.UUID) -> CommandMeta:
    return CommandMeta(user_id=user_id, correlation_id="on-loop")


def test_commands_on_the_loop_and_in_threads_never_lose_an_update(system: Manufactory) -> None:
    """Three fields of one container changed at once: two writers on one event loop, one in a thread."""
    user_id = uuid.uuid4()
    container = system.containers.register("c1", "X1-YZ19", "prefer-fabricate", {}, meta(user_id)).aggregate

    def change(field: str, value: int) -> None:
        system.containers.change_config("c1", {field: value}, meta(user_id), None)

    async def on_loop(field: str) -> None:
        for value in range(1, ROUNDS + 1):
            await run_on_loop(change, field, value)

    async def loop_writers() -> None:
        await asyncio.gather(on_loop("max_workers"), on_loop("max_pipelines"))

    thread = threading.Thread(target=lambda: [change("min_balance", 1000 + v) for v in range(1, ROUNDS + 1)])
    thread.start()
    asyncio.run(loop_writers())
    thread.join()
    versions = [event.originator_version for event in system.store.history(container.id)]
    assert versions == list(range(1, 3 * ROUNDS + 2))
    final = system.store.load(container.id, Container).config
    assert (final.max_workers, final.max_pipelines, final.min_balance) == (ROUNDS, ROUNDS, 1000 + ROUNDS)


def test_commands_on_the_loop_at_once_each_learn_the_position_of_their_own_event(system: Manufactory) -> None:
    user_id = uuid.uuid4()
    names = [f"c{n}" for n in range(12)]
    for name in names:
        system.containers.register(name, "X1-YZ19", "prefer-fabricate", {}, meta(user_id))

    async def change_all() -> list[int]:
        results = await asyncio.gather(
            *(
                run_on_loop(system.containers.change_config, name, {"max_workers": 9}, meta(user_id), None)
                for name in names
            )
        )
        return [result.position for result in results]

    positions = asyncio.run(change_all())
    assert len(set(positions)) == len(names)
    for name, position in zip(names, positions, strict=True):
        (event,) = system.store.history(container_aggregate_id(user_id, name), after=1)
        logged = system.store.recorder.select_notifications(start=position, limit=1)[0]
        assert (logged.originator_id, logged.originator_version) == (event.originator_id, event.originator_version)


def test_a_command_on_the_loop_reads_an_uncached_aggregate_in_a_worker_thread(
    system: Manufactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = uuid.uuid4()
    container = system.containers.register("c1", "X1-YZ19", "prefer-fabricate", {}, meta(user_id)).aggregate
    system.store.forget(container.id)
    readers: list[int] = []
    select_events = system.store.recorder.select_events

    def recorded_select(*args: object, **kwargs: object) -> object:
        readers.append(threading.get_ident())
        return select_events(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(system.store.recorder, "select_events", recorded_select)

    async def change() -> int:
        await run_on_loop(system.containers.change_config, "c1", {"max_workers": 3}, meta(user_id), None)
        return threading.get_ident()

    loop_thread = asyncio.run(change())
    assert readers and loop_thread not in readers
    assert system.store.load(container.id, Container).config.max_workers == 3


def test_a_command_that_changes_nothing_answers_the_head_read_on_the_loop(
    system: Manufactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its position covers every write committed before it, also one another process made,
    and is read on the loop (a worker thread made such a no-op cost twice a change)."""
    user_id = uuid.uuid4()
    system.containers.register("c1", "X1-YZ19", "prefer-fabricate", {"max_workers": 4}, meta(user_id))
    with Manufactory.open(settings, migrate_schema=False) as elsewhere:
        elsewhere.containers.register("c2", "X1-YZ19", "prefer-fabricate", {}, meta(user_id))
        written_elsewhere = elsewhere.store.head()
    readers: list[int] = []
    read_head = system.store.recorder.max_notification_id

    def recorded_read() -> object:
        readers.append(threading.get_ident())
        return read_head()

    monkeypatch.setattr(system.store.recorder, "max_notification_id", recorded_read)

    async def change_nothing() -> tuple[int, bool, int]:
        result = await run_on_loop(system.containers.change_config, "c1", {"max_workers": 4}, meta(user_id), None)
        return result.position, result.changed, threading.get_ident()

    position, changed, loop_thread = asyncio.run(change_nothing())
    assert not changed and position == written_elsewhere
    assert all(reader == loop_thread for reader in readers)


def test_a_read_model_query_from_a_command_on_the_loop_is_refused(system: Manufactory) -> None:
    def reads_a_projection() -> object:
        with system.read_engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar()

    async def run() -> object:
        return await run_on_loop(reads_a_projection)

    with pytest.raises(RuntimeError, match="a read-model query would block the event loop"):
        asyncio.run(run())
    assert reads_a_projection() == 1  # in a thread it is allowed
