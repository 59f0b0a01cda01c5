"""Where jobs take their inputs from and put their outputs: the provider interface and an in-memory one.

The engine never reaches into an inventory's internals; it asks a provider to consume a job's
inputs or to add items, and each request succeeds whole or changes nothing. That contract is
what makes a job start atomic (no reservation, no "pending" state, no double spending) and a
cancel-with-refund one step.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

from domain.crafting.errors import InsufficientItems, InventoryFull, StackFull, UnknownInventory
from domain.crafting.recipes import ItemRequirement, ItemStack
from domain.work_limits import CRAFTING_MAX_STACK


class InventoryProvider(Protocol):
    """Atomic access to inventories by id.

    Both methods must be all-or-nothing and safe to call from several threads (managers run
    in parallel and may share an inventory). Expected refusals raise ``UnknownInventory``,
    ``InsufficientItems`` or ``InventoryFull``. The manager calls them while holding its own
    lock, so a provider must not call back into a manager.
    """

    def consume(self, inventory_id: str, requirements: Sequence[ItemRequirement]) -> None:
        """Check every requirement (tools included), then remove the consumed ones; or change nothing."""
        ...

    def add(self, inventory_id: str, stacks: Sequence[ItemStack]) -> None:
        """Add every stack, or none if they do not all fit."""
        ...


class _Inventory:
    """One inventory's counts, with a lock of its own so unrelated inventories never contend."""

    __slots__ = ("capacity", "items", "lock", "total")

    def __init__(self, capacity: int | None) -> None:
        self.capacity = capacity
        self.items: dict[str, int] = {}
        self.total = 0
        self.lock = threading.Lock()


class InMemoryInventories:
    """A thread-safe ``InventoryProvider`` holding item counts in memory.

    ``capacity`` (optional, per inventory) caps the total number of items held; an addition
    that would exceed it is refused whole.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inventories: dict[str, _Inventory] = {}

    def create(self, inventory_id: str, *, capacity: int | None = None, items: Mapping[str, int] | None = None) -> None:
        """Add an empty (or pre-filled) inventory; replacing an existing one is refused.

        All or nothing: items that exceed the capacity raise ``InventoryFull`` and leave no inventory.
        """
        if capacity is not None and capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        inventory = _Inventory(capacity)
        if items:
            for item, quantity in items.items():
                if quantity < 0:
                    raise ValueError(f"cannot add a negative quantity of {item!r}")
                if quantity > CRAFTING_MAX_STACK:
                    raise StackFull(inventory_id, item, quantity, CRAFTING_MAX_STACK, CRAFTING_MAX_STACK)
                if quantity:
                    inventory.items[item] = quantity
            inventory.total = sum(inventory.items.values())
            if capacity is not None and inventory.total > capacity:
                raise InventoryFull(inventory_id, inventory.total, capacity)
        with self._lock:
            if inventory_id in self._inventories:
                raise ValueError(f"inventory {inventory_id!r} already exists")
            self._inventories[inventory_id] = inventory

    def delete(self, inventory_id: str) -> None:
        """Forget an inventory (jobs that later complete into it fail with ``unknown_inventory``)."""
        with self._lock:
            if self._inventories.pop(inventory_id, None) is None:
                raise UnknownInventory(inventory_id)

    def _get(self, inventory_id: str) -> _Inventory:
        inventory = self._inventories.get(inventory_id)
        if inventory is None:
            raise UnknownInventory(inventory_id)
        return inventory

    def count(self, inventory_id: str, item: str) -> int:
        """How many of ``item`` the inventory holds."""
        return self._get(inventory_id).items.get(item, 0)

    def contents(self, inventory_id: str) -> dict[str, int]:
        """A copy of the inventory's counts (items with a count of 0 are absent)."""
        inventory = self._get(inventory_id)
        with inventory.lock:
            return dict(inventory.items)

    def consume(self, inventory_id: str, requirements: Sequence[ItemRequirement]) -> None:
        """Check all requirements, then remove the consumed ones (tools stay); or raise and change nothing."""
        inventory = self._get(inventory_id)
        needed: dict[str, int] = {}
        for requirement in requirements:
            needed[requirement.item] = needed.get(requirement.item, 0) + requirement.quantity
        with inventory.lock:
            items = inventory.items
            for item, quantity in needed.items():
                available = items.get(item, 0)
                if available < quantity:
                    raise InsufficientItems(inventory_id, item, quantity, available)
            for requirement in requirements:
                if requirement.consume:
                    left = items[requirement.item] - requirement.quantity
                    if left:
                        items[requirement.item] = left
                    else:
                        del items[requirement.item]
                    inventory.total -= requirement.quantity

    def add(self, inventory_id: str, stacks: Sequence[ItemStack]) -> None:
        """Add all stacks, or raise ``InventoryFull`` (nothing added) if they exceed the capacity,
        or ``StackFull`` if one item would exceed ``CRAFTING_MAX_STACK``."""
        inventory = self._get(inventory_id)
        adding = 0
        for stack in stacks:
            if stack.quantity < 0:
                raise ValueError(f"cannot add a negative quantity of {stack.item!r}")
            adding += stack.quantity
        with inventory.lock:
            if inventory.capacity is not None and inventory.total + adding > inventory.capacity:
                raise InventoryFull(inventory_id, adding, inventory.capacity - inventory.total)
            items = inventory.items
            if inventory.total + adding > CRAFTING_MAX_STACK:  # only then can one item's count exceed it
                _ensure_stacks_fit(inventory_id, items, stacks)
            for stack in stacks:
                if stack.quantity:
                    items[stack.item] = items.get(stack.item, 0) + stack.quantity
            inventory.total += adding


def _ensure_stacks_fit(inventory_id: str, items: Mapping[str, int], stacks: Sequence[ItemStack]) -> None:
    adding: dict[str, int] = {}
    for stack in stacks:
        adding[stack.item] = adding.get(stack.item, 0) + stack.quantity
    for item, quantity in adding.items():
        held = items.get(item, 0)
        if held + quantity > CRAFTING_MAX_STACK:
            raise StackFull(inventory_id, item, quantity, CRAFTING_MAX_STACK - held, CRAFTING_MAX_STACK)
