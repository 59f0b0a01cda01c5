"""Errors the crafting engine raises.

Each subclasses both ``CraftingError`` (so callers can catch the engine's refusals as one
family) and one of the domain's generic errors (so an interface maps it to an HTTP status
without knowing the engine). Every raise leaves the world unchanged.
"""

from __future__ import annotations

from domain.errors import Conflict, DomainError, InvalidInput, NotFound, RuleViolation


class CraftingError(DomainError):
    """A crafting command was refused; nothing was changed."""


class InvalidRecipe(CraftingError, InvalidInput):
    """A recipe breaks a registration rule; ``field`` names the offending part."""


class DuplicateRecipe(CraftingError, Conflict):
    """A recipe id is already registered and replacing was not asked for."""


class UnknownRecipe(CraftingError, NotFound):
    """No recipe has this id."""


class InvalidModifiers(CraftingError, InvalidInput):
    """A modifier multiplier is negative or not a finite number."""


class InvalidCommand(CraftingError, InvalidInput):
    """A manager command is malformed (e.g. a non-finite time, an instant repeating job)."""


class UnknownJob(CraftingError, NotFound):
    """The manager holds no active job with this id (it finished, or never existed)."""


class InventoryError(CraftingError):
    """An inventory could not do what was asked; it was left unchanged."""


class UnknownInventory(InventoryError, NotFound):
    """No inventory has this id."""

    def __init__(self, inventory_id: str) -> None:
        super().__init__(f"unknown inventory {inventory_id!r}", "inventory_id")
        self.inventory_id = inventory_id


class InsufficientItems(InventoryError, RuleViolation):
    """An inventory lacks an input or a tool; nothing was consumed."""

    def __init__(self, inventory_id: str, item: str, needed: int, available: int) -> None:
        super().__init__(f"insufficient {item!r} in {inventory_id!r}: need {needed}, have {available}", "inputs")
        self.inventory_id = inventory_id
        self.item = item
        self.needed = needed
        self.available = available


class InventoryFull(InventoryError, RuleViolation):
    """Adding the items would exceed the inventory's capacity; nothing was added."""

    def __init__(self, inventory_id: str, adding: int, free: int) -> None:
        super().__init__(f"inventory {inventory_id!r} is full: adding {adding} items, room for {free}", "inventory_id")
        self.inventory_id = inventory_id
        self.adding = adding
        self.free = free


class StackFull(InventoryFull):
    """Adding the items would put more of one item in the inventory than any may hold."""

    def __init__(self, inventory_id: str, item: str, adding: int, free: int, limit: int) -> None:
        RuleViolation.__init__(
            self,
            f"inventory {inventory_id!r} holds at most {limit:,} of one item: adding {adding:,} {item!r}, "
            f"room for {free:,}",
            "items",
        )
        self.inventory_id = inventory_id
        self.item = item
        self.adding = adding
        self.free = free


class JobTooLarge(CraftingError, RuleViolation):
    """With its modifiers a job would take too long or move too many items (nothing started)."""


class CorruptState(CraftingError, InvalidInput):
    """Serialized manager state or job records cannot be restored into this manager."""
