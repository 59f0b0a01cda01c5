"""Crafting worlds: the crafting engine (``domain.crafting``) as event-sourced aggregates.

``World`` holds one user's recipes, inventories and managers; every change is an event, job
starts with their consumed snapshot, completions with their rolled outputs, cancels with
their refund, failures with their reason, so a world can be audited, replayed and restored.
"""

from domain.crafting_world.grants import GrantedModifiers, ModifierGrant
from domain.crafting_world.world import (
    CATCH_UP_LIMIT,
    CraftJobCancelled,
    CraftJobCompleted,
    CraftJobFailed,
    CraftJobRecorded,
    CraftJobStarted,
    InventoryCreated,
    InventoryView,
    ItemsAdded,
    ItemsRemoved,
    ManagerCreated,
    ManagerGrantsChanged,
    ManagerState,
    RecipesRegistered,
    World,
    WorldCreated,
    WorldState,
    check_id,
)

__all__ = [
    "CATCH_UP_LIMIT",
    "GrantedModifiers",
    "InventoryCreated",
    "InventoryView",
    "ItemsAdded",
    "ItemsRemoved",
    "CraftJobCancelled",
    "CraftJobCompleted",
    "CraftJobFailed",
    "CraftJobRecorded",
    "CraftJobStarted",
    "ManagerCreated",
    "ManagerGrantsChanged",
    "ManagerState",
    "ModifierGrant",
    "RecipesRegistered",
    "World",
    "WorldCreated",
    "WorldState",
    "check_id",
]
