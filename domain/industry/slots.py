"""Job slots: how many jobs a character can run at once per activity group, and which are busy.

EVE counts slots in three groups: manufacturing, science (research, copying, invention) and
reactions; each character has 1 + its two slot skills' levels in each (``Character.slots``).
A slot is busy from the moment a job starts until it is delivered, not until its end date:
a finished job that nobody delivered still holds its slot ("ready", as ESI keeps reporting it
active). So a busy slot's ``until`` is when it *could* free (the job's end), which is the
earliest a new job can start there if the player delivers at once.
"""

from __future__ import annotations

from collections.abc import Iterable
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
