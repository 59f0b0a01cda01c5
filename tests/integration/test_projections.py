"""The projection runtime: exactly-once batches, crash recovery, blue/green rebuilds."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from eventsourcing.utils import get_topic
from sqlalchemy import func, inspect, select

from application.settings import Settings
from application.system import Manufactory
from domain.events import CommandMeta
from projections.catalog import CatalogProjection
from projections.economics import ECONOMICS
from projections.manufacturing import CONFIG_HISTORY, CONTAINERS, ManufacturingProjection
from projections.registry import all_projections
from projections.runtime import ProjectionError
from projections.tracking import positions, rebuild_leases
from projections.users import USER_TOKENS, USERS


def meta(user_id: uuid.UUID) -> CommandMeta:
    return CommandMeta(user_id=user_id, correlation_id=f"c-{uuid.uuid4().hex[:8]}")


def populate(system: Manufactory, containers: int = 6) -> uuid.UUID:
    """Registrations, config changes and status changes across several containers."""
    user_id = system.users.create_user(f"u{uuid.uuid4().hex[:6]}").user_id
    for n in range(containers):
        name = f"mfg-{n}"
        system.containers.register(name, "X1-YZ19", "prefer-fabricate", {"max_pipelines": 1 + n % 4}, meta(user_id))
        system.containers.change_config(name, {"max_workers": 10 + n}, meta(user_id), None)
        if n % 2:
            system.containers.change_status(name, "RUNNING", meta(user_id), None)
    return user_id


def rows(system: Manufactory, *tables: Any) -> dict[str, list[tuple[Any, ...]]]:
    with system.read_engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in tables
        }


@pytest.fixture
def small_batches(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, projection_batch_size=3)


def test_catch_up_applies_every_event_once_and_tracks_the_position(system: Manufactory) -> None:
    populate(system)
    system.projections.catch_up()
    system.projections.catch_up()  # nothing new: a no-op
    head = system.store.head()
    assert {s.name: (s.position, s.lag) for s in system.projections.status()} == {
        projection.name: (head, 0) for projection in all_projections()
    }
    history = rows(system, CONFIG_HISTORY.view)["mfg_config_history"]
    assert len(history) == 6 + 6 + 3  # registered + config + status events


def test_a_process_that_does_not_run_the_projections_follows_their_positions_by_polling(settings: Settings) -> None:
    """Without a wake-up from the runner's process (a lost NOTIFY, or none at all on SQLite) a
    follower still sees every projection move on within a few polls, for its waiting reads."""
    with Manufactory.open(settings) as runner, Manufactory.open(settings, migrate_schema=False) as follower:
        follower.projections.poll_interval = 0.05
        follower.projections.start(apply=False)
        try:
            populate(runner)
            runner.projections.catch_up()
            head = runner.store.head()
            deadline = time.monotonic() + 10
            names = [projection.name for projection in all_projections()]
            while time.monotonic() < deadline and any(follower.signal.known_position(n) < head for n in names):
                time.sleep(0.02)
            assert {name: follower.signal.known_position(name) for name in names} == dict.fromkeys(names, head)
        finally:
            follower.projections.stop()


def test_a_crash_mid_batch_applies_nothing_of_it_and_nothing_twice(
    small_batches: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Manufactory.open(small_batches) as system:
        populate(system)
        calls = {"n": 0}
        real_apply = ManufacturingProjection.apply

        def crash_on_second_batch(self: Any, connection: Any, tables: Any, events: Any) -> None:
            calls["n"] += 1
            real_apply(self, connection, tables, events)  # rows written inside the transaction...
            if calls["n"] == 2:
                raise ConnectionError("power cut")  # ...and lost with it (the database's trouble, no event's)

        monkeypatch.setattr(ManufacturingProjection, "apply", crash_on_second_batch)
        with pytest.raises(ConnectionError):
            system.projections.catch_up("manufacturing")
        [status] = [s for s in system.projections.status() if s.name == "manufacturing"]
        assert status.last_error == "ConnectionError: power cut"
        assert status.dead_letters == 0
        after_first_batch = rows(system, CONFIG_HISTORY.view)["mfg_config_history"]
        assert 0 < len(after_first_batch) <= 3
        # the stored position accounts for exactly the rows that were committed
        topics = [get_topic(t) for t in ManufacturingProjection.topics]
        applied = system.store.recorder.select_notifications(1, 1000, stop=status.position, topics=topics)
        assert len(applied) == len(after_first_batch)
        assert 0 < status.position < system.store.head()

    monkeypatch.undo()
    with Manufactory.open(small_batches) as restarted:  # a new process picks up where it stopped
        restarted.projections.catch_up()
        history = rows(restarted, CONFIG_HISTORY.view)["mfg_config_history"]
        assert len(history) == 15
        assert len({(row[0], row[1]) for row in history}) == 15
        assert all(row in history for row in after_first_batch)


def test_the_live_tables_keep_serving_during_a_rebuild_and_late_events_make_it(small_batches: Settings) -> None:
    with Manufactory.open(small_batches) as system:
        user_id = populate(system, containers=8)
        system.projections.catch_up()
        live = rows(system, CONTAINERS.view)
        seen_during: list[Any] = []

        def during_rebuild(position: int, head: int) -> None:
            if not seen_during:
                seen_during.append(rows(system, CONTAINERS.view))
                system.containers.change_config("mfg-0", {"max_workers": 77}, meta(user_id), None)

        system.projections.rebuild("manufacturing", during_rebuild)
        assert seen_during == [live]
        with system.read_engine.connect() as connection:
            view = CONTAINERS.view
            workers = connection.execute(select(view.c.max_workers).where(view.c.container_id == "mfg-0")).scalar()
        assert workers == 77
        system.projections.catch_up()  # the live runner agrees with what the rebuild swapped in
        assert {s.name: s.lag for s in system.projections.status()}["manufacturing"] == 0


def test_an_unknown_projection_name_is_a_clear_error(system: Manufactory) -> None:
    known = ", ".join(sorted(projection.name for projection in all_projections()))
    with pytest.raises(ProjectionError, match=f"known projections: {known}$"):
        system.projections.rebuild("nope")


def test_the_live_tables_are_made_from_the_projections_definitions(system: Manufactory) -> None:
    inspector = inspect(system.read_engine)
    for projection_table in (USERS, USER_TOKENS, CONTAINERS, CONFIG_HISTORY, ECONOMICS, *CatalogProjection.tables):
        expected = projection_table.physical(1)
        actual = {c["name"]: c for c in inspector.get_columns(expected.name)}
        assert list(actual) == [c.name for c in expected.columns]
        for column in expected.columns:
            assert actual[column.name]["nullable"] == column.nullable, (expected.name, column.name)
        pk = inspector.get_pk_constraint(expected.name)["constrained_columns"]
        assert pk == [c.name for c in expected.primary_key.columns]


def manufacturing_status(system: Manufactory) -> Any:
    return next(s for s in system.projections.status() if s.name == "manufacturing")


def leftovers(system: Manufactory) -> tuple[list[str], list[int], int]:
    """What rebuilds of manufacturing left beside its live generation: tables, position rows, leases."""
    live = manufacturing_status(system).generation
    names = inspect(system.read_engine).get_table_names()
    tables = sorted(
        t for t in names if t.startswith(("mfg_containers_g", "mfg_config_history_g")) and t[-1] != str(live)
    )
    with system.read_engine.connect() as connection:
        generations = connection.execute(select(positions.c.generation).where(positions.c.name == "manufacturing"))
        leases = connection.execute(select(func.count()).select_from(rebuild_leases)).scalar_one()
        return tables, [generation for generation in generations.scalars() if generation != live], leases


def test_a_rebuild_collects_its_batches_young_garbage_every_few_batches(system: Manufactory) -> None:
    """A rebuild pauses the collector's walks over the whole heap, so it collects the young
    generations itself every few batches (``YOUNG_COLLECTION_BATCHES``), whether or not it
    reads ahead: a long rebuild's cycles are freed and its memory stays bounded."""
    populate(system)
    system.projections.rebuild_batch_size = 2  # about ten batches of manufacturing's events
    collected: list[int] = []

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collected.append(info["generation"])

    gc.callbacks.append(on_collection)
    try:
        system.projections.rebuild("manufacturing")
    finally:
        gc.callbacks.remove(on_collection)
    assert 1 in collected


def test_a_second_rebuild_is_refused_while_the_first_runs_also_from_another_process(settings: Settings) -> None:
    with Manufactory.open(settings) as system:
        populate(system)
        system.projections.catch_up()
        inside, release = threading.Event(), threading.Event()

        def hold(position: int, head: int) -> None:
            inside.set()
            release.wait(30)

        first = threading.Thread(target=system.projections.rebuild, args=("manufacturing", hold))
        first.start()
        try:
            assert inside.wait(30)
            with Manufactory.open(settings) as other:  # another process starting meanwhile
                with pytest.raises(ProjectionError, match="^a rebuild of 'manufacturing' is already running"):
                    other.projections.rebuild("manufacturing")
                assert manufacturing_status(other).rebuilding_generation == 2  # and its start left it alone
        finally:
            release.set()
            first.join()
        assert (manufacturing_status(system).generation, manufacturing_status(system).rebuilding_generation) == (
            2,
            None,
        )
        assert leftovers(system) == ([], [], 0)
        assert system.projections.rebuild("manufacturing") == 3


def test_a_failed_rebuild_drops_its_generation_and_lease(system: Manufactory) -> None:
    populate(system)

    def fail(position: int, head: int) -> None:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        system.projections.rebuild("manufacturing", fail)
    assert leftovers(system) == ([], [], 0)
    assert system.projections.rebuild("manufacturing") == 2


KILLABLE_REBUILD = """
import sys, time
from application.settings import Settings
from application.system import Manufactory

system = Manufactory.open(Settings(database_url=sys.argv[1], rebuild_heartbeat_sec=0.05))
system.projections.rebuild_batch_size = 3

def stall(position, head):
    print(position, flush=True)
    time.sleep(600)

system.projections.rebuild("manufacturing", stall)
"""


def test_a_rebuild_killed_midway_leaves_nothing_once_the_next_process_starts(settings: Settings) -> None:
    settings = msgspec.structs.replace(settings, rebuild_lease_timeout_sec=0.5)
    with Manufactory.open(settings) as system:
        populate(system)
        system.projections.catch_up()
        live = rows(system, CONTAINERS.view, CONFIG_HISTORY.view)
        rebuilding = subprocess.Popen(
            [sys.executable, "-c", KILLABLE_REBUILD, settings.database_url],
            cwd=Path(__file__).parents[2],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert rebuilding.stdout is not None
            assert 0 < int(rebuilding.stdout.readline()) < system.store.head()  # midway
            assert manufacturing_status(system).rebuilding_generation == 2  # its heartbeat keeps the lease
        finally:
            rebuilding.kill()  # SIGKILL: no cleanup of its own
            rebuilding.wait()
        time.sleep(settings.rebuild_lease_timeout_sec)  # no heartbeat since: the lease is stale
        assert manufacturing_status(system).rebuilding_generation is None
        assert leftovers(system)[0] == ["mfg_config_history_g2", "mfg_containers_g2"]  # half-built

    with Manufactory.open(settings) as restarted:
        assert leftovers(restarted) == ([], [], 0)
        assert rows(restarted, CONTAINERS.view, CONFIG_HISTORY.view) == live
        assert restarted.projections.rebuild("manufacturing") == 2
