"""The crafting engine: time-based production of items from items, pure and in-process.

Spec: ``/work/shared/specs/crafting-engine.md``. No I/O and no clock: every call that depends
on time takes ``now`` (float seconds on the caller's clock), so the same calls in the same
order always produce the same world.

Building blocks
    ``RecipeRegistry`` validates and indexes ``CraftRecipe``s (inputs consumed or tools checked,
    probabilistic outputs, duration, category, metadata) and imports/exports them as JSON.
    ``InventoryProvider`` (a Protocol; ``InMemoryInventories`` implements it) consumes inputs
    and adds outputs atomically. ``ModifierSource``s grant ``Modifiers`` that stack
    multiplicatively and are frozen into each job at start. ``Manager`` holds one set of jobs;
    ``ManagerRegistry`` optionally finds the manager of any job id. ``QueueEventBus`` delivers
    records to subscribers per owner without ever blocking the engine.

For the application service that persists jobs as events
    Every changing call returns the records of what happened, in order, and nothing else
    has to be observed::

        manager.start(recipe_id, owner, inventory_id, now)        -> (CraftStarted, [CraftCompleted | CraftFailed])
        manager.start_repeating(recipe_id, owner, inventory_id, now) -> (CraftStarted,)
        manager.update(now)                                        -> [CraftCompleted | CraftFailed | CraftStarted, ...]
        manager.cancel(job_id, now, refund=RefundPolicy.FULL)      -> CraftCancelled

    ``CraftStarted`` carries the consumed snapshot, the seed, the modifiers snapshot with the
    effective inputs/outputs/duration (``resolved``) and the end time; ``CraftCompleted`` the
    rolled outputs; ``CraftCancelled`` the refund; ``CraftFailed`` the reason (``inventory_full``,
    ``unknown_inventory``, ``inventory_error``, ``failed_to_restart``) and what was lost. A
    repeating job's next cycle is another ``CraftStarted`` (``cycle`` > 0). Records are frozen
    msgspec Structs tagged by ``type``: store them with ``msgspec.to_builtins`` or
    ``encode_records`` and read them back with ``msgspec.convert(data, CraftRecord)`` or
    ``decode_records``. Persist each call's records together (all or none).

    To restore: build the manager with the same id, registry, provider and world seed, then
    ``manager.restore(records)`` with the persisted records in order (or ``deserialize`` a
    ``serialize`` snapshot and restore only the records written since). The records replace
    nothing in the inventories: the service keeps those from its own events (consumed at
    start, outputs at completion, refund at cancel), so replaying the records reproduces both.

    Errors are ``CraftingError``s that are also the domain's ``InvalidInput`` / ``NotFound`` /
    ``RuleViolation`` / ``Conflict``, and leave everything unchanged.

Bounds (``domain/work_limits.py``)
    Multipliers lie in [0, 1000], durations up to ten years, recipe quantities up to 10^9 and
    one item's count in an inventory up to 10^15. ``resolve`` checks the products of a job
    (``JobTooLarge``) before any arithmetic that could overflow, so any recipe or grant, even
    one stored before the bounds, refuses a start rather than breaking it; an output that would
    overfill a stack fails its job (``StackFull``, reason ``inventory_full``).
"""

from domain.crafting.errors import (
    CorruptState,
    CraftingError,
    DuplicateRecipe,
    InsufficientItems,
    InvalidCommand,
    InvalidModifiers,
    InvalidRecipe,
    InventoryError,
    InventoryFull,
    JobTooLarge,
    StackFull,
    UnknownInventory,
    UnknownJob,
    UnknownRecipe,
)
from domain.crafting.events import (
    CraftCancelled,
    CraftCompleted,
    CraftEvent,
    CraftFailed,
    CraftProgress,
    CraftRecord,
    CraftStarted,
    EventBus,
    QueueEventBus,
    Subscription,
    decode_records,
    encode_records,
)
from domain.crafting.inventory import InMemoryInventories, InventoryProvider
from domain.crafting.jobs import CraftJobInfo, CraftJobState, RefundPolicy, make_job_id, parse_job_id
from domain.crafting.manager import Manager
from domain.crafting.manager_registry import ManagerRegistry
from domain.crafting.modifiers import IDENTITY, Modifiers, ModifierSource, ResolvedRecipe, combine_all, resolve
from domain.crafting.recipes import CraftRecipe, ItemRequirement, ItemStack, ItemYield, RecipeRegistry, validate_recipe

__all__ = [
    "IDENTITY",
    "CorruptState",
    "CraftingError",
    "DuplicateRecipe",
    "EventBus",
    "InMemoryInventories",
    "InsufficientItems",
    "InvalidCommand",
    "InvalidModifiers",
    "InvalidRecipe",
    "InventoryError",
    "InventoryFull",
    "InventoryProvider",
    "ItemRequirement",
    "ItemStack",
    "ItemYield",
    "CraftCancelled",
    "CraftCompleted",
    "CraftEvent",
    "CraftFailed",
    "CraftJobInfo",
    "CraftProgress",
    "CraftRecord",
    "CraftStarted",
    "CraftJobState",
    "JobTooLarge",
    "Manager",
    "ManagerRegistry",
    "ModifierSource",
    "Modifiers",
    "QueueEventBus",
    "CraftRecipe",
    "RecipeRegistry",
    "RefundPolicy",
    "ResolvedRecipe",
    "StackFull",
    "Subscription",
    "UnknownInventory",
    "UnknownJob",
    "UnknownRecipe",
    "combine_all",
    "decode_records",
    "encode_records",
    "make_job_id",
    "parse_job_id",
    "resolve",
    "validate_recipe",
]
