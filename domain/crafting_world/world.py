"""Crafting worlds: one user's recipes, inventories and production managers, event-sourced.

A world is the crafting engine (``domain.crafting``) as an aggregate. The engine decides:
each command calls it first, and it either refuses with nothing changed or makes the change
as one atomic step (consume-and-start, refund-and-cancel, complete-and-restart) and returns
what it did. The world then records that as events that are *already applied*
(``_append``) rather than record-then-apply, because re-enacting the engine's steps would
roll, consume and number jobs a second time. ``apply`` is the way back: replaying the events
onto an empty world rebuilds the same recipes, inventories and running jobs.

Inventories are rebuilt from the job events themselves: a start removes its ``consumed``
snapshot, a completion adds its rolled ``outputs``, a cancel its ``refund``, a failure adds
nothing. One world is one event stream, so replay applies them in the order they happened,
across managers that share an inventory, and reproduces every count, random rolls included.
Running jobs are rebuilt with ``Manager.restore``, fed in bulk (per manager once the replay
is over, or every ``RESTORE_BATCH`` records) because each call costs time in proportion to
the manager's jobs.

Time is ``now`` (seconds on the service's clock), always passed in. ``catch_up`` completes the
due jobs of every manager in end-time order, so managers sharing an inventory see each
other's outputs when time says they exist, however late or often the world is caught up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from heapq import heapify, heappop, heappush
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.crafting import (
    CorruptState,
    CraftCancelled,
    CraftCompleted,
    CraftEvent,
    CraftFailed,
    CraftJobInfo,
    CraftProgress,
    CraftRecipe,
    CraftStarted,
    InMemoryInventories,
    InsufficientItems,
    ItemRequirement,
    ItemStack,
    Manager,
    ManagerRegistry,
    Modifiers,
    RecipeRegistry,
    RefundPolicy,
    make_job_id,
)
from domain.crafting.recipes import check_bounds
from domain.crafting_world.grants import GrantedModifiers, ModifierGrant, checked, checked_grants
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import CommandMeta, Event, utcnow
from domain.work_limits import (
    CRAFTING_MAX_RECIPES_PER_IMPORT,
    CRAFTING_MAX_RECIPES_PER_WORLD,
    CRAFTING_MAX_STACK,
    ensure_within,
)

# Manager, inventory and owner ids appear in URLs and in job ids ("forge_1#42"): no '/' or '#'.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}")
RESTORE_BATCH = 4096
CATCH_UP_LIMIT = 5000
T = TypeVar("T")


def check_id(value: str, field: str) -> str:
    if not _ID.fullmatch(value):
        raise InvalidInput(
            f"{value!r} is not a valid id: 1-100 letters, digits or _ . : @ -, starting with a letter or digit", field
        )
    return value


def _stacks(items: Mapping[str, int]) -> tuple[ItemStack, ...]:
    """Item counts from a command, each item named and at least 1."""
    for item, quantity in items.items():
        if not item.strip():
            raise InvalidInput("item names must not be blank", "items")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= CRAFTING_MAX_STACK:
            raise InvalidInput(
                f"quantity of {item!r} must be a whole number from 1 to {CRAFTING_MAX_STACK:,}", f"items.{item}"
            )
    if not items:
        raise InvalidInput("name at least one item", "items")
    return tuple(ItemStack(item, quantity) for item, quantity in items.items())


def _requirements(stacks: Iterable[ItemStack]) -> list[ItemRequirement]:
    return [ItemRequirement(stack.item, stack.quantity) for stack in stacks]


class InventoryView(msgspec.Struct, frozen=True, kw_only=True):
    inventory_id: str
    capacity: int | None
    items: tuple[ItemStack, ...]  # stacks, not a map: item names are data, never field names

    @property
    def total(self) -> int:
        return sum(stack.quantity for stack in self.items)


class ManagerState(msgspec.Struct, frozen=True, kw_only=True):
    manager_id: str
    grants: tuple[ModifierGrant, ...]
    jobs: list[CraftJobInfo]


class WorldState(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    seed: int
    recipes: list[CraftRecipe]
    inventories: list[InventoryView]
    managers: list[ManagerState]


class World(Aggregate):
    """Recipes, inventories and managers of one user's world, and every job's life as events."""

    name: str
    seed: int
    registry: RecipeRegistry
    inventories: InMemoryInventories
    capacities: dict[str, int | None]  # every inventory of the world, in creation order
    _managers: ManagerRegistry
    grants: dict[str, tuple[ModifierGrant, ...]]
    _unsettled: dict[str, list[CraftEvent]]  # replayed job records not yet restored into their manager

    @classmethod
    def create(cls, world_id: UUID, name: str, seed: int, meta: CommandMeta) -> World:
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidInput("name must be 1-100 characters", "name")
        if not 0 <= seed < 2**63:
            raise InvalidInput("seed must be a whole number from 0 to 2^63 - 1", "seed")
        return cls._create(
            WorldCreated,
            world_id,
            meta=meta,
            owner_id=meta.user_id,
            name=name,
            seed=seed,
        )

    def _init_engine(self) -> None:
        self.registry = RecipeRegistry()
        self.inventories = InMemoryInventories()
        self.capacities = {}
        self._managers = ManagerRegistry()
        self.grants = {}
        self._unsettled = {}

    # -- commands: the engine decides and changes, then the world records what it did ---------

    def register_recipes(
        self, recipes: Sequence[CraftRecipe], *, replace: bool, meta: CommandMeta
    ) -> list[CraftRecipe]:
        """Validate and add recipes, all or none; an id already taken is a conflict unless ``replace``.
        At most ``CRAFTING_MAX_RECIPES_PER_IMPORT`` at once and ``CRAFTING_MAX_RECIPES_PER_WORLD``
        in all (every recipe lives in memory, and in every load of the world)."""
        if not recipes:
            raise InvalidInput("name at least one recipe", "recipes")
        ensure_within("recipes in one import", len(recipes), CRAFTING_MAX_RECIPES_PER_IMPORT, "recipes")
        new = {recipe.id for recipe in recipes if recipe.id not in self.registry}
        ensure_within("recipes in the world", len(self.registry) + len(new), CRAFTING_MAX_RECIPES_PER_WORLD, "recipes")
        for recipe in recipes:
            check_bounds(recipe)
        registered = self.registry.register_all(recipes, replace=replace)
        self._append(RecipesRegistered, meta, recipes=tuple(registered))
        return registered

    def create_inventory(
        self, inventory_id: str, capacity: int | None, items: Mapping[str, int], meta: CommandMeta
    ) -> InventoryView:
        check_id(inventory_id, "inventory_id")
        if inventory_id in self.capacities:
            raise Conflict(f"inventory {inventory_id!r} already exists", "inventory_id")
        if capacity is not None and capacity < 0:
            raise InvalidInput("capacity must be >= 0 (or null: unlimited)", "capacity")
        stacks = _stacks(items) if items else ()
        self.inventories.create(inventory_id, capacity=capacity, items={s.item: s.quantity for s in stacks})
        self.capacities[inventory_id] = capacity
        self._append(InventoryCreated, meta, inventory_id=inventory_id, capacity=capacity, items=stacks)
        return self.inventory(inventory_id)

    def add_items(self, inventory_id: str, items: Mapping[str, int], meta: CommandMeta) -> InventoryView:
        """Add every item, or none if they do not all fit the capacity."""
        self._require_inventory(inventory_id)
        stacks = _stacks(items)
        self.inventories.add(inventory_id, stacks)
        self._append(ItemsAdded, meta, inventory_id=inventory_id, items=stacks)
        return self.inventory(inventory_id)

    def remove_items(self, inventory_id: str, items: Mapping[str, int], meta: CommandMeta) -> InventoryView:
        """Remove every item, or none if one is short."""
        self._require_inventory(inventory_id)
        stacks = _stacks(items)
        try:
            self.inventories.consume(inventory_id, _requirements(stacks))
        except InsufficientItems as short:
            short.field = "items"
            raise
        self._append(ItemsRemoved, meta, inventory_id=inventory_id, items=stacks)
        return self.inventory(inventory_id)

    def create_manager(self, manager_id: str, grants: Sequence[ModifierGrant], meta: CommandMeta) -> Manager:
        check_id(manager_id, "manager_id")
        if self._managers.get(manager_id) is not None:
            raise Conflict(f"manager {manager_id!r} already exists", "manager_id")
        grants = checked_grants(grants)
        manager = self._new_manager(manager_id, grants)
        self._append(ManagerCreated, meta, manager_id=manager_id, grants=tuple(grants))
        return manager

    def change_grants(self, manager_id: str, grants: Sequence[ModifierGrant], meta: CommandMeta) -> Manager:
        """The modifiers the manager grants to the jobs it starts from now on (none: it grants
        nothing); its running jobs keep the modifiers they started with."""
        manager = self.manager(manager_id)
        grants = checked_grants(grants)
        self._grant(manager, grants)
        self._append(ManagerGrantsChanged, meta, manager_id=manager_id, grants=grants)
        return manager

    def remove_grant(self, manager_id: str, index: int, meta: CommandMeta) -> Manager:
        """The manager without its grant at ``index`` (0 is the first, as ``grants`` lists them)."""
        grants = self.grants[self.manager(manager_id).id]
        if not 0 <= index < len(grants):
            raise NotFound(f"manager {manager_id!r} has no grant {index} (it has {len(grants)})", "grant_index")
        return self.change_grants(manager_id, grants[:index] + grants[index + 1 :], meta)

    def start(
        self,
        manager_id: str,
        recipe_id: str,
        owner: str,
        inventory_id: str,
        now: float,
        meta: CommandMeta,
        *,
        repeat: bool = False,
        modifiers: Modifiers | None = None,
        context: dict[str, Any] | None = None,
    ) -> tuple[CraftEvent, ...]:
        """Consume the inputs and start a job (an instant one completes at once); return its records."""
        check_id(owner, "owner")
        self._require_inventory(inventory_id)
        manager = self.manager(manager_id)
        if modifiers is not None:
            checked(modifiers, "modifiers")
        records = manager.start(
            recipe_id, owner, inventory_id, now, repeat=repeat, modifiers=modifiers, context=context or None
        )
        self._recorded(records, meta)
        return records

    def cancel(
        self, manager_id: str, seq: int, now: float, refund: RefundPolicy | str, meta: CommandMeta
    ) -> CraftCancelled:
        """Cancel a running job and refund per ``refund`` (full, proportional, none), as one step."""
        record = self.manager(manager_id).cancel(make_job_id(manager_id, seq), now, refund=refund)
        self._recorded((record,), meta)
        return record

    def catch_up(self, now: float, meta: CommandMeta, limit: int = CATCH_UP_LIMIT) -> list[CraftEvent]:
        """Complete the jobs due by ``now`` (at most ``limit`` cycles), every manager's in end-time order."""
        due = [(at, m.id, m) for m in self.managers if (at := m.next_due()) is not None and at <= now]
        heapify(due)
        records: list[CraftEvent] = []
        while due and len(records) < limit:
            _, manager_id, manager = heappop(due)
            # Only up to the next manager's due time: its outputs may feed this one's restarts.
            records.extend(manager.update(min(now, due[0][0]) if due else now, limit=limit - len(records)))
            at = manager.next_due()
            if at is not None and at <= now:
                heappush(due, (at, manager_id, manager))
        self._recorded(records, meta)
        return records

    # -- queries ------------------------------------------------------------------------------

    def next_due(self) -> float | None:
        """The earliest end time of a running job in the world (when ``catch_up`` next has work)."""
        times = [at for m in self.managers if (at := m.next_due()) is not None]
        return min(times) if times else None

    @property
    def managers(self) -> list[Manager]:
        """Every manager, in creation order."""
        self._settle()
        return self._managers.all_managers()

    def manager(self, manager_id: str) -> Manager:
        self._settle()
        manager = self._managers.get(manager_id)
        if manager is None:
            raise NotFound(f"manager {manager_id!r} not found", "manager_id")
        return manager

    def job(self, manager_id: str, seq: int) -> CraftJobInfo:
        job = self.manager(manager_id).get_job(make_job_id(manager_id, seq))
        if job is None:
            raise NotFound(f"no running job {make_job_id(manager_id, seq)!r} (it finished, or never was)", "job_id")
        return job

    def running_jobs(self, owner: str | None = None, offset: int = 0, limit: int | None = None) -> list[CraftJobInfo]:
        """The running jobs of ``owner`` (everyone's if None), by manager in creation order and
        each manager's oldest first: ``limit`` of them (all if None) after the first ``offset``."""
        return self._across_managers(owner, offset, limit, lambda m, skip, take: m.jobs(owner, skip, take))

    def running_count(self, owner: str | None = None) -> int:
        """How many jobs of ``owner`` (everyone's if None) are running: the managers' counts."""
        return sum(manager.job_count(owner) for manager in self.managers)

    def progress(self, now: float, owner: str | None = None, limit: int | None = None) -> list[CraftProgress]:
        """How far the first ``limit`` running jobs of ``owner`` (all if None), in the order of
        ``running_jobs``, are at ``now`` (the engine's progress records; never saved)."""
        return self._across_managers(owner, 0, limit, lambda m, _, take: m.publish_progress(now, owner, take))

    def inventory(self, inventory_id: str) -> InventoryView:
        self._require_inventory(inventory_id)
        return InventoryView(
            inventory_id=inventory_id,
            capacity=self.capacities[inventory_id],
            items=tuple(
                ItemStack(item, quantity) for item, quantity in self.inventories.contents(inventory_id).items()
            ),
        )

    def state(self) -> WorldState:
        return WorldState(
            name=self.name,
            seed=self.seed,
            recipes=self.registry.all(),
            inventories=[self.inventory(inventory_id) for inventory_id in self.capacities],
            managers=[
                ManagerState(manager_id=m.id, grants=self.grants[m.id], jobs=m.all_jobs()) for m in self.managers
            ],
        )

    # -- internals ----------------------------------------------------------------------------

    def _across_managers(
        self,
        owner: str | None,
        offset: int,
        limit: int | None,
        read: Callable[[Manager, int, int | None], list[T]],
    ) -> list[T]:
        """``limit`` (all if None) of what ``read(manager, skip, take)`` reads of the jobs of
        ``owner`` after the first ``offset``, manager after manager: a manager whose jobs all
        come before ``offset`` is passed over by its count, so only the page's jobs are read."""
        page: list[T] = []
        for manager in self.managers:
            if limit is not None and len(page) >= limit:
                break
            count = manager.job_count(owner)
            if offset >= count:
                offset -= count
                continue
            page += read(manager, offset, None if limit is None else limit - len(page))
            offset = 0
        return page

    def _require_inventory(self, inventory_id: str) -> None:
        if inventory_id not in self.capacities:
            raise NotFound(f"inventory {inventory_id!r} not found", "inventory_id")

    def _new_manager(self, manager_id: str, grants: tuple[ModifierGrant, ...]) -> Manager:
        manager = Manager(manager_id, self.registry, self.inventories, seed=self.seed)
        self._managers.register(manager)
        self._grant(manager, grants)
        return manager

    def _grant(self, manager: Manager, grants: tuple[ModifierGrant, ...]) -> None:
        manager.replace_modifier_sources((GrantedModifiers(grants),) if grants else ())
        self.grants[manager.id] = grants

    def _append(
        self, event_class: type[Event], meta: CommandMeta, timestamp: datetime | None = None, **fields: Any
    ) -> None:
        """Record a change the engine has already made (``_record`` would apply it a second time)."""
        self.version += 1
        self.modified_on = timestamp or utcnow()
        self._pending.append(
            event_class(
                originator_id=self.id,
                originator_version=self.version,
                timestamp=self.modified_on,
                meta=meta,
                **fields,
            )
        )

    def _recorded(self, records: Iterable[CraftEvent], meta: CommandMeta) -> None:
        timestamp = utcnow()
        for record in records:
            self._append(_JOB_EVENTS[type(record)], meta, timestamp, record=record)

    def unsaved_records(self) -> list[CraftEvent]:
        """The job records among the events not saved yet (a save with any wakes the event streams)."""
        return [event.record for event in self._pending if isinstance(event, CraftJobRecorded)]

    def _replayed(self, record: CraftEvent) -> None:
        """Keep a replayed job record for its manager's ``restore``, in bulk."""
        pending = self._unsettled.setdefault(record.manager_id, [])
        pending.append(record)
        if len(pending) >= RESTORE_BATCH:
            self._settle()

    def _settle(self) -> None:
        if self._unsettled:
            for manager_id, records in self._unsettled.items():
                manager = self._managers.get(manager_id)
                if manager is None:
                    raise CorruptState(f"job records of manager {manager_id!r}, which the world never created")
                manager.restore(records)
            self._unsettled = {}

    def __getstate__(self) -> dict[str, Any]:
        """A copy's state (the event store deep-copies the aggregates it caches): the engine as data."""
        state = super().__getstate__()
        state.update(
            registry=self.registry.all(),
            inventories={i: self.inventories.contents(i) for i in self.capacities},
            _managers={m.id: m.serialize() for m in self.managers},
            _unsettled={},
        )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        recipes, inventories, managers = state.pop("registry"), state.pop("inventories"), state.pop("_managers")
        capacities, grants = state.pop("capacities"), state.pop("grants")
        self.__dict__.update(state)
        self._init_engine()
        self.registry.register_all(recipes)
        for inventory_id, capacity in capacities.items():
            self.inventories.create(inventory_id, capacity=capacity, items=inventories[inventory_id])
        self.capacities = capacities
        for manager_id, data in managers.items():
            self._new_manager(manager_id, grants[manager_id]).deserialize(data)


# -- events: each ``apply`` replays one recorded change onto a world being rebuilt -------------


class WorldCreated(Event, frozen=True):
    owner_id: UUID
    name: str
    seed: int

    def apply(self, aggregate: Any) -> World:
        world = World(self.originator_id, self.owner_id, self.timestamp)
        world.name = self.name
        world.seed = self.seed
        world._init_engine()
        return world


class RecipesRegistered(Event, frozen=True):
    recipes: tuple[CraftRecipe, ...]

    def apply(self, aggregate: World) -> World:
        aggregate.registry.register_all(self.recipes, replace=True)
        return aggregate


class InventoryCreated(Event, frozen=True):
    inventory_id: str
    capacity: int | None
    items: tuple[ItemStack, ...] = ()

    def apply(self, aggregate: World) -> World:
        items = {stack.item: stack.quantity for stack in self.items}
        aggregate.inventories.create(self.inventory_id, capacity=self.capacity, items=items)
        aggregate.capacities[self.inventory_id] = self.capacity
        return aggregate


class ItemsAdded(Event, frozen=True):
    inventory_id: str
    items: tuple[ItemStack, ...]

    def apply(self, aggregate: World) -> World:
        aggregate.inventories.add(self.inventory_id, self.items)
        return aggregate


class ItemsRemoved(Event, frozen=True):
    inventory_id: str
    items: tuple[ItemStack, ...]

    def apply(self, aggregate: World) -> World:
        aggregate.inventories.consume(self.inventory_id, _requirements(self.items))
        return aggregate


class ManagerCreated(Event, frozen=True):
    manager_id: str
    grants: tuple[ModifierGrant, ...] = ()

    def apply(self, aggregate: World) -> World:
        aggregate._new_manager(self.manager_id, self.grants)
        return aggregate


class ManagerGrantsChanged(Event, frozen=True):
    """The manager's grants replaced (``()``: none left); jobs already running keep theirs."""

    manager_id: str
    grants: tuple[ModifierGrant, ...]

    def apply(self, aggregate: World) -> World:
        manager = aggregate._managers.get(self.manager_id)
        if manager is None:
            raise CorruptState(f"grants of manager {self.manager_id!r}, which the world never created")
        aggregate._grant(manager, self.grants)
        return aggregate


class CraftJobRecorded(Event, frozen=True):
    """One of the engine's job records, as the manager returned it (each subclass names its kind)."""

    record: CraftEvent


class CraftJobStarted(CraftJobRecorded, frozen=True):
    """A job (or a repeating job's next cycle) started: ``record.consumed`` left the inventory."""

    stored_as: ClassVar[str | None] = "domain.crafting_world.world:JobStarted"

    record: CraftStarted

    def apply(self, aggregate: World) -> World:
        if self.record.consumed:
            aggregate.inventories.consume(self.record.inventory_id, _requirements(self.record.consumed))
        aggregate._replayed(self.record)
        return aggregate


class CraftJobCompleted(CraftJobRecorded, frozen=True):
    """A cycle finished at its end time: ``record.outputs``, as rolled, were added."""

    stored_as: ClassVar[str | None] = "domain.crafting_world.world:JobCompleted"

    record: CraftCompleted

    def apply(self, aggregate: World) -> World:
        if self.record.outputs:
            aggregate.inventories.add(self.record.inventory_id, self.record.outputs)
        aggregate._replayed(self.record)
        return aggregate


class CraftJobCancelled(CraftJobRecorded, frozen=True):
    """A job was cancelled: ``record.refund`` went back to the inventory."""

    stored_as: ClassVar[str | None] = "domain.crafting_world.world:JobCancelled"

    record: CraftCancelled

    def apply(self, aggregate: World) -> World:
        if self.record.refund:
            aggregate.inventories.add(self.record.inventory_id, self.record.refund)
        aggregate._replayed(self.record)
        return aggregate


class CraftJobFailed(CraftJobRecorded, frozen=True):
    """A job stopped: its outputs did not fit (``record.lost``), or a repeating job ran out of inputs."""

    stored_as: ClassVar[str | None] = "domain.crafting_world.world:JobFailed"

    record: CraftFailed

    def apply(self, aggregate: World) -> World:
        aggregate._replayed(self.record)
        return aggregate


_JOB_EVENTS: dict[type[CraftEvent], type[Event]] = {
    CraftStarted: CraftJobStarted,
    CraftCompleted: CraftJobCompleted,
    CraftCancelled: CraftJobCancelled,
    CraftFailed: CraftJobFailed,
}
