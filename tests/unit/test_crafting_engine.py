"""The crafting engine (domain/crafting), specified by example.

Spec: /work/shared/specs/crafting-engine.md. Time is float seconds passed in by the caller.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import msgspec
import pytest

from domain.crafting import (
    CorruptState,
    CraftCompleted,
    CraftEvent,
    CraftFailed,
    CraftJobState,
    CraftProgress,
    CraftRecipe,
    CraftRecord,
    CraftStarted,
    DuplicateRecipe,
    InMemoryInventories,
    InsufficientItems,
    InvalidCommand,
    InvalidModifiers,
    InvalidRecipe,
    InventoryFull,
    ItemRequirement,
    ItemStack,
    ItemYield,
    Manager,
    ManagerRegistry,
    Modifiers,
    QueueEventBus,
    RecipeRegistry,
    RefundPolicy,
    UnknownInventory,
    UnknownJob,
    UnknownRecipe,
    combine_all,
    decode_records,
    encode_records,
    resolve,
)
from domain.crafting.errors import CraftingError
from domain.crafting.modifiers import effective_duration, effective_input, effective_output
from domain.errors import Conflict, InvalidInput, NotFound, RuleViolation

IRON_SWORD = CraftRecipe(
    id="iron_sword",
    name="Iron Sword",
    category="weapons",
    inputs=(ItemRequirement("iron_ingot", 3), ItemRequirement("hammer", 1, consume=False)),
    outputs=(ItemYield("iron_sword", 1),),
    duration=5.0,
)
MINE_IRON = CraftRecipe(
    id="mine_iron",
    category="mining",
    inputs=(ItemRequirement("energy", 10), ItemRequirement("pickaxe", 1, consume=False)),
    outputs=(ItemYield("iron_ore", 5),),
    duration=5.0,
)
PLANKS = CraftRecipe(
    id="planks", category="carpentry", inputs=(ItemRequirement("log", 1),), outputs=(ItemYield("plank", 4),)
)
STEEL = CraftRecipe(
    id="steel",
    category="smelting",
    inputs=(ItemRequirement("coal", 10), ItemRequirement("iron_ingot", 5)),
    outputs=(ItemYield("steel", 2),),
    duration=10.0,
)
GEM_LOOT = CraftRecipe(
    id="gem_loot",
    category="mining",
    inputs=(ItemRequirement("geode", 1),),
    outputs=(ItemYield("stone", 2), ItemYield("ruby", 1, 0.5), ItemYield("sapphire", 1, 0.5)),
    duration=1.0,
    metadata={"rarity": "rare", "tier": 2},
)
CRUSH = CraftRecipe(id="crush", inputs=(ItemRequirement("ore", 1),), outputs=(ItemYield("gravel", 5),), duration=2.0)
WELL = CraftRecipe(
    id="well", inputs=(ItemRequirement("bucket", 1, consume=False),), outputs=(ItemYield("water", 5),), duration=1.0
)
ALL_RECIPES = (IRON_SWORD, MINE_IRON, PLANKS, STEEL, GEM_LOOT, CRUSH, WELL)


def make_registry() -> RecipeRegistry:
    return RecipeRegistry(ALL_RECIPES)


def make_world(
    items: dict[str, int] | None = None,
    *,
    seed: int = 0,
    capacity: int | None = None,
    events: QueueEventBus | None = None,
    sources: Sequence[Any] = (),
    manager_id: str = "forge_1",
) -> tuple[Manager, InMemoryInventories]:
    inventories = InMemoryInventories()
    inventories.create("inv", capacity=capacity, items=items)
    manager = Manager(manager_id, make_registry(), inventories, events=events, modifier_sources=sources, seed=seed)
    return manager, inventories


def only(records: Sequence[CraftEvent], kind: type) -> list[Any]:
    return [record for record in records if isinstance(record, kind)]


@contextmanager
def fast_thread_switching() -> Iterator[None]:
    """Make the interpreter switch threads every microsecond so races actually interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


class Forge:
    """The spec's building modifier: 5% cheaper and 10% faster per level."""

    def __init__(self, level: int) -> None:
        self.level = level

    def get_modifiers(self, owner: str, recipe: CraftRecipe) -> Modifiers:
        return Modifiers(
            input_cost=1.0 - self.level * 0.05, time_speed=1.0 - self.level * 0.10, source=f"Forge Lvl {self.level}"
        )


class CraftingSkill:
    """The spec's skill modifier: applies to weapons only."""

    def __init__(self, smithing: int, efficiency: int) -> None:
        self.smithing = smithing
        self.efficiency = efficiency

    def get_modifiers(self, owner: str, recipe: CraftRecipe) -> Modifiers:
        if recipe.category != "weapons":
            return Modifiers()
        return Modifiers(
            input_cost=1.0 - self.efficiency * 0.02,
            output_yield=1.0 + self.smithing * 0.03,
            source="Smithing Skills",
            tags=("skill", "smithing"),
        )


# -- recipes and the registry -------------------------------------------------------------


def test_registry_finds_recipes_by_id_category_and_output() -> None:
    registry = make_registry()

    assert registry.get("iron_sword") == IRON_SWORD
    assert registry.find("nope") is None
    assert "mine_iron" in registry and len(registry) == len(ALL_RECIPES)
    assert [r.id for r in registry.by_category("mining")] == ["mine_iron", "gem_loot"]
    assert [r.id for r in registry.producing("ruby")] == ["gem_loot"]
    assert registry.producing("unobtainium") == []
    with pytest.raises(UnknownRecipe):
        registry.get("nope")


def test_replacing_a_recipe_moves_it_between_indexes_and_unregistering_removes_it() -> None:
    registry = make_registry()
    registry.register(
        CraftRecipe(id="iron_sword", category="relics", outputs=(ItemYield("old_sword", 1),)), replace=True
    )

    assert [r.id for r in registry.by_category("weapons")] == []
    assert [r.id for r in registry.by_category("relics")] == ["iron_sword"]
    assert registry.producing("iron_sword") == [] and len(registry.producing("old_sword")) == 1

    registry.unregister("iron_sword")
    assert registry.by_category("relics") == [] and "iron_sword" not in registry
    with pytest.raises(UnknownRecipe):
        registry.unregister("iron_sword")


def test_registering_an_id_twice_is_refused_unless_replacing() -> None:
    registry = make_registry()
    with pytest.raises(DuplicateRecipe) as caught:
        registry.register(IRON_SWORD)
    assert isinstance(caught.value, Conflict) and caught.value.field == "id"


@pytest.mark.parametrize(
    ("recipe", "field", "message"),
    [
        (CraftRecipe(id="", outputs=(ItemYield("x", 1),)), "id", "length >= 1"),
        (CraftRecipe(id="  ", outputs=(ItemYield("x", 1),)), "id", "blank"),
        (CraftRecipe(id="r"), "outputs", "at least one output"),
        (CraftRecipe(id="r", outputs=(ItemYield("x", 0),)), "outputs", "quantity >= 1"),
        (CraftRecipe(id="r", outputs=(ItemYield("x", 1, 0.0),)), "outputs[0].probability", "> 0.0"),
        (CraftRecipe(id="r", outputs=(ItemYield("x", 1, 1.5),)), "outputs[0].probability", "<= 1.0"),
        (
            CraftRecipe(id="r", inputs=(ItemRequirement("a", 0),), outputs=(ItemYield("x", 1),)),
            "inputs[0].quantity",
            ">= 1",
        ),
        (CraftRecipe(id="r", inputs=(ItemRequirement("", 1),), outputs=(ItemYield("x", 1),)), "inputs[0].item", ">= 1"),
        (
            CraftRecipe(id="r", inputs=(ItemRequirement("a", True),), outputs=(ItemYield("x", 1),)),
            "inputs[0].quantity",
            "bool",
        ),
        (CraftRecipe(id="r", outputs=(ItemYield("x", 2.5),)), "outputs[0].quantity", "float"),  # type: ignore[arg-type]
        (CraftRecipe(id="r", outputs=(ItemYield("x", 1),), duration=-1.0), "duration", ">= 0.0"),
        (CraftRecipe(id="r", outputs=(ItemYield("x", 1),), duration=float("inf")), "duration", "<= 315360000"),
        (CraftRecipe(id="r", outputs=(ItemYield("x", 1),), duration=1e308), "duration", "<= 315360000"),
        (
            CraftRecipe(
                id="r", inputs=(ItemRequirement("a", 1), ItemRequirement("a", 1, False)), outputs=(ItemYield("x", 1),)
            ),
            "inputs",
            "listed twice",
        ),
        (CraftRecipe(id="r", outputs=(ItemYield("x", 1),), metadata={"f": object()}), "metadata", "plain data"),
    ],
)
def test_registration_rejects_invalid_recipes_with_a_clear_error(recipe: CraftRecipe, field: str, message: str) -> None:
    registry = RecipeRegistry()
    with pytest.raises(InvalidRecipe) as caught:
        registry.register(recipe)
    assert caught.value.field == field
    assert message in caught.value.detail
    assert isinstance(caught.value, InvalidInput)
    assert len(registry) == 0


def test_registration_normalises_lists_to_tuples() -> None:
    stored = RecipeRegistry().register(CraftRecipe(id="r", outputs=[ItemYield("x", 1)], duration=3))  # type: ignore[arg-type]
    assert stored.outputs == (ItemYield("x", 1),) and stored.duration == 3.0


def test_register_all_is_all_or_nothing() -> None:
    registry = RecipeRegistry([PLANKS])
    with pytest.raises(InvalidRecipe):
        registry.register_all([IRON_SWORD, CraftRecipe(id="bad")])
    with pytest.raises(DuplicateRecipe):
        registry.register_all([IRON_SWORD, PLANKS])
    with pytest.raises(InvalidRecipe):
        registry.register_all([IRON_SWORD, IRON_SWORD])
    assert [r.id for r in registry.all()] == ["planks"]


def test_export_then_import_round_trips_every_recipe_as_json() -> None:
    exported = make_registry().export_json()

    assert msgspec.json.decode(exported)["format"] == 1
    imported = RecipeRegistry()
    imported.import_json(exported)
    assert imported.all() == list(ALL_RECIPES)
    assert imported.export_json() == exported


def test_import_rejects_bad_documents_and_registers_nothing() -> None:
    registry = RecipeRegistry()
    document = msgspec.json.decode(make_registry().export_json())
    document["recipes"][1]["inputs"][0]["quantity"] = -3

    with pytest.raises(InvalidRecipe) as caught:
        registry.import_json(msgspec.json.encode(document))
    assert "$.recipes[1].inputs[0].quantity" in caught.value.detail
    with pytest.raises(InvalidRecipe):
        registry.import_json(b"{not json")
    with pytest.raises(InvalidRecipe):
        registry.import_json(b'{"format": 99, "recipes": []}')
    assert len(registry) == 0


def test_registry_stays_consistent_under_concurrent_registration() -> None:
    registry = RecipeRegistry()

    def register(thread: int) -> None:
        for n in range(100):
            registry.register(
                CraftRecipe(id=f"r{thread}-{n}", category=f"c{n % 3}", outputs=(ItemYield(f"i{n % 7}", 1),))
            )

    with fast_thread_switching():
        threads = [threading.Thread(target=register, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(registry) == 800
    assert sum(len(registry.by_category(f"c{n}")) for n in range(3)) == 800
    assert sum(len(registry.producing(f"i{n}")) for n in range(7)) == 800


# -- modifiers and rounding ---------------------------------------------------------------


def test_modifiers_stack_multiplicatively() -> None:
    combined = Modifiers(0.9, source="Forge").combine(Modifiers(0.8, 1.2, 0.5, "Skill", ("skill",)))

    assert combined.input_cost == pytest.approx(0.72)
    assert (combined.output_yield, combined.time_speed) == (1.2, 0.5)
    assert combined.source == "Forge+Skill" and combined.tags == ("skill",)
    assert combine_all([]) == Modifiers()
    assert combine_all([Modifiers(0.5, source="a"), Modifiers(0.5, source="b")]).source == "a+b"


@pytest.mark.parametrize(
    ("quantity", "cost", "expected"),
    [
        (3, 0.9, 3),  # the spec's example: 2.7 rounds up to 3
        (10, 0.7, 7),  # 10 * 0.7 is 7.000000000000001 in floating point: still 7
        (25, 0.9 * 0.8, 18),  # stacked 0.72: 18.000000000000004, still 18
        (10, 0.75, 8),  # 7.5 rounds up
        (1, 0.1, 1),  # never below 1...
        (5, 0.0, 1),  # ...not even when free
        (4, 1.5, 6),
    ],
)
def test_consumed_inputs_round_up_and_cost_at_least_one(quantity: int, cost: float, expected: int) -> None:
    assert effective_input(quantity, cost) == expected


@pytest.mark.parametrize(
    ("quantity", "gain", "expected"),
    [(1, 1.5, 1), (100, 1.15, 115), (3, 1.1, 3), (5, 1.2, 6), (1, 0.9, 0), (7, 0.0, 0)],
)
def test_outputs_round_down_and_may_reach_zero(quantity: int, gain: float, expected: int) -> None:
    assert effective_output(quantity, gain) == expected


@pytest.mark.parametrize(
    ("duration", "speed", "expected"),
    [(5.0, 0.7, 3.5), (10.0, 1 / 3, 3.333), (2.0, 2 / 3, 1.333), (0.0015, 1.0, 0.002), (5.0, 0.0, 0.0)],
)
def test_duration_after_modifiers_is_rounded_to_the_millisecond(duration: float, speed: float, expected: float) -> None:
    assert effective_duration(duration, speed) == expected


def test_tools_keep_their_quantity_whatever_the_input_cost() -> None:
    resolved = resolve(IRON_SWORD, Modifiers(input_cost=0.5))
    assert resolved.inputs == (ItemRequirement("iron_ingot", 2), ItemRequirement("hammer", 1, consume=False))


@pytest.mark.parametrize(
    "bad", [Modifiers(input_cost=-0.1), Modifiers(output_yield=float("nan")), Modifiers(time_speed=float("inf"))]
)
def test_negative_or_non_finite_modifiers_are_refused_and_nothing_is_consumed(bad: Modifiers) -> None:
    manager, inventories = make_world({"iron_ingot": 3, "hammer": 1})
    with pytest.raises(InvalidModifiers):
        manager.start("iron_sword", "p1", "inv", 0.0, modifiers=bad)
    assert inventories.contents("inv") == {"iron_ingot": 3, "hammer": 1} and manager.job_count() == 0


def test_modifiers_are_resolved_from_sources_and_snapshotted_into_the_job() -> None:
    forge = Forge(level=3)
    manager, inventories = make_world({"iron_ingot": 10, "hammer": 1}, sources=[forge, CraftingSkill(10, 0)])

    (started,) = manager.start("iron_sword", "p1", "inv", 0.0)
    forge.level = 0  # the upgrade is undone mid-production: the running job keeps its snapshot

    assert isinstance(started, CraftStarted)
    assert started.resolved.modifiers.source == "Forge Lvl 3+Smithing Skills"
    assert started.resolved.modifiers.input_cost == pytest.approx(0.85)
    assert started.resolved.duration == 3.5  # 5 s at 70% (level 3: 10% faster per level)
    assert started.consumed == (ItemStack("iron_ingot", 3),)  # 2.55 rounds up to 3
    assert started.end == 3.5
    assert started.resolved.outputs == (ItemYield("iron_sword", 1),)  # 1 * 1.3 rounds down to 1
    assert manager.get_job(started.job_id).duration == 3.5  # type: ignore[union-attr]
    assert [type(r) for r in manager.update(3.5)] == [CraftCompleted]
    assert inventories.count("inv", "iron_sword") == 1

    (second,) = manager.start("iron_sword", "p1", "inv", 10.0)
    assert isinstance(second, CraftStarted) and second.resolved.duration == 5.0  # new jobs see level 0


def test_per_call_modifiers_stack_on_top_of_the_sources() -> None:
    manager, _ = make_world({"coal": 100, "iron_ingot": 100}, sources=[Forge(level=2)])
    (started,) = manager.start("steel", "p1", "inv", 0.0, modifiers=Modifiers(input_cost=0.5, source="Event"))
    assert isinstance(started, CraftStarted)
    assert started.consumed == (ItemStack("coal", 5), ItemStack("iron_ingot", 3))  # 10*0.45=4.5->5, 5*0.45=2.25->3
    assert started.resolved.modifiers.source == "Forge Lvl 2+Event"


# -- the job life: start, complete, fail ----------------------------------------------------


def test_iron_sword_consumes_ingots_checks_the_hammer_and_yields_a_sword_after_five_seconds() -> None:
    manager, inventories = make_world({"iron_ingot": 10, "hammer": 1})

    records = manager.start("iron_sword", "player123", "inv", 100.0)

    (started,) = records
    assert isinstance(started, CraftStarted)
    assert started.job_id == "forge_1#1" and started.at == 100.0 and started.end == 105.0
    assert started.consumed == (ItemStack("iron_ingot", 3),)
    assert inventories.contents("inv") == {"iron_ingot": 7, "hammer": 1}  # consumed at once, tool kept
    job = manager.get_job("forge_1#1")
    assert job is not None and job.state is CraftJobState.RUNNING and job.progress(102.5) == 0.5
    assert manager.job_count() == 1

    assert manager.update(104.999) == ()
    (completed,) = manager.update(105.0)

    assert isinstance(completed, CraftCompleted)
    assert completed.outputs == (ItemStack("iron_sword", 1),) and completed.at == 105.0 and completed.cycle == 1
    assert inventories.contents("inv") == {"iron_ingot": 7, "hammer": 1, "iron_sword": 1}
    assert manager.get_job("forge_1#1") is None and manager.job_count() == 0


def test_completion_is_stamped_with_the_end_time_not_the_time_of_the_update() -> None:
    manager, _ = make_world({"iron_ingot": 3, "hammer": 1})
    manager.start("iron_sword", "p1", "inv", 0.0)
    (completed,) = manager.update(1_000.0)
    assert completed.at == 5.0 and manager.last_update == 1_000.0


@pytest.mark.parametrize(
    ("items", "missing"),
    [({"iron_ingot": 3}, "hammer"), ({"iron_ingot": 2, "hammer": 1}, "iron_ingot"), ({}, "iron_ingot")],
)
def test_a_missing_input_or_tool_refuses_the_start_and_consumes_nothing(items: dict[str, int], missing: str) -> None:
    manager, inventories = make_world(items)

    with pytest.raises(InsufficientItems) as caught:
        manager.start("iron_sword", "p1", "inv", 0.0)

    assert caught.value.item == missing and isinstance(caught.value, RuleViolation)
    assert inventories.contents("inv") == items
    assert manager.job_count() == 0
    inventories.add("inv", [ItemStack("iron_ingot", 3), ItemStack("hammer", 1)])
    (started,) = manager.start("iron_sword", "p1", "inv", 0.0)
    assert started.job_id == "forge_1#1"  # a refused start uses no job number


def test_unknown_recipe_inventory_or_time_is_a_clear_error() -> None:
    manager, _ = make_world({"iron_ingot": 3, "hammer": 1})
    with pytest.raises(UnknownRecipe):
        manager.start("nope", "p1", "inv", 0.0)
    with pytest.raises(UnknownInventory) as caught:
        manager.start("iron_sword", "p1", "elsewhere", 0.0)
    assert isinstance(caught.value, NotFound) and caught.value.inventory_id == "elsewhere"
    with pytest.raises(InvalidCommand):
        manager.start("iron_sword", "p1", "inv", float("nan"))
    assert manager.job_count() == 0


def test_a_zero_duration_recipe_completes_as_it_starts() -> None:
    manager, inventories = make_world({"log": 2})

    records = manager.start("planks", "p1", "inv", 7.0)

    assert [type(r) for r in records] == [CraftStarted, CraftCompleted]
    assert records[1].at == 7.0 and records[1].outputs == (ItemStack("plank", 4),)
    assert inventories.contents("inv") == {"log": 1, "plank": 4}
    assert manager.job_count() == 0


def test_a_time_speed_of_zero_makes_a_timed_recipe_instant() -> None:
    manager, inventories = make_world({"iron_ingot": 3, "hammer": 1})
    records = manager.start("iron_sword", "p1", "inv", 0.0, modifiers=Modifiers(time_speed=0.0))
    assert [type(r) for r in records] == [CraftStarted, CraftCompleted]
    assert inventories.count("inv", "iron_sword") == 1


def test_a_yield_rounded_down_to_zero_completes_with_nothing() -> None:
    manager, inventories = make_world({"iron_ingot": 3, "hammer": 1})
    manager.start("iron_sword", "p1", "inv", 0.0, modifiers=Modifiers(output_yield=0.5))
    (completed,) = manager.update(5.0)
    assert isinstance(completed, CraftCompleted) and completed.outputs == ()
    assert inventories.contents("inv") == {"hammer": 1}


def test_outputs_that_do_not_fit_fail_the_job_and_the_inputs_are_lost() -> None:
    manager, inventories = make_world({"ore": 1}, capacity=4)

    manager.start("crush", "p1", "inv", 0.0)
    (failed,) = manager.update(2.0)

    assert isinstance(failed, CraftFailed)
    assert failed.reason == "inventory_full" and failed.lost == (ItemStack("gravel", 5),)
    assert failed.cycles_completed == 0 and "full" in failed.detail
    assert inventories.contents("inv") == {}  # the ore is gone, no gravel arrived
    assert manager.job_count() == 0


def test_a_job_whose_inventory_disappeared_fails_at_completion() -> None:
    manager, inventories = make_world({"iron_ingot": 3, "hammer": 1})
    manager.start("iron_sword", "p1", "inv", 0.0)
    inventories.delete("inv")
    (failed,) = manager.update(5.0)
    assert isinstance(failed, CraftFailed) and failed.reason == "unknown_inventory"


def test_a_provider_that_breaks_at_completion_fails_the_job_and_the_update_still_returns() -> None:
    class Broken(InMemoryInventories):
        def add(self, inventory_id: str, stacks: Sequence[ItemStack]) -> None:
            raise RuntimeError("disk on fire")

    inventories = Broken()
    inventories.create("inv")
    inventories._inventories["inv"].items.update({"iron_ingot": 6, "hammer": 1})
    manager = Manager("m", make_registry(), inventories)
    manager.start("iron_sword", "p1", "inv", 0.0)
    manager.start("iron_sword", "p1", "inv", 1.0)

    records = manager.update(10.0)

    assert [(type(r), r.reason) for r in records] == [(CraftFailed, "inventory_error")] * 2  # type: ignore[attr-defined]
    assert "disk on fire" in records[0].detail  # type: ignore[attr-defined]


def test_due_jobs_complete_in_end_time_order_and_limit_caps_one_update() -> None:
    manager, _ = make_world({"iron_ingot": 30, "hammer": 1})
    for start in (4.0, 0.0, 2.0, 1.0):
        manager.start("iron_sword", "p1", "inv", start)

    first = manager.update(100.0, limit=3)
    rest = manager.update(100.0)

    assert [r.at for r in first] == [5.0, 6.0, 7.0] and [r.at for r in rest] == [9.0]
    assert manager.next_due() is None


def test_next_due_tells_the_orchestrator_when_to_tick() -> None:
    manager, _ = make_world({"iron_ingot": 9, "hammer": 1})
    assert manager.next_due() is None
    manager.start("iron_sword", "p1", "inv", 3.0)
    first = manager.start("iron_sword", "p1", "inv", 1.0)[0]
    assert manager.next_due() == 6.0
    manager.cancel(first.job_id, 2.0, refund=RefundPolicy.NONE)
    assert manager.next_due() == 8.0


def test_queries_list_running_jobs_per_owner_and_in_total() -> None:
    manager, _ = make_world({"iron_ingot": 9, "hammer": 1, "energy": 10, "pickaxe": 1})
    manager.start("iron_sword", "alice", "inv", 0.0, context={"station": "anvil"})
    manager.start("mine_iron", "bob", "inv", 0.0)
    manager.start("iron_sword", "alice", "inv", 1.0)

    alice = manager.active_jobs("alice")

    assert [j.job_id for j in alice] == ["forge_1#1", "forge_1#3"]
    assert alice[0].context == {"station": "anvil"} and alice[1].context is None
    assert [j.recipe_id for j in manager.all_jobs()] == ["iron_sword", "mine_iron", "iron_sword"]
    assert manager.active_jobs("carol") == [] and manager.job_count() == 3
    assert manager.get_job("other#1") is None and manager.get_job("garbage") is None
    assert manager.has_job("forge_1#2") and not manager.has_job("forge_1#9")


def test_a_managers_jobs_are_read_a_page_at_a_time_and_counted_per_owner() -> None:
    registry = RecipeRegistry(
        [CraftRecipe(id="saw", inputs=(ItemRequirement("log", 1),), outputs=(ItemYield("plank", 1),), duration=10.0)]
    )
    inventories = InMemoryInventories()
    inventories.create("inv", items={"log": 300})
    manager = Manager("forge_1", registry, inventories)
    for n in range(300):  # every third job is bob's, each ends 10 s after it starts
        manager.start("saw", "bob" if n % 3 == 0 else "alice", "inv", float(n))

    assert [j.job_id for j in manager.jobs(None, 10, 3)] == ["forge_1#11", "forge_1#12", "forge_1#13"]
    assert [j.job_id for j in manager.jobs("bob", 1, 2)] == ["forge_1#4", "forge_1#7"], "bob's 2nd and 3rd"
    assert manager.jobs("bob", 100, 5) == [] and len(manager.jobs("alice", 195)) == 5
    assert (manager.job_count(), manager.job_count("alice"), manager.job_count("bob")) == (300, 200, 100)

    manager.update(170.0)  # jobs 1-161 end by then: more dead than live slots, so the columns compact
    manager.cancel("forge_1#162", 170.0, refund="none")
    assert (manager.job_count(), manager.job_count("alice"), manager.job_count("bob")) == (138, 92, 46)
    assert manager.job_count("carol") == 0 and manager.jobs("carol") == []
    assert manager.jobs("bob", 0, 1)[0].job_id == "forge_1#163"

    twin = Manager("forge_1", registry, InMemoryInventories())
    twin.deserialize(manager.serialize())
    assert (twin.job_count("alice"), twin.job_count("bob")) == (92, 46), "a restored manager counts as well"


# -- repeating jobs -------------------------------------------------------------------------


def test_mining_loop_on_100_energy_stops_after_10_cycles_with_failed_to_restart() -> None:
    manager, inventories = make_world({"energy": 100, "pickaxe": 1})

    started = manager.start_repeating("mine_iron", "player1", "inv", 0.0)
    records = manager.update(1_000.0)

    assert inventories.contents("inv") == {"pickaxe": 1, "iron_ore": 50}
    completed = only(records, CraftCompleted)
    assert [c.cycle for c in completed] == list(range(1, 11))
    assert [c.at for c in completed] == [5.0 * n for n in range(1, 11)]  # back to back, not at 1000
    restarts = only(records, CraftStarted)
    assert [r.cycle for r in restarts] == list(range(1, 10)) and all(r.repeat for r in restarts)
    assert restarts[0].job_id == started[0].job_id and restarts[0].at == 5.0 and restarts[0].end == 10.0
    failed = records[-1]
    assert isinstance(failed, CraftFailed)
    assert failed.reason == "failed_to_restart" and failed.cycles_completed == 10 and failed.at == 50.0
    assert "energy" in failed.detail
    assert manager.job_count() == 0


def test_a_repeating_job_gives_the_same_records_however_often_it_is_updated() -> None:
    ticked, _ = make_world({"energy": 100, "pickaxe": 1})
    once, _ = make_world({"energy": 100, "pickaxe": 1})
    ticked.start_repeating("mine_iron", "p1", "inv", 0.0)
    once.start_repeating("mine_iron", "p1", "inv", 0.0)

    per_tick: list[CraftEvent] = []
    for tick in range(0, 600):
        per_tick.extend(ticked.update(tick * 0.1))

    assert encode_records(per_tick) == encode_records(list(once.update(60.0)))


def test_an_instant_recipe_cannot_repeat() -> None:
    manager, inventories = make_world({"log": 5})
    with pytest.raises(InvalidCommand) as caught:
        manager.start_repeating("planks", "p1", "inv", 0.0)
    assert caught.value.field == "repeat" and inventories.count("inv", "log") == 5


def test_a_repeating_job_whose_outputs_do_not_fit_stops_with_inventory_full() -> None:
    manager, inventories = make_world({"bucket": 1}, capacity=12)
    manager.start_repeating("well", "p1", "inv", 0.0)
    records = manager.update(100.0)  # 1 + 5 + 5 fit; the third 5 does not
    failed = records[-1]
    assert isinstance(failed, CraftFailed) and failed.reason == "inventory_full" and failed.cycles_completed == 2
    assert failed.at == 3.0 and inventories.contents("inv") == {"bucket": 1, "water": 10} and manager.job_count() == 0


# -- cancelling ---------------------------------------------------------------------------


def test_cancel_with_full_refund_returns_what_was_consumed() -> None:
    manager, inventories = make_world({"coal": 10, "iron_ingot": 5})
    (started,) = manager.start("steel", "p1", "inv", 0.0)

    cancelled = manager.cancel(started.job_id, 3.0, refund=RefundPolicy.FULL)

    assert cancelled.refund == (ItemStack("coal", 10), ItemStack("iron_ingot", 5))
    assert cancelled.refund_policy is RefundPolicy.FULL and cancelled.progress == pytest.approx(0.3)
    assert inventories.contents("inv") == {"coal": 10, "iron_ingot": 5}
    assert manager.job_count() == 0 and manager.update(100.0) == ()


def test_cancel_with_proportional_refund_returns_the_share_of_time_left_rounded_down() -> None:
    manager, inventories = make_world({"coal": 10, "iron_ingot": 5})
    (started,) = manager.start("steel", "p1", "inv", 0.0)

    cancelled = manager.cancel(started.job_id, 3.0, refund="proportional")

    assert cancelled.refund == (ItemStack("coal", 7), ItemStack("iron_ingot", 3))  # 70% of 10, 70% of 5 = 3.5 -> 3
    assert inventories.contents("inv") == {"coal": 7, "iron_ingot": 3}


def test_cancel_without_refund_loses_the_inputs() -> None:
    manager, inventories = make_world({"coal": 10, "iron_ingot": 5})
    (started,) = manager.start("steel", "p1", "inv", 0.0)
    cancelled = manager.cancel(started.job_id, 3.0, refund=RefundPolicy.NONE)
    assert cancelled.refund == () and inventories.contents("inv") == {}


def test_cancelling_a_repeating_job_refunds_only_its_current_cycle() -> None:
    manager, inventories = make_world({"energy": 100, "pickaxe": 1})
    (started,) = manager.start_repeating("mine_iron", "p1", "inv", 0.0)
    manager.update(12.0)  # two cycles done, the third running since 10.0

    cancelled = manager.cancel(started.job_id, 12.0, refund=RefundPolicy.FULL)

    assert cancelled.cycles_completed == 2 and cancelled.refund == (ItemStack("energy", 10),)
    assert inventories.contents("inv") == {"energy": 80, "pickaxe": 1, "iron_ore": 10}


def test_cancel_refuses_unknown_jobs_and_policies() -> None:
    manager, _ = make_world({"iron_ingot": 3, "hammer": 1})
    (started,) = manager.start("iron_sword", "p1", "inv", 0.0)
    with pytest.raises(InvalidCommand):
        manager.cancel(started.job_id, 1.0, refund="half")
    for job_id in ("forge_1#99", "other#1", "nonsense", "forge_1#01", "forge_1#", "#1"):
        with pytest.raises(UnknownJob):
            manager.cancel(job_id, 1.0, refund=RefundPolicy.NONE)
    manager.cancel(started.job_id, 1.0, refund=RefundPolicy.NONE)
    with pytest.raises(UnknownJob):
        manager.cancel(started.job_id, 1.0, refund=RefundPolicy.NONE)


def test_a_refund_that_does_not_fit_refuses_the_cancel_and_the_job_keeps_running() -> None:
    manager, inventories = make_world({"iron_ingot": 3, "hammer": 1}, capacity=4)
    (started,) = manager.start("iron_sword", "p1", "inv", 0.0)
    inventories.add("inv", [ItemStack("junk", 3)])

    with pytest.raises(InventoryFull):
        manager.cancel(started.job_id, 1.0, refund=RefundPolicy.FULL)

    assert manager.has_job(started.job_id) and inventories.contents("inv") == {"hammer": 1, "junk": 3}
    assert manager.cancel(started.job_id, 1.0, refund=RefundPolicy.NONE).refund == ()


def test_refund_and_cancel_are_one_step_that_a_concurrent_update_cannot_split() -> None:
    class GatedInventories(InMemoryInventories):
        """Holds the refund inside ``add`` until the test opens the gate."""

        def __init__(self) -> None:
            super().__init__()
            self.armed = False
            self.refund_entered = threading.Event()
            self.gate = threading.Event()

        def add(self, inventory_id: str, stacks: Sequence[ItemStack]) -> None:
            if self.armed and stacks and stacks[0].item == "iron_ingot":
                self.refund_entered.set()
                assert self.gate.wait(10)
            super().add(inventory_id, stacks)

    inventories = GatedInventories()
    inventories.create("inv", items={"iron_ingot": 3, "hammer": 1})
    manager = Manager("forge_1", make_registry(), inventories)
    (started,) = manager.start("iron_sword", "p1", "inv", 0.0)
    results: dict[str, Any] = {}
    canceller = threading.Thread(
        target=lambda: results.update(cancel=manager.cancel(started.job_id, 4.0, refund=RefundPolicy.FULL))
    )
    updater = threading.Thread(target=lambda: results.update(update=manager.update(10.0)))

    inventories.armed = True
    canceller.start()
    assert inventories.refund_entered.wait(10)  # the refund is half way through...
    updater.start()
    time.sleep(0.2)
    assert updater.is_alive()  # ...and the update waits for the whole cancel, it cannot complete the job
    inventories.gate.set()
    canceller.join(10)
    updater.join(10)

    assert results["update"] == () and results["cancel"].refund == (ItemStack("iron_ingot", 3),)
    assert inventories.contents("inv") == {"iron_ingot": 3, "hammer": 1}


def test_concurrent_cancels_and_updates_end_every_job_exactly_once_and_conserve_items() -> None:
    manager, inventories = make_world({"iron_ingot": 600, "hammer": 1})
    job_ids = [manager.start("iron_sword", "p1", "inv", n * 0.01)[0].job_id for n in range(200)]
    records: list[CraftEvent] = []
    lock = threading.Lock()
    first_update, some_cancelled = threading.Event(), threading.Event()

    def updates() -> None:
        for step in range(1, 401):
            if step == 200:  # half way (t=6.0, about 100 jobs left) make sure the cancels got going
                some_cancelled.wait(10)
            got = manager.update(5.0 + step * 0.005)
            with lock:
                records.extend(got)
            first_update.set()

    def cancels(ids: list[str]) -> None:
        first_update.wait(10)
        for job_id in ids:
            try:
                record = manager.cancel(job_id, 5.5, refund=RefundPolicy.FULL)
            except UnknownJob:
                continue
            with lock:
                records.append(record)
            some_cancelled.set()
        some_cancelled.set()

    shuffled = random.Random(7).sample(job_ids, len(job_ids))
    with fast_thread_switching():
        threads = [threading.Thread(target=updates)] + [
            threading.Thread(target=cancels, args=(shuffled[i::2],)) for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    ends: dict[str, str] = {}
    for record in records:
        assert record.job_id not in ends, f"{record.job_id} ended twice"
        ends[record.job_id] = type(record).__name__
    assert sorted(ends) == sorted(job_ids)
    cancelled = list(ends.values()).count("CraftCancelled")
    completed = list(ends.values()).count("CraftCompleted")
    assert cancelled + completed == 200 and cancelled > 0 and completed > 0
    assert inventories.contents("inv") == {"iron_ingot": 3 * cancelled, "hammer": 1, "iron_sword": completed}


# -- atomic consumption under concurrency -------------------------------------------------


def test_concurrent_starts_from_several_threads_never_spend_an_item_twice() -> None:
    inventories = InMemoryInventories()
    inventories.create("shared", items={"iron_ingot": 30, "hammer": 1})
    registry = make_registry()
    managers = [Manager(f"forge_{n}", registry, inventories) for n in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def craft(thread: int) -> None:
        barrier.wait()
        for attempt in range(10):
            try:
                managers[(thread + attempt) % 4].start("iron_sword", f"p{thread}", "shared", 0.0)
                outcomes.append("started")
            except InsufficientItems:
                outcomes.append("refused")

    with fast_thread_switching():
        threads = [threading.Thread(target=craft, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert outcomes.count("started") == 10 and outcomes.count("refused") == 70
    assert inventories.contents("shared") == {"hammer": 1}
    assert sum(m.job_count() for m in managers) == 10


def test_managers_can_be_updated_in_parallel_threads_over_a_shared_inventory() -> None:
    inventories = InMemoryInventories()
    inventories.create("shared", items={"iron_ingot": 3_000, "hammer": 1})
    registry = make_registry()
    managers = [Manager(f"chunk_{n}", registry, inventories) for n in range(4)]
    for manager in managers:
        for n in range(250):
            manager.start("iron_sword", "p1", "shared", n * 0.01)
    completed: list[int] = []

    def tick(manager: Manager) -> None:
        done = 0
        for step in range(1, 201):
            done += len(manager.update(5.0 + step * 0.0125))
        completed.append(done)

    with fast_thread_switching():
        threads = [threading.Thread(target=tick, args=(manager,)) for manager in managers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert completed == [250] * 4
    assert inventories.contents("shared") == {"hammer": 1, "iron_sword": 1_000}


def test_in_memory_inventory_adds_all_or_nothing_within_its_capacity() -> None:
    inventories = InMemoryInventories()
    inventories.create("box", capacity=10, items={"a": 4})
    with pytest.raises(InventoryFull) as caught:
        inventories.add("box", [ItemStack("b", 3), ItemStack("c", 4)])
    assert caught.value.free == 6 and inventories.contents("box") == {"a": 4}
    inventories.add("box", [ItemStack("b", 3), ItemStack("c", 3)])
    assert inventories.contents("box") == {"a": 4, "b": 3, "c": 3}
    with pytest.raises(UnknownInventory):
        inventories.add("crate", [ItemStack("a", 1)])
    with pytest.raises(ValueError):
        inventories.create("box")


# -- events -------------------------------------------------------------------------------


def test_subscribers_hear_only_their_owners_events_in_order() -> None:
    bus = QueueEventBus()
    alice, bob, everyone = bus.subscribe("alice"), bus.subscribe("bob"), bus.subscribe(None)
    manager, _ = make_world({"iron_ingot": 6, "hammer": 1, "log": 1}, events=bus)

    a = manager.start("iron_sword", "alice", "inv", 0.0)
    b = manager.start("planks", "bob", "inv", 1.0)
    done = manager.update(5.0)

    assert alice.drain() == [*a, *done]
    assert bob.drain() == list(b) and [e.state for e in b] == [CraftJobState.RUNNING, CraftJobState.COMPLETE]
    assert len(everyone.drain()) == 4 and everyone.drain() == []
    bus.unsubscribe(alice)
    manager.start("iron_sword", "alice", "inv", 6.0)
    assert alice.drain() == []


def test_a_slow_subscriber_loses_its_oldest_events_and_they_are_counted() -> None:
    bus = QueueEventBus()
    slow = bus.subscribe("p1", maxsize=3)
    manager, _ = make_world({"log": 10}, events=bus)
    for n in range(5):
        manager.start("planks", "p1", "inv", float(n))  # 2 events each

    kept = slow.drain()
    assert slow.dropped == 7 and len(kept) == 3
    assert [(e.at, type(e)) for e in kept] == [(3.0, CraftCompleted), (4.0, CraftStarted), (4.0, CraftCompleted)]


def test_a_failing_bus_never_breaks_the_engine() -> None:
    class ExplodingBus:
        def publish(self, event: CraftEvent) -> None:
            raise RuntimeError("subscriber crashed")

    inventories = InMemoryInventories()
    inventories.create("inv", items={"log": 3})
    manager = Manager("m", make_registry(), inventories, events=ExplodingBus())

    records = manager.start("planks", "p1", "inv", 0.0)

    assert len(records) == 2 and manager.publish_errors == 2 and inventories.count("inv", "plank") == 4


def test_progress_events_are_published_on_request() -> None:
    bus = QueueEventBus()
    listener = bus.subscribe("alice")
    manager, _ = make_world({"iron_ingot": 9, "hammer": 1}, events=bus)
    manager.start("iron_sword", "alice", "inv", 0.0)
    manager.start("iron_sword", "bob", "inv", 0.0)
    listener.drain()

    events = manager.publish_progress(4.0, owner="alice")

    assert [(e.job_id, e.progress) for e in events] == [("forge_1#1", 0.8)]
    assert listener.drain() == events and isinstance(events[0], CraftProgress)
    assert len(manager.publish_progress(4.0)) == 2


def test_records_round_trip_through_json_and_builtins() -> None:
    manager, _ = make_world({"geode": 5, "iron_ingot": 3, "hammer": 1}, seed=3)
    records = [*manager.start("gem_loot", "p1", "inv", 0.0, context={"quest": 12}), *manager.update(1.0)]
    (started,) = manager.start("iron_sword", "p1", "inv", 2.0)
    records += [started, manager.cancel(started.job_id, 3.0, refund=RefundPolicy.PROPORTIONAL)]

    assert decode_records(encode_records(records)) == records
    assert decode_records(msgspec.json.encode(records[0])) == records[:1]
    assert [msgspec.convert(msgspec.to_builtins(r), CraftRecord) for r in records] == records
    assert msgspec.to_builtins(records[0])["type"] == "started"


def test_the_started_record_carries_everything_needed_to_persist_the_job() -> None:
    manager, _ = make_world({"iron_ingot": 3, "hammer": 1}, seed=11, sources=[Forge(1)])

    (started,) = manager.start("iron_sword", "p1", "inv", 2.0, context={"order": "A-1"})

    assert isinstance(started, CraftStarted)
    assert started.seed == manager.job_seed(1) and 0 <= started.seed < 2**63
    assert started.consumed == (ItemStack("iron_ingot", 3),)
    assert started.resolved.modifiers.source == "Forge Lvl 1" and started.resolved.duration == 4.5
    assert (started.at, started.end, started.cycle, started.repeat) == (2.0, 6.5, 0, False)
    assert started.context == {"order": "A-1"}


# -- persistence: serialize, restore, determinism -----------------------------------------


def busy_world(seed: int = 5) -> tuple[Manager, InMemoryInventories, list[CraftEvent]]:
    """A manager with a mix of running jobs: plain, repeating, modified, probabilistic, cancelled."""
    items = {"iron_ingot": 60, "hammer": 1, "energy": 200, "pickaxe": 1, "geode": 40, "coal": 40}
    manager, inventories = make_world(items, seed=seed, sources=[Forge(2)])
    records: list[CraftEvent] = []
    records += manager.start("iron_sword", "alice", "inv", 0.0, context={"slot": 1})
    records += manager.start_repeating("mine_iron", "bob", "inv", 0.5)
    records += manager.start("steel", "carol", "inv", 1.0, modifiers=Modifiers(output_yield=1.5, source="Buff"))
    for n in range(10):
        records += manager.start("gem_loot", "dave", "inv", 1.0 + n)
    records.append(manager.cancel("forge_1#5", 2.0, refund=RefundPolicy.FULL))
    records += manager.update(6.0)
    return manager, inventories, records


def copy_inventory(source: InMemoryInventories) -> InMemoryInventories:
    copy = InMemoryInventories()
    copy.create("inv", items=source.contents("inv"))
    return copy


def test_serialize_then_deserialize_restores_the_manager_exactly() -> None:
    original, inventories, _ = busy_world()
    data = original.serialize()

    twin_inventories = copy_inventory(inventories)
    twin = Manager("forge_1", make_registry(), twin_inventories, modifier_sources=[Forge(2)], seed=5)
    twin.deserialize(data)

    assert twin.serialize() == data
    assert twin.all_jobs() == original.all_jobs() and twin.job_count() == original.job_count() == 7
    assert twin.last_update == 6.0
    later = [*original.update(20.0), *original.start("iron_sword", "x", "inv", 20.0), *original.update(200.0)]
    twin_later = [*twin.update(20.0), *twin.start("iron_sword", "x", "inv", 20.0), *twin.update(200.0)]
    assert encode_records(twin_later) == encode_records(later)
    assert twin_inventories.contents("inv") == inventories.contents("inv")


def test_serialized_jobs_share_one_copy_of_each_resolved_recipe() -> None:
    manager, _ = make_world({"geode": 100})
    for n in range(50):
        manager.start("gem_loot", "p", "inv", float(n))
    data = manager.serialize()
    assert data.count(b"sapphire") == 1
    twin = Manager("forge_1", make_registry(), InMemoryInventories())
    twin.deserialize(data)
    assert len({id(job.plan) for job in twin._jobs.values()}) == 1


def test_deserialize_refuses_state_of_another_manager_seed_or_garbage() -> None:
    original, _, _ = busy_world(seed=5)
    data = original.serialize()
    for manager_id, seed in (("forge_2", 5), ("forge_1", 6)):
        other = Manager(manager_id, make_registry(), InMemoryInventories(), seed=seed)
        with pytest.raises(CorruptState):
            other.deserialize(data)
    with pytest.raises(CorruptState):
        original.deserialize(b"\x93not a snapshot")
    assert original.job_count() == 7


def test_restore_from_records_rebuilds_the_running_jobs_and_carries_on_identically() -> None:
    original, inventories, records = busy_world()
    persisted = decode_records(encode_records(records))  # as the application service would store them

    restored_inventories = copy_inventory(inventories)
    restored = Manager("forge_1", make_registry(), restored_inventories, modifier_sources=[Forge(2)], seed=5)
    restored.restore(persisted)

    assert restored.all_jobs() == original.all_jobs()
    later = [*original.update(30.0), *original.start("steel", "x", "inv", 30.0), *original.update(500.0)]
    restored_later = [*restored.update(30.0), *restored.start("steel", "x", "inv", 30.0), *restored.update(500.0)]
    assert encode_records(restored_later) == encode_records(later)  # same job ids, rolls and timings
    assert restored_inventories.contents("inv") == inventories.contents("inv")


def test_restoring_is_idempotent_ignores_progress_events_and_continues_the_job_numbers() -> None:
    original, inventories, records = busy_world()
    restored = Manager("forge_1", make_registry(), copy_inventory(inventories), seed=5)
    progress = original.publish_progress(6.0)

    restored.restore([*records, *progress])
    restored.restore(records)

    assert restored.all_jobs() == original.all_jobs()
    assert restored.start("iron_sword", "x", "inv", 7.0)[0].job_id == "forge_1#14"
    assert original.start("iron_sword", "x", "inv", 7.0)[0].job_id == "forge_1#14"


def test_restore_refuses_records_of_another_manager_or_world_seed() -> None:
    _, _, records = busy_world(seed=5)
    with pytest.raises(CorruptState):
        Manager("forge_2", make_registry(), InMemoryInventories(), seed=5).restore(records)
    with pytest.raises(CorruptState):
        Manager("forge_1", make_registry(), InMemoryInventories(), seed=9).restore(records)


def run_loot(seed: int, jobs: int = 400) -> list[CraftEvent]:
    manager, _ = make_world({"geode": jobs}, seed=seed)
    records: list[CraftEvent] = []
    for n in range(jobs):
        records += manager.start("gem_loot", "p1", "inv", n * 0.25)
    records += manager.update(1_000.0)
    return records


def test_replays_with_the_same_seed_give_identical_outputs() -> None:
    assert encode_records(run_loot(seed=42)) == encode_records(run_loot(seed=42))
    first = [r.outputs for r in only(run_loot(seed=42), CraftCompleted)]
    other = [r.outputs for r in only(run_loot(seed=43), CraftCompleted)]
    assert first != other


def test_each_probabilistic_output_is_rolled_independently_with_its_probability() -> None:
    combos: dict[tuple[bool, bool], int] = {}
    completed = only(run_loot(seed=1, jobs=2_000), CraftCompleted)
    for record in completed:
        items = {stack.item for stack in record.outputs}
        assert "stone" in items  # certain outputs are always produced
        key = ("ruby" in items, "sapphire" in items)
        combos[key] = combos.get(key, 0) + 1

    assert set(combos) == {(False, False), (False, True), (True, False), (True, True)}
    for count in combos.values():
        assert 0.20 < count / len(completed) < 0.30


def test_managers_sharing_a_world_seed_still_roll_differently() -> None:
    registry, inventories = make_registry(), InMemoryInventories()
    a = Manager("a", registry, inventories, seed=1)
    b = Manager("b", registry, inventories, seed=1)
    assert [a.job_seed(n) for n in range(1, 20)] != [b.job_seed(n) for n in range(1, 20)]


# -- the optional manager registry --------------------------------------------------------


def test_manager_registry_finds_the_manager_of_any_job() -> None:
    inventories = InMemoryInventories()
    inventories.create("inv", items={"iron_ingot": 9, "hammer": 1})
    registry = make_registry()
    chunks = ManagerRegistry()
    first, second = Manager("chunk_0_0", registry, inventories), Manager("chunk_0_1", registry, inventories)
    chunks.register(first)
    chunks.register(second)
    (job,) = second.start("iron_sword", "p1", "inv", 0.0)

    assert chunks.find_job_manager(job.job_id) is second
    assert chunks.find_job_manager("chunk_0_0#1") is None and chunks.find_job_manager("junk") is None
    assert chunks.get("chunk_0_0") is first and len(chunks) == 2
    assert [m.id for m in chunks.all_managers()] == ["chunk_0_0", "chunk_0_1"]
    with pytest.raises(InvalidCommand):
        chunks.register(Manager("chunk_0_0", registry, inventories))
    assert chunks.unregister("chunk_0_1") is second and chunks.find_job_manager(job.job_id) is None


def test_every_engine_error_is_a_crafting_error() -> None:
    for error in (
        InvalidRecipe,
        DuplicateRecipe,
        UnknownRecipe,
        InvalidModifiers,
        InvalidCommand,
        UnknownJob,
        UnknownInventory,
        InsufficientItems,
        InventoryFull,
        CorruptState,
    ):
        assert issubclass(error, CraftingError)
