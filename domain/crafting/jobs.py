"""Jobs: the plan jobs share, a job as one object, and the read-only view a manager hands out.

A manager may hold a thousand jobs and a process a million, so a manager keeps its running
jobs as columns (``running``), not as objects, and everything jobs of one recipe share (the
resolved recipe, what it consumes, its certain outputs) lives in one ``CraftPlan`` they all
point to. The seed and the job id are not stored: both follow from the manager and the job's
sequence number. Finished jobs are dropped at once; their records are the history.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

from domain.crafting.modifiers import Modifiers, ResolvedRecipe
from domain.crafting.recipes import ItemRequirement, ItemStack, ItemYield
from domain.crafting.rolls import roll_outputs

JOB_ID_SEPARATOR = "#"


class CraftJobState(enum.IntEnum):
    """Where a job is in its life; only RUNNING jobs are held by a manager."""

    RUNNING = 1
    COMPLETE = 2
    FAILED = 3
    CANCELLED = 4


class RefundPolicy(enum.StrEnum):
    """What a cancel gives back of the inputs consumed for the current cycle (tools were never taken)."""

    FULL = "full"
    PROPORTIONAL = "proportional"  # each quantity times the fraction of time left, rounded down
    NONE = "none"


class CraftPlan:
    """What every job of one resolved recipe shares, computed once instead of per job or per completion."""

    __slots__ = ("certain", "consumed", "resolved")

    def __init__(self, resolved: ResolvedRecipe) -> None:
        self.resolved = resolved
        self.consumed: tuple[ItemStack, ...] = tuple(
            ItemStack(req.item, req.quantity) for req in resolved.inputs if req.consume
        )
        certain = all(output.probability >= 1.0 for output in resolved.outputs)
        self.certain: tuple[ItemStack, ...] | None = roll_outputs(resolved.outputs, 0, 0) if certain else None


class CraftJob(msgspec.Struct, gc=False):
    """One running job as a single object: what a manager's columns (see ``running``) hold per job.

    A manager keeps no such objects; it builds them to restore, load or look at its jobs.
    """

    end: float
    seq: int
    plan: CraftPlan
    owner: str
    inventory_id: str
    start: float
    cycles: int
    repeat: bool
    context: dict[str, Any] | None

    def progress(self, now: float) -> float:
        """The fraction of the current cycle done at ``now``, in [0, 1]."""
        return cycle_progress(self.start, self.end, now)


class CraftJobInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of one running job for callers (UI, queries); changing it changes nothing."""

    job_id: str
    manager_id: str
    recipe_id: str
    owner: str
    inventory_id: str
    state: CraftJobState
    start: float
    end: float
    duration: float
    repeat: bool
    cycles_completed: int
    seed: int
    modifiers: Modifiers
    inputs: tuple[ItemRequirement, ...]
    outputs: tuple[ItemYield, ...]
    consumed: tuple[ItemStack, ...]
    context: dict[str, Any] | None

    def progress(self, now: float) -> float:
        """The fraction of the current cycle done at ``now``, in [0, 1]."""
        return cycle_progress(self.start, self.end, now)


def cycle_progress(start: float, end: float, now: float) -> float:
    """The fraction of a cycle from ``start`` to ``end`` done at ``now``, in [0, 1]."""
    span = end - start
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (now - start) / span))


def make_job_id(manager_id: str, seq: int) -> str:
    """A job id: the manager id and the job's sequence number, so the id alone finds the manager."""
    return f"{manager_id}{JOB_ID_SEPARATOR}{seq}"


def parse_job_id(job_id: str) -> tuple[str, int] | None:
    """(manager id, sequence number) of a job id, or None if it is not one."""
    manager_id, separator, seq = job_id.rpartition(JOB_ID_SEPARATOR)
    if not separator or not manager_id or not (0 < len(seq) <= 20 and seq.isascii() and seq.isdigit()):
        return None
    if seq != str(int(seq)):
        return None  # only the canonical spelling names a job: "m#01" is not "m#1"
    return manager_id, int(seq)
