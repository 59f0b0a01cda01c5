"""Crafting worlds served by several processes on one PostgreSQL database: each world lives in
one process at a time (a lease), a command or read reaching another process takes it over with
nothing lost, a dead owner's worlds move on once its lease expires, and worlds nobody uses are
unloaded and come back from their snapshot.

Two "processes" are two systems on one database in this test process, each with a crafting
service of its own (its own owner name, event store cache and leases, with short leases so
takeovers are quick to test).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import msgspec
import psycopg
import pytest

from application.crafting import CraftingService
from application.settings import Settings
from application.system import Manufactory
from application.world_leases import CHANNEL, PostgresLeases
from domain.crafting_world import World
from domain.errors import Conflict
from domain.events import CommandMeta
from tests.integration.test_crafting_service import MINE, SWORD, Clock, Workshop

R = TypeVar("R")
LEASE_SEC, HEARTBEAT_SEC = 0.6, 0.15  # the defaults are 1.5 s and 0.4 s


class Deciding:
    """Counts the copies of a world deciding at once, across both processes."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def wrap(self, decide: Callable[[World, float], R]) -> Callable[[World, float], R]:
        def counted(world: World, now: float) -> R:
            with self._lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(0.001)  # long enough for an overlap to show
                return decide(world, now)
            finally:
                with self._lock:
                    self.now -= 1

        return counted


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def two(postgres_url: str, clock: Clock) -> Iterator[tuple[CraftingService, CraftingService]]:
    """The crafting services of two processes sharing the database."""
    settings = msgspec.structs.replace(Settings(database_url=postgres_url), snapshot_interval=1000)
    conninfo = settings.postgres_conninfo
    assert conninfo is not None
    with Manufactory.open(settings) as first, Manufactory.open(settings, migrate_schema=False) as second:
        services = [
            CraftingService(
                system.store,
                tick_interval=0.01,
                clock=clock,
                leases=PostgresLeases(conninfo, lease_sec=LEASE_SEC, heartbeat_sec=HEARTBEAT_SEC, owner=name),
                handover_timeout=5.0,
            )
            for system, name in ((first, "one"), (second, "two"))
        ]
        try:
            yield services[0], services[1]
        finally:
            for service in services:
                service.close()


def ticked_until(service: CraftingService, done: Callable[[], bool], within: float) -> float:
    """Tick ``service`` until ``done()``; how long it took (fails after ``within`` seconds)."""
    started = time.monotonic()
    while not done():
        assert time.monotonic() - started < within, "not done in time"
        service.tick()
        time.sleep(0.01)
    return time.monotonic() - started


def test_commands_through_both_processes_are_each_applied_once_by_one_copy_at_a_time(
    two: tuple[CraftingService, CraftingService],
) -> None:
    one, other = two
    shop = Workshop.create(one, uuid.uuid4())
    shop.setup(SWORD, items={"iron_ingot": 1})
    deciding = Deciding()
    adds = 12

    def add(service: CraftingService) -> None:
        meta = CommandMeta(user_id=shop.user_id, correlation_id="adds")
        for _ in range(adds):
            service.command(
                shop.world_id, meta, deciding.wrap(lambda w, _: w.add_items("inv", {"iron_ingot": 1}, meta))
            )

    threads = [threading.Thread(target=add, args=(service,)) for service in (one, other, one, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert deciding.most == 1, "never two copies deciding at once"
    for service in (one, other):
        assert Workshop(service, shop.user_id, shop.world_id).items() == {"iron_ingot": 1 + 4 * adds}, "none lost"
    assert one.in_memory() + other.in_memory() == [shop.world_id], "in one process's memory"
    history = one.store.history(shop.world_id)
    assert [event.originator_version for event in history] == list(range(1, len(history) + 1))
    assert len(history) == 4 + 4 * adds, "created, recipes, inventory, manager, then each add once"


def test_reads_on_either_process_show_every_write_made_through_the_other(
    two: tuple[CraftingService, CraftingService], clock: Clock
) -> None:
    one, other = two
    here = Workshop.create(one, uuid.uuid4())
    there = Workshop(other, here.user_id, here.world_id)
    here.setup(SWORD, items={"iron_ingot": 10, "hammer": 1})
    assert there.items() == {"iron_ingot": 10, "hammer": 1}
    assert other.in_memory() == [here.world_id] and one.in_memory() == [], "handed over, not copied"
    (started,) = there.start("iron_sword")
    assert here.running() == [started.job_id]
    assert [p.job_id for p in one.progress(here.world_id, here.user_id, "player1", 10)] == [started.job_id]
    clock.now += 5
    assert one.tick() == 1
    assert there.items() == {"iron_ingot": 7, "hammer": 1, "iron_sword": 1}
    assert there.running() == []


def test_a_dead_owners_world_is_taken_over_once_its_lease_expires(
    two: tuple[CraftingService, CraftingService], clock: Clock
) -> None:
    dead, survivor = two
    shop = Workshop.create(dead, uuid.uuid4())
    shop.setup(SWORD, items={"iron_ingot": 10, "hammer": 1})
    (started,) = shop.start("iron_sword")
    dead.leases.close()  # its heartbeat stops, its rows stay: as after a SIGKILL
    clock.now += 5

    survived = Workshop(survivor, shop.user_id, shop.world_id)
    took = ticked_until(survivor, lambda: survivor.in_memory() == [shop.world_id], within=LEASE_SEC + 2)
    assert took < LEASE_SEC + 1, "taken over soon after the lease expired, found by the ticker"
    assert not dead.leases.holds(shop.world_id), "the dead owner stopped trusting its lease before that"
    assert survived.items() == {"iron_ingot": 7, "hammer": 1, "iron_sword": 1}, "its due job completed"
    assert survived.start("iron_sword")[0].job_id == "forge_1#2"


def test_an_owner_busy_past_the_timeout_leaves_the_other_a_refusal_and_changes_nothing(
    two: tuple[CraftingService, CraftingService],
) -> None:
    one, other = two
    shop = Workshop.create(one, uuid.uuid4())
    shop.setup(SWORD, items={"iron_ingot": 1})
    other.handover_timeout = 0.3
    deciding, release = threading.Event(), threading.Event()

    def long_command(world: World, now: float) -> None:
        deciding.set()
        release.wait(5)

    busy = threading.Thread(target=shop.do, args=(long_command,))
    busy.start()
    try:
        assert deciding.wait(5)
        with pytest.raises(Conflict) as refused:
            Workshop(other, shop.user_id, shop.world_id).items()
        assert refused.value.field == "world_id"
    finally:
        release.set()
        busy.join()
    assert Workshop(other, shop.user_id, shop.world_id).items() == {"iron_ingot": 1}, "handed over once free"


def test_a_stream_of_notifications_is_passed_on_without_a_renewal_for_each(postgres_url: str) -> None:
    """Hand-overs elsewhere may notify a process many times a second; it renews its leases
    once per ``heartbeat_sec`` all the same, and passes each notification on."""
    settings = Settings(database_url=postgres_url)
    conninfo = settings.postgres_conninfo
    assert conninfo is not None
    with Manufactory.open(settings):  # the schema
        pass
    leases = PostgresLeases(conninfo, lease_sec=LEASE_SEC, heartbeat_sec=HEARTBEAT_SEC, owner="one")
    asked = threading.Event()
    leases.bind(lambda _: asked.set())
    world = uuid.uuid4()
    try:
        assert leases.acquire(world, timeout=5)
        renewals = []
        renew = leases._renew
        leases._renew = lambda connection: (renewals.append(time.monotonic()), renew(connection))[1]  # type: ignore[method-assign]
        started = time.monotonic()
        with psycopg.connect(conninfo, autocommit=True) as connection:
            for _ in range(300):  # worlds nobody here waits for
                connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"released {uuid.uuid4()}"))
            connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"release {world}"))
        assert asked.wait(10), "the last notification reached the hand-over"
        elapsed = time.monotonic() - started
        assert leases.holds(world), "renewed all the while"
    finally:
        leases.close()
    assert len(renewals) <= elapsed / HEARTBEAT_SEC + 1, f"{len(renewals)} renewals in {elapsed:.2f} s"


def test_an_idle_world_is_released_and_a_process_takes_it_back_when_its_job_is_due(
    two: tuple[CraftingService, CraftingService], clock: Clock
) -> None:
    one, other = two
    shop = Workshop.create(one, uuid.uuid4())
    shop.setup(MINE, items={"energy": 30, "pickaxe": 1})
    shop.start("mine_iron", repeat=True)
    before = shop.read(lambda w, _: w.state())
    one.idle_unload_sec = 0.01
    time.sleep(0.02)
    one.tick()
    assert one.in_memory() == [] and not one.leases.holds(shop.world_id), "unloaded and released"

    assert other.tick() == 0, "nothing due yet: nobody takes it"
    assert other.in_memory() == []
    clock.now += 60  # three cycles, then the energy runs out
    ticked_until(other, lambda: other.in_memory() == [shop.world_id], within=3)
    there = Workshop(other, shop.user_id, shop.world_id)
    assert there.running() == []
    assert there.items() == {"iron_ore": 15, "pickaxe": 1}, "every cycle completed, on time, elsewhere"
    assert before.inventories != there.read(lambda w, _: w.state()).inventories


def test_an_idle_world_comes_back_from_its_snapshot_as_it_was(system: Manufactory, clock: Clock) -> None:
    crafting = system.crafting
    crafting.clock = clock
    shop = Workshop.create(crafting, uuid.uuid4())
    shop.setup(MINE, SWORD, items={"energy": 30, "pickaxe": 1, "iron_ingot": 10, "hammer": 1})
    shop.start("mine_iron", repeat=True)
    shop.start("iron_sword")
    clock.now += 5
    crafting.tick()  # a cycle done, the next running: random rolls and end times in the state
    before = shop.read(lambda w, _: w.state())
    version = system.store.latest_version(shop.world_id)
    crafting.idle_unload_sec = 0.01
    time.sleep(0.02)
    assert crafting.tick() == 0
    assert crafting.in_memory() == []
    assert system.store.snapshot_version(shop.world_id) == version, "snapshotted as it left memory"

    assert shop.read(lambda w, _: w.state()) == before, "restored from the snapshot, the same"
    assert crafting.in_memory() == [shop.world_id]
    clock.now += 60
    crafting.tick()
    assert shop.items() == {"pickaxe": 1, "iron_ingot": 7, "hammer": 1, "iron_ore": 15, "iron_sword": 1}
