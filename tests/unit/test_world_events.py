"""The crafting ``World`` aggregate: the engine decides, the world records what it did."""

from __future__ import annotations

from domain.crafting import (
    CraftRecipe,
    DuplicateRecipe,
    InsufficientItems,
    InventoryFull,
    ItemRequirement,
    ItemStack,
    ItemYield,
    Modifiers,
    RefundPolicy,
)
from domain.crafting_world import (
    CraftJobCancelled,
    CraftJobCompleted,
    CraftJobStarted,
    InventoryCreated,
    ItemsAdded,
    ItemsRemoved,
    ManagerCreated,
    ManagerGrantsChanged,
    ModifierGrant,
    RecipesRegistered,
    World,
    WorldCreated,
)
from domain.errors import Conflict, InvalidInput, NotFound
from tests.unit.given import AGGREGATE_ID, META, OWNER, ExpectedEvent, event, given, history_of

SWORD = CraftRecipe(
    id="iron_sword",
    category="weapons",
    inputs=(ItemRequirement("iron_ingot", 3), ItemRequirement("hammer", 1, consume=False)),
    outputs=(ItemYield("iron_sword", 1),),
    duration=5.0,
)
PLANKS = CraftRecipe(
    id="planks", category="carpentry", inputs=(ItemRequirement("log", 1),), outputs=(ItemYield("plank", 4),)
)
CREATED = event(WorldCreated, owner_id=OWNER, name="Forge world", seed=7)
TOOLS_AND_INGOTS = (ItemStack("iron_ingot", 6), ItemStack("hammer", 1))
FORGE = (
    CREATED,
    event(RecipesRegistered, recipes=(SWORD, PLANKS)),
    event(InventoryCreated, inventory_id="chest", capacity=100, items=TOOLS_AND_INGOTS),
    event(ManagerCreated, manager_id="forge", grants=()),
)


def chest(world: World) -> dict[str, int]:
    return {stack.item: stack.quantity for stack in world.inventory("chest").items}


def forging() -> tuple[ExpectedEvent, ...]:
    """The forge's history with a sword started at t=0 (its record holds a seed and a snapshot)."""
    world = given(*FORGE).aggregate
    world.start("forge", "iron_sword", "ann", "chest", 0.0, META)
    return FORGE + history_of(world)


def test_a_world_is_created_with_its_name_and_seed() -> None:
    given().when(lambda _: World.create(AGGREGATE_ID, " Forge world ", 7, META)).then(CREATED)
    given().when(lambda _: World.create(AGGREGATE_ID, " ", 7, META)).then_refused(InvalidInput, "name")
    given().when(lambda _: World.create(AGGREGATE_ID, "w", -1, META)).then_refused(InvalidInput, "seed")


def test_recipes_are_registered_all_or_none_and_a_taken_id_is_a_conflict_unless_replaced() -> None:
    given(CREATED).when(lambda world: world.register_recipes([SWORD], replace=False, meta=META)).then(
        event(RecipesRegistered, recipes=(SWORD,))
    )
    given(*FORGE).when(lambda world: world.register_recipes([SWORD], replace=False, meta=META)).then_refused(
        DuplicateRecipe
    )
    given(*FORGE).when(lambda world: world.register_recipes([SWORD], replace=True, meta=META)).then(
        event(RecipesRegistered, recipes=(SWORD,))
    )
    given(CREATED).when(lambda world: world.register_recipes([], replace=False, meta=META)).then_refused(InvalidInput)


def test_inventories_are_created_once_with_their_items() -> None:
    given(CREATED).when(lambda world: world.create_inventory("bag", 10, {"log": 2}, META)).then(
        event(InventoryCreated, inventory_id="bag", capacity=10, items=(ItemStack("log", 2),))
    )
    given(*FORGE).when(lambda world: world.create_inventory("chest", None, {}, META)).then_refused(
        Conflict, "already exists"
    )
    given(CREATED).when(lambda world: world.create_inventory("bag", -1, {}, META)).then_refused(InvalidInput)
    given(CREATED).when(lambda world: world.create_inventory("a/b", None, {}, META)).then_refused(InvalidInput)


def test_items_are_added_and_removed_all_or_none() -> None:
    world = given(*FORGE).when(lambda world: world.add_items("chest", {"log": 2}, META))
    assert chest(world.then(event(ItemsAdded, inventory_id="chest", items=(ItemStack("log", 2),))))["log"] == 2
    given(*FORGE).when(lambda world: world.remove_items("chest", {"iron_ingot": 2}, META)).then(
        event(ItemsRemoved, inventory_id="chest", items=(ItemStack("iron_ingot", 2),))
    )
    given(*FORGE).when(lambda world: world.remove_items("chest", {"iron_ingot": 7}, META)).then_refused(
        InsufficientItems
    )
    given(*FORGE).when(lambda world: world.add_items("chest", {"log": 94}, META)).then_refused(InventoryFull)
    given(*FORGE).when(lambda world: world.add_items("cellar", {"log": 1}, META)).then_refused(NotFound, "cellar")


def test_managers_are_created_once() -> None:
    given(CREATED).when(lambda world: world.create_manager("mill", [], META)).then(
        event(ManagerCreated, manager_id="mill", grants=())
    )
    given(*FORGE).when(lambda world: world.create_manager("forge", [], META)).then_refused(Conflict, "already exists")


def test_a_start_consumes_the_inputs_but_not_the_tools() -> None:
    world = given(*FORGE).when(lambda world: world.start("forge", "iron_sword", "ann", "chest", 0.0, META))
    assert chest(world.then(event(CraftJobStarted))) == {"iron_ingot": 3, "hammer": 1}


def test_a_start_without_the_inputs_is_refused_and_an_instant_job_completes_at_once() -> None:
    given(*FORGE).when(lambda world: world.start("forge", "planks", "ann", "chest", 0.0, META)).then_refused(
        InsufficientItems
    )
    given(*FORGE).when(lambda world: world.start("mill", "iron_sword", "ann", "chest", 0.0, META)).then_refused(
        NotFound, "mill"
    )
    with_log = (*FORGE, event(ItemsAdded, inventory_id="chest", items=(ItemStack("log", 1),)))
    world = given(*with_log).when(lambda world: world.start("forge", "planks", "ann", "chest", 0.0, META))
    assert chest(world.then(event(CraftJobStarted), event(CraftJobCompleted)))["plank"] == 4


def test_catching_up_completes_due_jobs_only() -> None:
    world = given(*forging()).when(lambda world: world.catch_up(5.0, META))
    assert chest(world.then(event(CraftJobCompleted)))["iron_sword"] == 1
    given(*forging()).when(lambda world: world.catch_up(4.9, META)).then_nothing()


def test_a_cancel_refunds_per_its_policy_and_an_unknown_job_is_not_found() -> None:
    world = given(*forging()).when(lambda world: world.cancel("forge", 1, 1.0, RefundPolicy.FULL, META))
    assert chest(world.then(event(CraftJobCancelled)))["iron_ingot"] == 6
    given(*forging()).when(lambda world: world.cancel("forge", 9, 1.0, RefundPolicy.FULL, META)).then_refused(NotFound)


FAST = ModifierGrant(modifiers=Modifiers(time_speed=0.5, source="Forge Lvl 2"))
THRIFTY = ModifierGrant(modifiers=Modifiers(input_cost=0.5, source="Thrift"), categories=("weapons",))


def test_a_managers_grants_are_changed_and_removed_for_the_jobs_it_starts_from_then_on() -> None:
    given(*FORGE).when(lambda world: world.change_grants("forge", [FAST, THRIFTY], META)).then(
        event(ManagerGrantsChanged, manager_id="forge", grants=(FAST, THRIFTY))
    )
    granted = (*FORGE, event(ManagerGrantsChanged, manager_id="forge", grants=(FAST, THRIFTY)))
    given(*granted).when(lambda world: world.remove_grant("forge", 0, META)).then(
        event(ManagerGrantsChanged, manager_id="forge", grants=(THRIFTY,))
    )
    world = given(*granted).when(lambda world: world.start("forge", "iron_sword", "ann", "chest", 0.0, META))
    started = world.then(event(CraftJobStarted)).job("forge", 1)
    assert (started.duration, started.consumed) == (2.5, (ItemStack("iron_ingot", 2),)), "both grants, replayed"
    given(*granted).when(lambda world: world.change_grants("forge", [], META)).then(
        event(ManagerGrantsChanged, manager_id="forge", grants=())
    )


def test_a_grant_change_is_refused_for_a_bad_multiplier_an_unknown_manager_or_grant() -> None:
    bad = ModifierGrant(modifiers=Modifiers(time_speed=-1.0))
    given(*FORGE).when(lambda world: world.change_grants("forge", [FAST, bad], META)).then_refused(
        InvalidInput, "time_speed"
    )
    given(*FORGE).when(lambda world: world.change_grants("mill", [FAST], META)).then_refused(NotFound, "mill")
    given(*FORGE).when(lambda world: world.remove_grant("forge", 0, META)).then_refused(NotFound, "no grant 0")


def test_running_jobs_keep_the_modifiers_they_started_with() -> None:
    world = given(*forging()).when(lambda world: world.change_grants("forge", [FAST], META))
    assert world.then(event(ManagerGrantsChanged)).job("forge", 1).duration == 5.0
