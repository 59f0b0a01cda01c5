"""The serialized form of a manager: msgpack, compact, versioned.

Jobs point into a table of resolved recipes instead of repeating them, and are arrays rather
than maps, so a thousand jobs of a few recipes serialize to a few dozen bytes each. Seeds are
not stored: they follow from the world seed, the manager id and each job's sequence number,
and ``Manager.deserialize`` refuses state saved under another world seed or manager id.
"""

from __future__ import annotations

from typing import Any

import msgspec

from domain.crafting.modifiers import ResolvedRecipe

SNAPSHOT_FORMAT = 1


class SavedJob(msgspec.Struct, array_like=True, frozen=True):
    """One running job; ``plan`` indexes ``ManagerSnapshot.plans``."""

    seq: int
    plan: int
    owner: str
    inventory_id: str
    start: float
    end: float
    cycles: int
    repeat: bool
    context: dict[str, Any] | None = None


class ManagerSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a manager needs to carry on: its jobs, the next job number and the last update time."""

    format: int = SNAPSHOT_FORMAT
    manager_id: str
    world_seed: int
    next_seq: int
    last_update: float | None
    plans: list[ResolvedRecipe]
    jobs: list[SavedJob]


encoder = msgspec.msgpack.Encoder()
decoder = msgspec.msgpack.Decoder(ManagerSnapshot)
