"""A user's blueprint library: the originals (BPO) and copies (BPC) their characters and
corporations hold, with the ME/TE and runs left that plans build with.

The game reports each holder's (a character's or a corporation's) blueprints as a whole set;
a sync replaces that holder's reported set and records only what changed (nothing when
nothing did). Blueprints the game cannot report are added by hand; they get negative ids, so
they never take a game item id (always positive), and only they can be removed by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Literal
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.events import CommandMeta, Event
from domain.limits import GameId

_LIBRARY_NAMESPACE = UUID("5c0f8a1e-2d47-4b93-a6e1-3f9b7c2d8e40")
MAX_COPY_RUNS = 1_000_000

BlueprintKind = Literal["bpo", "bpc"]
HolderKind = Literal["character", "corporation"]
BlueprintSource = Literal["esi", "manual"]


def library_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_LIBRARY_NAMESPACE, str(owner_id))


class Holder(msgspec.Struct, frozen=True, kw_only=True):
    """Who holds a blueprint in the game: a character or a corporation."""

    kind: HolderKind
    id: int


class OwnedBlueprint(msgspec.Struct, frozen=True, kw_only=True):
    blueprint_id: int  # the game's item id; negative for one added by hand
    type_id: int
    kind: BlueprintKind
    material_efficiency: int
    time_efficiency: int
    runs: int | None  # runs left on a copy; None for an original
    quantity: int  # originals in a stack (1 for a single original or a copy)
    location_id: int
    holder_kind: HolderKind
    holder_id: int
    source: BlueprintSource

    @property
    def holder(self) -> Holder:
        return Holder(kind=self.holder_kind, id=self.holder_id)


class BlueprintEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A blueprint added by hand: what the game would report, without an item id."""

    type_id: GameId
    kind: BlueprintKind
    material_efficiency: int = 0
    time_efficiency: int = 0
    runs: int | None = None  # required for a copy, refused for an original
    quantity: int = 1
    location_id: GameId
    holder_kind: HolderKind
    holder_id: GameId

    def validated(self) -> BlueprintEntry:
        if not 0 <= self.material_efficiency <= 10:
            raise InvalidInput("materialEfficiency must be 0-10", "material_efficiency")
        if not 0 <= self.time_efficiency <= 20 or self.time_efficiency % 2:
            raise InvalidInput("timeEfficiency must be an even number 0-20", "time_efficiency")
        if self.kind == "bpc" and (self.runs is None or not 1 <= self.runs <= MAX_COPY_RUNS):
            raise InvalidInput(f"a copy's runs must be 1 to {MAX_COPY_RUNS:,}", "runs")
        if self.kind == "bpo" and self.runs is not None:
            raise InvalidInput("an original has no runs (leave runs out)", "runs")
        if not 1 <= self.quantity <= (1 if self.kind == "bpc" else 1_000_000):
            raise InvalidInput("quantity must be 1 for a copy and 1 to 1,000,000 for originals", "quantity")
        return self


class BlueprintLibrary(Aggregate):
    blueprints: dict[int, OwnedBlueprint]
    last_manual_id: int  # the last id given to a blueprint added by hand (0, -1, -2, ...)

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> BlueprintLibrary:
        return cls._create(
            BlueprintLibraryOpened,
            library_id(owner_id),
            meta=meta,
            owner_id=owner_id,
        )

    def replace_reported(self, holder: Holder, reported: Iterable[OwnedBlueprint], meta: CommandMeta) -> int:
        """Make the holder's blueprints from the game equal what it reports now; records one
        event of what was added, changed and removed (none when nothing did), and returns how
        many blueprints that was. Blueprints added by hand are left alone."""
        incoming: dict[int, OwnedBlueprint] = {}
        for blueprint in reported:
            if blueprint.source != "esi" or blueprint.holder != holder or blueprint.blueprint_id < 1:
                raise InvalidInput(f"blueprint {blueprint.blueprint_id} is not one the game reports for {holder}")
            incoming[blueprint.blueprint_id] = blueprint
        held = {
            item: blueprint
            for item, blueprint in self.blueprints.items()
            if blueprint.source == "esi" and blueprint.holder == holder
        }
        added = tuple(incoming[item] for item in sorted(incoming.keys() - held.keys()))
        changed = tuple(
            incoming[item] for item in sorted(incoming.keys() & held.keys()) if incoming[item] != held[item]
        )
        # An item the game moved from another holder of this user is a change, not an addition.
        moved = tuple(blueprint for blueprint in added if blueprint.blueprint_id in self.blueprints)
        added = tuple(blueprint for blueprint in added if blueprint.blueprint_id not in self.blueprints)
        removed = tuple(sorted(held.keys() - incoming.keys()))
        if added or changed or moved or removed:
            self._record(BlueprintsChanged, meta=meta, added=added, changed=changed + moved, removed=removed)
        return len(added) + len(changed) + len(moved) + len(removed)

    def add_by_hand(self, entry: BlueprintEntry, meta: CommandMeta) -> OwnedBlueprint:
        entry = entry.validated()
        blueprint = OwnedBlueprint(
            blueprint_id=self.last_manual_id - 1,
            source="manual",
            **msgspec.structs.asdict(entry),
        )
        self._record(BlueprintsChanged, meta=meta, added=(blueprint,), changed=(), removed=())
        return blueprint

    def remove_by_hand(self, blueprint_id: int, meta: CommandMeta) -> None:
        blueprint = self.blueprints.get(blueprint_id)
        if blueprint is None:
            raise NotFound(f"blueprint {blueprint_id} not found", "blueprint_id")
        if blueprint.source != "manual":
            raise RuleViolation(
                f"blueprint {blueprint_id} is reported by the game; it goes when the game no longer reports it",
                "blueprint_id",
            )
        self._record(BlueprintsChanged, meta=meta, added=(), changed=(), removed=(blueprint_id,))

    def of_type(self, type_id: int) -> list[OwnedBlueprint]:
        return [blueprint for blueprint in self.blueprints.values() if blueprint.type_id == type_id]

    def state(self) -> list[OwnedBlueprint]:
        return [self.blueprints[item] for item in sorted(self.blueprints)]


class BlueprintLibraryOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> BlueprintLibrary:
        library = BlueprintLibrary(self.originator_id, self.owner_id, self.timestamp)
        library.blueprints = {}
        library.last_manual_id = 0
        return library


class BlueprintsChanged(Event, frozen=True):
    """Blueprints added, changed (new ME/TE, runs, location or holder) or removed, from a sync
    of the game or by hand (each blueprint says its source)."""

    added: tuple[OwnedBlueprint, ...]
    changed: tuple[OwnedBlueprint, ...]
    removed: tuple[int, ...]

    def apply(self, aggregate: BlueprintLibrary) -> BlueprintLibrary:
        for item in self.removed:
            aggregate.blueprints.pop(item, None)
        for blueprint in (*self.added, *self.changed):
            aggregate.blueprints[blueprint.blueprint_id] = blueprint
            aggregate.last_manual_id = min(aggregate.last_manual_id, blueprint.blueprint_id)
        return aggregate
