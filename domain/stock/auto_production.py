"""The auto-production runner's decisions, free of I/O (the spec's runner logic, steps 2-3).

Markers with auto-production enabled and a linked plan are grouped by (user, plan); their
gross deficits are summed, the plan's pending output (planned and active jobs) is
subtracted, and only a positive net deficit triggers a run, with the largest parallelism of
the group. The cooldown (step 3d) is checked on the plan itself when the run is recorded,
so two runners cannot both pass it.
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


def triggers(markers: Iterable[MarkerDeficit], pending: Mapping[UUID, int]) -> tuple[list[Trigger], list[Trigger]]:
    """(groups to produce for, groups skipped because pending output covers them)."""
    groups: dict[tuple[UUID, UUID], list[MarkerDeficit]] = defaultdict(list)
    for marker in markers:
        groups[(marker.owner_id, marker.plan_id)].append(marker)
    produce, covered = [], []
    for (owner, plan), members in sorted(groups.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))):
        gross = sum(m.deficit for m in members)
        waiting = pending.get(plan, 0)
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
