"""The event-sourced crafting service: the spec's flows persisted, restarts, replay, concurrency.

Time is a fake clock the test moves; every world is saved to the test's database (SQLite and
PostgreSQL) and restarts are new ``Manufactory`` instances on the same database.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import pytest

import application.crafting
from application.crafting import CraftingService
from application.settings import Settings
from application.system import Manufactory
from domain.crafting import (
    CraftCompleted,
    CraftEvent,
    CraftFailed,
    CraftRecipe,
    CraftStarted,
    InMemoryInventories,
    InsufficientItems,
    ItemRequirement,
    ItemYield,
    Manager,
    Modifiers,
    RecipeRegistry,
)
from domain.crafting_world import ModifierGrant, World
from domain.errors import NotFound
from domain.events import CommandMeta
from tests.support import run_cli
from tests.unit.test_crafting_engine import IRON_SWORD, MINE_IRON

R = TypeVar("R")
T0 = 1_800_000_000.0

SWORD, MINE = IRON_SWORD, MINE_IRON  # the spec's examples, as the engine's tests define them
GEODE = CraftRecipe(
    id="crack_geode",
    category="mining",
    inputs=(ItemRequirement("geode", 1),),
    outputs=(ItemYield("stone", 2), ItemYield("ruby", 1, 0.25), ItemYield("sapphire", 1, 0.1)),
    duration=10.0,
)
SMELT = CraftRecipe(
    id="smelt",
    category="smelting",
    inputs=(ItemRequirement("iron_ore", 2),),
    outputs=(ItemYield("iron_ingot", 1),),
    duration=2.0,
)
FORGE_LVL_3 = ModifierGrant(modifiers=Modifiers(input_cost=0.85, time_speed=0.7, source="Forge Lvl 3"))
SMITHING = ModifierGrant(modifiers=Modifiers(output_yield=1.3, source="Smithing"), categories=("weapons",))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Workshop:
    """One user's world driven through the service, as a game server would."""

    def __init__(self, crafting: CraftingService, user_id: UUID, world_id: UUID) -> None:
        self.crafting = crafting
        self.user_id = user_id
        self.world_id = world_id
        self.meta = CommandMeta(user_id=user_id, correlation_id=str(uuid.uuid4()))

    @classmethod
    def create(cls, crafting: CraftingService, user_id: UUID, seed: int = 7) -> Workshop:
        meta = CommandMeta(user_id=user_id, correlation_id="test")
        return cls(crafting, user_id, crafting.create_world("Forge", seed, meta)[0])

    def do(self, decide: Callable[[World, float], R]) -> R:
        return self.crafting.command(self.world_id, self.meta, decide)[0]

    def read(self, query: Callable[[World, float], R]) -> R:
        return self.crafting.read(self.world_id, self.user_id, query)

    def setup(self, *recipes: CraftRecipe, items: dict[str, int], capacity: int | None = None, **managers: Any) -> None:
        self.do(lambda w, _: w.register_recipes(recipes, replace=False, meta=self.meta))
        self.do(lambda w, _: w.create_inventory("inv", capacity, items, self.meta))
        for manager_id, grants in (managers or {"forge_1": ()}).items():
            self.do(lambda w, _, m=manager_id, g=grants: w.create_manager(m, g, self.meta))

    def start(
        self, recipe_id: str, manager: str = "forge_1", owner: str = "player1", **options: Any
    ) -> tuple[CraftEvent, ...]:
        return self.do(lambda w, now: w.start(manager, recipe_id, owner, "inv", now, self.meta, **options))

    def items(self) -> dict[str, int]:
        return self.read(lambda w, _: {s.item: s.quantity for s in w.inventory("inv").items})

    def running(self, owner: str = "player1") -> list[str]:
        return self.read(lambda w, _: [job.job_id for job in w.running_jobs(owner)])


@pytest.fixture
def clock(system: Manufactory) -> Clock:
    clock = Clock()
    system.crafting.clock = clock
    return clock


@pytest.fixture
def user(system: Manufactory) -> UUID:
    return system.users.create_user("smith").user_id


@pytest.fixture
def shop(system: Manufactory, clock: Clock, user: UUID) -> Workshop:
    return Workshop.create(system.crafting, user)


@pytest.fixture
def reopen(settings: Settings, clock: Clock) -> Iterator[Callable[[], Manufactory]]:
    """Another process on the same database (the service restarted, or a second server)."""
    opened: list[Manufactory] = []

    def open_() -> Manufactory:
        system = Manufactory.open(settings)
        system.crafting.clock = clock
        opened.append(system)
        return system

    yield open_
    for system in opened:
        system.close()


def test_iron_sword_takes_the_ingots_checks_the_hammer_and_yields_a_sword(shop: Workshop, clock: Clock) -> None:
    shop.setup(SWORD, items={"iron_ingot": 10, "hammer": 1}, forge_1=(FORGE_LVL_3, SMITHING))
    started = shop.start("iron_sword")[0]
    assert isinstance(started, CraftStarted)
    assert [(s.item, s.quantity) for s in started.consumed] == [("iron_ingot", 3)], "3 x 0.85 = 2.55 rounds up to 3"
    assert started.end - started.at == 3.5, "5 s x 0.7"
    assert started.resolved.outputs[0].quantity == 1, "1 x 1.3 rounds down to 1"
    assert started.resolved.modifiers.source == "Forge Lvl 3+Smithing"
    assert shop.items() == {"iron_ingot": 7, "hammer": 1}, "the ingots go at once, the hammer stays"

    clock.now += 3.4
    shop.crafting.tick()
    assert shop.running() == [started.job_id]
    clock.now += 0.1
    assert shop.crafting.tick() == 1
    assert shop.items() == {"iron_ingot": 7, "hammer": 1, "iron_sword": 1}
    assert shop.running() == []


def test_grants_apply_only_to_their_categories_and_owners(shop: Workshop) -> None:
    skill = ModifierGrant(modifiers=Modifiers(time_speed=0.5, source="Mining 5"), owners=("player2",))
    shop.setup(SWORD, MINE, items={"energy": 100, "pickaxe": 1}, forge_1=(SMITHING, skill))
    mine = shop.start("mine_iron")[0]
    assert isinstance(mine, CraftStarted)
    assert mine.resolved.modifiers == Modifiers(), "no weapons bonus on mining, no skill for player1"
    fast = shop.start("mine_iron", owner="player2")[0]
    assert isinstance(fast, CraftStarted) and fast.end - fast.at == 2.5


def test_mining_loop_on_100_energy_stops_after_10_cycles_with_failed_to_restart(shop: Workshop, clock: Clock) -> None:
    shop.setup(MINE, items={"energy": 100, "pickaxe": 1})
    shop.start("mine_iron", repeat=True)
    for _ in range(60):  # a tick a second: each cycle completes and restarts at its own end time
        clock.now += 1
        shop.crafting.tick()
    records = [record for _, record in shop.crafting.records_after(shop.world_id, shop.user_id, "player1", 0)[0]]
    completed = [r for r in records if isinstance(r, CraftCompleted)]
    assert [r.cycle for r in completed] == list(range(1, 11))
    assert [r.at - T0 for r in completed] == [5.0 * n for n in range(1, 11)]
    failed = records[-1]
    assert isinstance(failed, CraftFailed)
    assert (failed.reason, failed.cycles_completed, failed.at) == ("failed_to_restart", 10, T0 + 50)
    assert shop.items() == {"iron_ore": 50, "pickaxe": 1}
    assert shop.running() == []


def test_restart_restores_managers_and_inventories_and_completes_what_ended_while_down(
    shop: Workshop, clock: Clock, reopen: Callable[[], Manufactory]
) -> None:
    shop.setup(SWORD, MINE, items={"iron_ingot": 10, "hammer": 1, "energy": 100, "pickaxe": 1}, mine=(), forge_1=())
    sword = shop.start("iron_sword")[0]
    shop.start("mine_iron", manager="mine", repeat=True)
    clock.now += 12
    shop.crafting.tick()  # two mining cycles done before the "crash"
    long_job = shop.start("iron_sword", context={"slot": 2})[0]
    assert isinstance(long_job, CraftStarted)
    before = shop.items()
    jobs_before = shop.read(lambda w, _: sorted(j.job_id for m in w.managers for j in m.all_jobs()))

    restarted = reopen()
    again = Workshop(restarted.crafting, shop.user_id, shop.world_id)
    assert restarted.crafting.world_ids(shop.user_id) == [shop.world_id]
    assert again.items() == before
    assert again.read(lambda w, _: sorted(j.job_id for m in w.managers for j in m.all_jobs())) == (jobs_before)
    assert again.read(lambda w, _: w.job("forge_1", 2).context) == {"slot": 2}

    clock.now += 100  # down for a while: everything ends
    assert restarted.crafting.tick() == 1
    assert again.items() == {"iron_ingot": 4, "hammer": 1, "iron_sword": 2, "iron_ore": 50, "pickaxe": 1}
    assert again.running() == []
    third = again.start("iron_sword")[0]
    assert third.job_id == "forge_1#3", f"job numbers carry on after {sword.job_id} and {long_job.job_id}"


def test_replay_reproduces_the_same_inventories_after_random_rolls(
    shop: Workshop, clock: Clock, reopen: Callable[[], Manufactory]
) -> None:
    shop.setup(GEODE, items={"geode": 300}, a=(), b=())
    for n in range(60):
        shop.start("crack_geode", manager="ab"[n % 2])
        clock.now += 0.7
        if n % 7 == 0:
            shop.crafting.tick()
    shop.start("crack_geode", manager="a", repeat=True)  # ends when the geodes do
    clock.now += 10_000
    shop.crafting.tick()
    live = shop.items()
    assert live["stone"] == 600 and "geode" not in live
    assert 30 < live["ruby"] < 120 and 5 < live["sapphire"] < 60, f"outputs were rolled: {live}"

    assert Workshop(reopen().crafting, shop.user_id, shop.world_id).items() == live, "rebuilt from the events"

    # the same world on the bare engine (same manager ids and seed), one update at the end
    registry, inventories = RecipeRegistry([GEODE]), InMemoryInventories()
    inventories.create("inv", items={"geode": 300})
    managers = {m: Manager(m, registry, inventories, seed=7) for m in "ab"}
    at = T0
    for n in range(60):
        managers["ab"[n % 2]].start("crack_geode", "player1", "inv", at)
        at += 0.7
    managers["a"].start_repeating("crack_geode", "player1", "inv", at)
    for manager in managers.values():
        manager.update(at + 10_000)
    assert inventories.contents("inv") == live


def test_managers_sharing_an_inventory_see_each_others_outputs_in_end_time_order(
    system: Manufactory, clock: Clock, user: UUID
) -> None:
    """A smelter makes an ingot every 2 s; a forge takes 3 for a sword every 7 s, from one
    inventory. Each forge restart needs the ingots smelted meanwhile, so the world must be
    caught up in end-time order across managers: then it is the same however it is ticked."""
    slow = ModifierGrant(modifiers=Modifiers(time_speed=1.4))
    worlds = []
    for ticks in (1, 400):
        clock.now = T0
        shop = Workshop.create(system.crafting, user)
        shop.setup(SMELT, SWORD, items={"iron_ore": 40, "iron_ingot": 3, "hammer": 1}, forge_1=(slow,), smelter=())
        shop.start("smelt", manager="smelter", repeat=True)
        shop.start("iron_sword", repeat=True)
        for _ in range(ticks):
            clock.now += 100 / ticks
            system.crafting.tick()
        worlds.append(shop.items())
    assert worlds[0] == worlds[1] == {"iron_sword": 7, "iron_ingot": 2, "hammer": 1}


def test_concurrent_starts_from_several_threads_never_spend_an_item_twice(
    shop: Workshop, reopen: Callable[[], Manufactory]
) -> None:
    shop.setup(SWORD, items={"iron_ingot": 10, "hammer": 1})
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def start() -> None:
        barrier.wait()
        try:
            shop.start("iron_sword")
            outcomes.append("started")
        except InsufficientItems:
            outcomes.append("refused")

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["started"] * 3
    assert shop.items() == {"iron_ingot": 1, "hammer": 1}
    again = Workshop(reopen().crafting, shop.user_id, shop.world_id)
    assert again.items() == {"iron_ingot": 1, "hammer": 1}
    assert len(again.running()) == 3


def test_a_failed_save_leaves_the_world_as_the_store_has_it(
    system: Manufactory, shop: Workshop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.setup(SWORD, items={"iron_ingot": 10, "hammer": 1})
    _, before = shop.crafting.records_after(shop.world_id, shop.user_id, "player1", 0)
    save = system.store.save_events

    def broken(*aggregates: Any) -> int:
        monkeypatch.setattr(system.store, "save_events", save)
        for aggregate in aggregates:
            aggregate.collect_events()
        raise ConnectionError("the database went away")

    monkeypatch.setattr(system.store, "save_events", broken)
    with pytest.raises(ConnectionError):
        shop.start("iron_sword")
    assert shop.items() == {"iron_ingot": 10, "hammer": 1}, "rebuilt from the store: the start never happened"
    assert shop.running() == []
    assert shop.crafting.records_after(shop.world_id, shop.user_id, "player1", before) == ([], before)
    assert shop.start("iron_sword")[0].job_id == "forge_1#1"
    assert shop.items() == {"iron_ingot": 7, "hammer": 1}


def test_a_world_changed_by_another_process_is_rebuilt_and_the_command_retried(
    shop: Workshop, reopen: Callable[[], Manufactory]
) -> None:
    shop.setup(SWORD, items={"iron_ingot": 10, "hammer": 1})
    other = Workshop(reopen().crafting, shop.user_id, shop.world_id)
    assert other.items() == {"iron_ingot": 10, "hammer": 1}  # loaded there too
    shop.start("iron_sword")
    assert other.start("iron_sword")[0].job_id == "forge_1#2", "its save collided; retried on the rebuilt world"
    assert other.items() == {"iron_ingot": 4, "hammer": 1}
    assert shop.start("iron_sword")[0].job_id == "forge_1#3"
    assert Workshop(reopen().crafting, shop.user_id, shop.world_id).items() == {"iron_ingot": 1, "hammer": 1}


def test_saved_records_are_read_by_their_owner_only_numbered_so_a_reader_resumes_after_the_last(
    shop: Workshop, clock: Clock
) -> None:
    shop.setup(SWORD, items={"iron_ingot": 10, "hammer": 1})
    shop.start("iron_sword")
    clock.now += 5
    shop.crafting.tick()
    mine, reached = shop.crafting.records_after(shop.world_id, shop.user_id, "player1", 0)
    assert [type(r).__name__ for _, r in mine] == ["CraftStarted", "CraftCompleted"]
    (started_at, _), (completed_at, _) = mine
    assert started_at < completed_at == reached
    resumed, _ = shop.crafting.records_after(shop.world_id, shop.user_id, "player1", started_at)
    assert [type(r).__name__ for _, r in resumed] == ["CraftCompleted"], "nothing twice"
    assert shop.crafting.records_after(shop.world_id, shop.user_id, "player2", 0) == ([], reached)


def test_records_are_read_a_page_of_events_at_a_time_in_order_each_once(
    shop: Workshop, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.setup(MINE, items={"energy": 30, "pickaxe": 1})
    shop.start("mine_iron", repeat=True)
    clock.now += 60
    shop.crafting.tick()  # 3 cycles: 3 starts, 3 completions, a failure to restart
    monkeypatch.setattr(application.crafting, "RECORDS_PAGE", 2)
    read: list[tuple[int, Any]] = []
    version = 0
    while True:
        records, reached = shop.crafting.records_after(shop.world_id, shop.user_id, "player1", version)
        assert reached - version <= 2
        if reached == version:
            break
        read.extend(records)
        version = reached
    assert [type(record).__name__ for _, record in read] == ["CraftStarted", "CraftCompleted"] * 3 + ["CraftFailed"]
    assert [at for at, _ in read] == sorted({at for at, _ in read}), "in order, each once"


def test_the_ticker_thread_completes_due_jobs(shop: Workshop, clock: Clock) -> None:
    shop.setup(SWORD, items={"iron_ingot": 10, "hammer": 1})
    shop.start("iron_sword")
    shop.crafting.start()
    try:
        clock.now += 5
        deadline = time.monotonic() + 5
        while "iron_sword" not in shop.items() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        shop.crafting.stop()
    assert shop.items()["iron_sword"] == 1


def test_another_users_world_is_not_found(system: Manufactory, shop: Workshop) -> None:
    intruder = system.users.create_user("intruder").user_id
    with pytest.raises(NotFound) as missing:
        system.crafting.read(shop.world_id, intruder, lambda w, _: w.name)
    assert missing.value.field == "world_id"
    assert system.crafting.world_ids(intruder) == []
    with pytest.raises(NotFound):
        system.crafting.command(shop.world_id, CommandMeta(user_id=intruder, correlation_id="x"), lambda w, _: None)
    with pytest.raises(NotFound):
        system.crafting.records_after(shop.world_id, intruder, "player1", 0)


def test_the_cli_lists_a_users_worlds_and_completes_their_due_jobs(
    system: Manufactory, settings: Settings, tmp_path: Path
) -> None:
    system.crafting.clock = lambda: time.time() - 60  # the CLI runs on the real clock: this job is long due
    shop = Workshop.create(system.crafting, system.users.create_user("smith").user_id)
    shop.setup(SWORD, items={"iron_ingot": 10, "hammer": 1})
    shop.start("iron_sword")
    listed = run_cli("crafting", "worlds", "--user", "smith", cwd=tmp_path, database_url=settings.database_url)
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"{shop.world_id}  Forge +1 +1  -[5-9]\d\.\ds\n", listed.stdout), listed.stdout  # overdue
    ticked = run_cli("crafting", "tick", cwd=tmp_path, database_url=settings.database_url)
    assert (ticked.returncode, ticked.stdout) == (0, "caught up 1 world(s)\n"), ticked.stderr
    with Manufactory.open(settings) as restarted:
        assert Workshop(restarted.crafting, shop.user_id, shop.world_id).items()["iron_sword"] == 1
