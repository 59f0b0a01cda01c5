"""The names the game gives to places inside a user's assets, which the static data cannot:
containers a player named (a station container, a ship) and Upwell structures (player-built,
so absent from the map). The EVE sync reports what it read; only what differs from what was
known is recorded, so a sync that finds the same names records nothing.

A name is never forgotten because the game stopped answering it: a structure whose docking
access was lost still bears its name. A structure the user never had access to is never
recorded, so it stays an id without a name.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.events import CommandMeta, Event

_NAMES_NAMESPACE = UUID("7c0e5a92-41d3-4b6f-a8e1-3f9d2b6c4e17")


def asset_names_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_NAMES_NAMESPACE, str(owner_id))


class ContainerName(msgspec.Struct, frozen=True, array_like=True):
    item_id: int
    name: str


class StructureName(msgspec.Struct, frozen=True, array_like=True):
    structure_id: int
    name: str
    solar_system_id: int


class AssetNames(Aggregate):
    containers: dict[int, str]  # item id -> name
    structures: dict[int, StructureName]

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> AssetNames:
        return cls._create(AssetNamesOpened, asset_names_id(owner_id), meta=meta, owner_id=owner_id)

    def seen(self, containers: Mapping[int, str], structures: Iterable[StructureName], meta: CommandMeta) -> int:
        """Names the game answered now; how many differ from the known ones (and are recorded)."""
        renamed = tuple(
            ContainerName(item_id, name)
            for item_id, name in sorted(containers.items())
            if self.containers.get(item_id) != name
        )
        moved = tuple(
            structure
            for structure in sorted(structures, key=lambda s: s.structure_id)
            if self.structures.get(structure.structure_id) != structure
        )
        if renamed or moved:
            self._record(AssetNamesSeen, meta=meta, containers=renamed, structures=moved)
        return len(renamed) + len(moved)


class AssetNamesOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> AssetNames:
        names = AssetNames(self.originator_id, self.owner_id, self.timestamp)
        names.containers = {}
        names.structures = {}
        return names


class AssetNamesSeen(Event, frozen=True):
    containers: tuple[ContainerName, ...] = ()
    structures: tuple[StructureName, ...] = ()

    def apply(self, aggregate: AssetNames) -> AssetNames:
        aggregate.containers.update((c.item_id, c.name) for c in self.containers)
        aggregate.structures.update((s.structure_id, s) for s in self.structures)
        return aggregate
