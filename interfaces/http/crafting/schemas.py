"""Request and response bodies of crafting worlds, their recipes, inventories, managers and jobs.

Engine times (``start``, ``end``, ``at``, ``now``) are seconds on the service's clock (Unix
time). Recipes travel in the engine's own shape (``id, name, category, inputs, outputs,
duration, metadata``: already one word per field), as do item stacks."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from domain.crafting import (
    CraftEvent,
    CraftJobInfo,
    CraftRecipe,
    ItemRequirement,
    ItemStack,
    ItemYield,
    Manager,
    Modifiers,
    RefundPolicy,
)
from domain.crafting_world import InventoryView, ModifierGrant, World
from domain.limits import (
    INT64_MAX,
    MAX_SMALL_LIST,
    Key,
    Label,
    Multiplier,
    Name,
    OptionalText,
    Quantity,
    Seed,
    check_depth,
)
from domain.work_limits import CRAFTING_MAX_STACK
from interfaces.http.bodies import Request, Response

MAX_TAGS = 64
WORLD_LISTED = 100  # inventory ids and managers a world's answer lists; its counts count them all


Labels = Annotated[tuple[Label, ...], msgspec.Meta(max_length=MAX_TAGS)]


Keys = Annotated[tuple[Key, ...], msgspec.Meta(max_length=MAX_SMALL_LIST)]


StackSize = Annotated[int, msgspec.Meta(ge=-INT64_MAX - 1, le=CRAFTING_MAX_STACK)]  # the model wants >= 1


Stacks = Annotated[dict[Key, StackSize], msgspec.Meta(max_length=MAX_SMALL_LIST)]


class CraftingModifiers(Request):
    """Multipliers (1.0 = unchanged): inputs cost ×``inputCost`` (rounded up, at least 1; tools
    untouched), outputs ×``outputYield`` (rounded down), duration ×``timeSpeed``."""

    input_cost: Multiplier = 1.0
    output_yield: Multiplier = 1.0
    time_speed: Multiplier = 1.0
    source: OptionalText = ""
    tags: Labels = ()

    def engine(self) -> Modifiers:
        return Modifiers(self.input_cost, self.output_yield, self.time_speed, self.source, self.tags)

    @classmethod
    def of(cls, modifiers: Modifiers) -> CraftingModifiers:
        return cls(**msgspec.structs.asdict(modifiers))


class Grant(Request):
    """Modifiers a manager grants to every job it starts, or only to recipes of ``categories``
    and/or jobs of ``owners`` (a building's level, a player's skill)."""

    modifiers: CraftingModifiers
    categories: Labels = ()
    owners: Keys = ()

    def engine(self) -> ModifierGrant:
        return ModifierGrant(modifiers=self.modifiers.engine(), categories=self.categories, owners=self.owners)

    @classmethod
    def of(cls, grant: ModifierGrant) -> Grant:
        return cls(modifiers=CraftingModifiers.of(grant.modifiers), categories=grant.categories, owners=grant.owners)


class CreateWorld(Request):
    name: Name
    seed: Seed | None = None  # decides every roll of the world's jobs; random unless given


class CreateInventory(Request):
    inventory_id: Key
    capacity: Quantity | None = None  # the most items it holds in total; null: no limit
    items: Stacks = {}


class ChangeItems(Request):
    items: Stacks  # item -> quantity (each at least 1)


class CreateManager(Request):
    manager_id: Key
    grants: Annotated[list[Grant], msgspec.Meta(max_length=MAX_TAGS)] = []


class ChangeGrants(Request):
    grants: Annotated[list[Grant], msgspec.Meta(max_length=MAX_TAGS)]  # all of them; [] grants nothing


class StartJob(Request):
    recipe_id: Key
    owner: Key  # who the job is for in the game (a player, a faction): its events go to this owner
    inventory_id: Key  # inputs are taken from it at once, outputs go to it at the end
    repeat: bool = False  # restart after each cycle while the inputs last
    modifiers: CraftingModifiers | None = None  # stacked on the manager's grants, e.g. a potion
    context: dict[str, Any] | None = None  # kept with the job, for the game

    def __post_init__(self) -> None:
        check_depth(self.context)


class CancelJob(Request):
    refund: Literal["full", "proportional", "none"]  # proportional: the share of time left, rounded down


class ManagerOut(Response):
    manager_id: str
    running_jobs: int
    next_due: float | None
    grants: list[Grant]

    @classmethod
    def of(cls, world: World, manager: Manager) -> ManagerOut:
        return cls(
            manager_id=manager.id,
            running_jobs=manager.job_count(),
            next_due=manager.next_due(),
            grants=[Grant.of(grant) for grant in world.grants[manager.id]],
        )


class WorldOut(Response):
    """A world at a glance. Inventories and managers have no limit, so it lists the first
    ``WORLD_LISTED`` of each (in creation order) and counts them all; ``GET .../inventories``
    and ``GET .../managers`` page through the rest."""

    id: UUID
    name: str
    seed: int
    version: int
    recipes: int
    inventories: list[str]  # the first WORLD_LISTED
    managers: list[ManagerOut]  # the first WORLD_LISTED
    inventory_count: int
    manager_count: int
    running_jobs: int  # in every manager
    next_due: float | None
    now: float
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, world: World, now: float) -> WorldOut:
        managers = world.managers
        return cls(
            id=world.id,
            name=world.name,
            seed=world.seed,
            version=world.version,
            recipes=len(world.registry),
            inventories=list(islice(world.capacities, WORLD_LISTED)),
            managers=[ManagerOut.of(world, manager) for manager in managers[:WORLD_LISTED]],
            inventory_count=len(world.capacities),
            manager_count=len(managers),
            running_jobs=world.running_count(),
            next_due=world.next_due(),
            now=now,
            created_at=world.created_on,
            updated_at=world.modified_on,
        )


class WorldChanged(Response):
    world: WorldOut
    position: int


class WorldList(Response):
    worlds: list[WorldOut]
    total: int  # the user's worlds, however many ``limit`` let into ``worlds``


class RecipesChanged(Response):
    recipes: list[CraftRecipe]
    position: int


class InventoryOut(Response):
    inventory_id: str
    capacity: int | None
    total: int
    items: dict[str, int]

    @classmethod
    def of(cls, view: InventoryView) -> InventoryOut:
        items = {stack.item: stack.quantity for stack in view.items}
        return cls(inventory_id=view.inventory_id, capacity=view.capacity, total=view.total, items=items)


class InventoryChanged(Response):
    inventory: InventoryOut
    position: int


class InventoryList(Response):
    inventories: list[InventoryOut]
    total: int  # the world's inventories, however many ``limit`` let into ``inventories``


class ManagerList(Response):
    managers: list[ManagerOut]
    total: int  # the world's managers, however many ``limit`` let into ``managers``


class ManagerChanged(Response):
    manager: ManagerOut
    position: int


class JobOut(Response):
    """A running job (finished jobs live on as their records)."""

    job_id: str
    manager_id: str
    recipe_id: str
    owner: str
    inventory_id: str
    state: Literal["running"]
    start: float
    end: float
    duration: float
    progress: float  # of the current cycle, at ``now`` of the answer
    repeat: bool
    cycles_completed: int
    seed: int
    modifiers: CraftingModifiers
    inputs: list[ItemRequirement]
    outputs: list[ItemYield]
    consumed: list[ItemStack]
    context: dict[str, Any] | None

    @classmethod
    def of(cls, job: CraftJobInfo, now: float) -> JobOut:
        fields = msgspec.structs.asdict(job)
        fields.update(state="running", progress=job.progress(now), modifiers=CraftingModifiers.of(job.modifiers))
        return cls(**fields)


class JobList(Response):
    jobs: list[JobOut]
    total: int  # running jobs listed or not: ``limit`` (or a stream's cap) lets at most that many into ``jobs``
    now: float


class JobRecordOut(Response, omit_defaults=True):
    """One thing that happened to a job, as persisted: ``type`` is started, completed, failed or
    cancelled; the other fields are those of its kind."""

    type: str
    job_id: str
    manager_id: str
    owner: str
    inventory_id: str
    recipe_id: str
    at: float
    end: float | None = None  # started, progress
    seed: int | None = None  # started
    repeat: bool | None = None  # started, completed
    cycle: int | None = None  # started: cycles before this one; completed: cycles done
    consumed: list[ItemStack] | None = None  # started
    outputs: list[ItemStack] | None = None  # completed, as rolled
    refund_policy: RefundPolicy | None = None  # cancelled
    refund: list[ItemStack] | None = None  # cancelled
    progress: float | None = None  # cancelled, progress (of the current cycle)
    cycles_completed: int | None = None  # failed, cancelled
    reason: str | None = None  # failed: inventory_full, unknown_inventory, inventory_error, failed_to_restart
    detail: str | None = None  # failed
    lost: list[ItemStack] | None = None  # failed

    @classmethod
    def of(cls, record: CraftEvent) -> JobRecordOut:
        fields = {name: getattr(record, name) for name in record.__struct_fields__ if name in _RECORD_FIELDS}
        return cls(type=str(record.__struct_config__.tag), **fields)


_RECORD_FIELDS = frozenset(JobRecordOut.__struct_fields__) - {"type"}


class JobStartedOut(Response):
    job: JobOut | None  # null when it finished as it started (an instant recipe)
    records: list[JobRecordOut]
    position: int


class JobCancelledOut(Response):
    record: JobRecordOut
    position: int
