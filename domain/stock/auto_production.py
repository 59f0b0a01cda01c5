"""The auto-production runner's decisions, free of I/O (the spec's runner logic, steps 2-3).

Markers with auto-production enabled and a linked plan are grouped by (user, plan); their
gross deficits are summed, the pending output for them is subtracted, and only a positive
net deficit triggers a run, with the largest parallelism of the group.

Pending output is what the user's planned and active jobs making a marker's item will
deliver, whatever queued them: a run, a run since deleted, or a hand. A job at a station
where an auto-production marker of its item is counts toward that marker's group. Any other
job of the item (no station yet, or a station no marker names, e.g. a plan building at a
factory and hauling to the marker's hub) is output on its way to wherever the item is wanted:
it fills the deficits the located jobs leave open, group by group (in the groups' order), but
only once. Counting it at every location would hide real deficits; counting it nowhere would
build its output a second time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from uuid import UUID

import msgspec


class MarkerDeficit(msgspec.Struct, frozen=True, kw_only=True):
    marker_id: UUID
    owner_id: UUID
    plan_id: UUID
    type_id: int
    location_id: int
    deficit: int  # desired minus held, never negative
    parallelism: int


class Trigger(msgspec.Struct, frozen=True, kw_only=True):
    owner_id: UUID
    plan_id: UUID
    marker_ids: tuple[UUID, ...]
    gross_deficit: int
    pending_output: int
    net_deficit: int
    parallelism: int  # the largest of the group's (0 = unlimited wins)


def _largest(parallelisms: Iterable[int]) -> int:
    values = list(parallelisms)
    return 0 if 0 in values else max(values)


PendingKey = tuple[UUID, int, int | None]  # (user, item, station; None = no station)


def triggers(
    markers: Iterable[MarkerDeficit], pending: Mapping[PendingKey, int]
) -> tuple[list[Trigger], list[Trigger]]:
    """(groups to produce for, groups skipped because pending output covers them)."""
    markers = list(markers)
    groups: dict[tuple[UUID, UUID], list[MarkerDeficit]] = defaultdict(list)
    for marker in markers:
        groups[(marker.owner_id, marker.plan_id)].append(marker)
    wanted_at = {(m.owner_id, m.type_id, m.location_id) for m in markers}
    elsewhere: dict[tuple[UUID, int], int] = defaultdict(int)  # output no marker's location claims
    for (owner, item, station), units in pending.items():
        if (owner, item, station) not in wanted_at:
            elsewhere[(owner, item)] += units
    produce: list[Trigger] = []
    covered: list[Trigger] = []
    for (owner, plan), members in sorted(groups.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))):
        gross = sum(m.deficit for m in members)
        waiting = sum(pending.get(key, 0) for key in {(owner, m.type_id, m.location_id) for m in members})
        for item in sorted({m.type_id for m in members}):
            used = min(elsewhere[(owner, item)], max(gross - waiting, 0))
            elsewhere[(owner, item)] -= used
            waiting += used
        trigger = Trigger(
            owner_id=owner,
            plan_id=plan,
            marker_ids=tuple(sorted((m.marker_id for m in members), key=str)),
            gross_deficit=gross,
            pending_output=waiting,
            net_deficit=gross - waiting,
            parallelism=_largest(m.parallelism for m in members),
        )
        (produce if trigger.net_deficit > 0 else covered).append(trigger)
    return produce, covered
