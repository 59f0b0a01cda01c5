"""Job slots: how many jobs a character can run at once per activity group, and which are busy.

EVE counts slots in three groups: manufacturing, science (research, copying, invention) and
reactions; each character has 1 + its two slot skills' levels in each (``Character.slots``).
A slot is busy from the moment a job starts until it is delivered, not until its end date:
a finished job that nobody delivered still holds its slot ("ready", as ESI keeps reporting it
active). So a busy slot's ``until`` is when it *could* free (the job's end), which is the
earliest a new job can start there if the player delivers at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

import msgspec

from domain.catalog.model import ActivityKind

SlotGroup = Literal["manufacturing", "science", "reactions"]
SLOT_GROUPS: tuple[SlotGroup, ...] = ("manufacturing", "science", "reactions")


def slot_group(activity: ActivityKind) -> SlotGroup:
    """The slot group a job of this activity takes."""
    if activity is ActivityKind.MANUFACTURING:
        return "manufacturing"
    if activity is ActivityKind.REACTION:
        return "reactions"
    return "science"


class BusySlot(msgspec.Struct, frozen=True, kw_only=True):
    """One slot a running (or finished, undelivered) job holds."""

    character_id: int
    group: SlotGroup
    until: datetime | None  # the job's end; None when unknown (started here without a duration)


def busy_count(busy: Iterable[BusySlot], character_id: int, group: SlotGroup) -> int:
    return sum(1 for slot in busy if slot.character_id == character_id and slot.group == group)


class SlotUsage(msgspec.Struct, frozen=True, kw_only=True):
    """One character's slots of one group: how many its skills give, how many are busy, how
    many are free, and when the next busy one could free."""

    total: int
    busy: int
    free: int  # never negative: after a skill loss the game can report more busy than the skills give
    next_free_at: datetime | None  # None while one is free, or when no busy job's end is known


class BusyUse(msgspec.Struct, frozen=True, kw_only=True):
    """One character's busy slots of one group, counted: how many, and the earliest known end
    among them (None: none known)."""

    count: int = 0
    earliest_end: datetime | None = None

    def plus(self, count: int, earliest_end: datetime | None) -> BusyUse:
        """With ``count`` more, the earliest of which ends at ``earliest_end``."""
        ends = [end for end in (self.earliest_end, earliest_end) if end is not None]
        return BusyUse(count=self.count + count, earliest_end=min(ends, default=None))

    def of(self, total: int) -> SlotUsage:
        """The usage of ``total`` slots with these busy: the next to free only while none is."""
        free = max(0, total - self.count)
        return SlotUsage(total=total, busy=self.count, free=free, next_free_at=None if free else self.earliest_end)


def slot_usage(character_id: int, group: SlotGroup, total: int, busy: Sequence[BusySlot]) -> SlotUsage:
    """The character's ``total`` slots of ``group``, given every busy slot of its owner."""
    use = BusyUse()
    for slot in busy:
        if slot.character_id == character_id and slot.group == group:
            use = use.plus(1, slot.until)
    return use.of(total)
