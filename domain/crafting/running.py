"""The running jobs of one manager, held as columns instead of one object per job.

A process may hold a million running jobs, and a Python object costs a header, a pointer to
it and boxes for its numbers; one object per job came to about 200 bytes. Here a job is a
*slot*: its position in a few typed arrays (start time, sequence number, cycles completed, and
two-byte indexes into this manager's tables of plans and of (owner, inventory) pairs), plus one
Python int in the heap: under 90 bytes in all, 56 of them the heap's.
What few jobs have lives in sparse maps by sequence number: a caller's ``context``, and an end
time that is not ``start + duration`` (only restored state can carry one). A count of running
jobs per owner (an entry per owner, not per job) lets a query skip to a page of an owner's jobs
and say how many there are without reading them.

The heap key is one int, ``end << 96 | seq << 32 | slot``, with ``end`` mapped to an int that
sorts as the float does (``job_key``), so ``heapq`` orders jobs by (end time, sequence number)
comparing ints in C, and a popped key names its slot directly.

Slots are appended in sequence order and never reused, so the ``seqs`` column stays sorted
(a job is found by bisection) and slot order is job age. A finished job's slot is marked dead
(cycles −1) and its heap key, if still there, is dropped when popped; once dead slots
outnumber live ones, ``compact`` rebuilds the columns and the heap in O(n), so the space and
the time per job stay bounded whatever the churn.
"""

from __future__ import annotations

import math
import struct
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from heapq import heapify, heappop, heappush
from itertools import accumulate, compress
from typing import Any, Generic, TypeVar

from domain.crafting.jobs import CraftJob, CraftPlan

SEQ_LIMIT = 1 << 63  # job numbers live in a signed 64-bit column
T = TypeVar("T")
Due = tuple[int, int, CraftPlan, str, str, float, int, bool]
"""A due job: slot, seq, plan, owner, inventory id, end time, cycles done, repeat."""

_SLOT_BITS = 32
_SLOT_MASK = (1 << _SLOT_BITS) - 1
_END_SHIFT = 64 + _SLOT_BITS
_NAN_END = 1 << 64
_SEQ_MAX = (1 << 64) - 1
_INT32_MAX = (1 << 31) - 1
_COMPACT_MIN_DEAD = 64
_TABLE_SLACK = 64

_double = struct.Struct("<d")
_pack_key = struct.Struct("<IQd").pack  # slot, seq, end, little-endian: the end is the high bits
_from_bytes = int.from_bytes


def job_key(end: float, seq: int, slot: int) -> int:
    """The heap key of a job: ints that order as (end, seq), the slot in the low 32 bits.

    A non-negative double orders like its bit pattern, so its key is the bytes of (slot, seq,
    end) read as one little-endian int; a negative end gets the negated pattern of its
    magnitude (more negative, smaller key), and NaN sorts after everything (never due).
    """
    end += 0.0  # -0.0 is 0.0
    if end >= 0.0:
        return _from_bytes(_pack_key(slot, seq, end), "little")
    low = seq << _SLOT_BITS | slot
    if end < 0.0:
        return -_from_bytes(_double.pack(-end), "little") << _END_SHIFT | low
    return _NAN_END << _END_SHIFT | low


def key_end(key: int) -> float:
    """The end time of a heap key (the inverse of ``job_key``)."""
    high = key >> _END_SHIFT
    if high >= _NAN_END:
        return math.nan
    end: float = _double.unpack(abs(high).to_bytes(8, "little"))[0]
    return end if high >= 0 else -end


def due_limit(now: float) -> int:
    """The largest heap key of a job due by ``now``."""
    return job_key(now, _SEQ_MAX, _SLOT_MASK)


class Table(Generic[T]):
    """Distinct values of one field (plans, holders) and a column of indexes into them.

    The column starts at two bytes an entry and widens to four once the table passes 65,536
    values; unused values are dropped when the jobs compact.
    """

    __slots__ = ("column", "flag", "index", "values")

    def __init__(self, *, flag: bool = False) -> None:
        self.values: list[T] = []
        self.index: dict[T, int] = {}
        self.column = array("H")
        self.flag = int(flag)  # 1: the column holds ``index << 1 | a flag of the job``

    def add(self, value: T) -> int:
        """Add a new ``value`` to the table (widening the column if need be); its index."""
        index = self.index[value] = len(self.values)
        self.values.append(value)
        if index << self.flag > 0xFFFF and self.column.typecode == "H":
            self.column = array("I", self.column)
        return index

    def keep(self, keep: list[bool], live: int) -> None:
        """Keep the entries of the column ``keep`` marks; drop unused values if they outnumber ``live``."""
        column = array(self.column.typecode, compress(self.column, keep))
        if len(self.values) > live + _TABLE_SLACK:
            flag = self.flag
            used = sorted({entry >> flag for entry in column})
            renumber = {old: new for new, old in enumerate(used)}
            self.values = [self.values[old] for old in used]
            self.index = {value: new for new, value in enumerate(self.values)}
            entries = (renumber[entry >> flag] << flag | entry & flag for entry in column)
            column = array("H" if len(used) << flag <= 0x10000 else "I", entries)
        self.column = column


class RunningJobs:
    """The columns, the heap and the tables of one manager's running jobs.

    Not thread-safe: the manager calls it under its lock. Slots are valid until the next
    ``compact``, which only the manager triggers (``compact_if_sparse``), never mid-update;
    columns may be replaced (widened) by any change, so callers do not keep them.
    """

    __slots__ = (
        "contexts",
        "cycles",
        "heap",
        "holders",
        "live",
        "next_end",
        "odd_ends",
        "owners",
        "plans",
        "seqs",
        "starts",
    )

    def __init__(self) -> None:
        self.starts = array("d")
        self.seqs = array("q")
        self.cycles = array("i")  # −1 marks a dead slot; widens to 64 bits past 2**31 − 1 cycles
        self.plans: Table[CraftPlan] = Table(flag=True)  # column: index << 1 | repeat
        self.holders: Table[tuple[str, str]] = Table()  # (owner, inventory id)
        self.heap: list[int] = []
        self.contexts: dict[int, dict[str, Any]] = {}
        self.odd_ends: dict[int, float] = {}
        self.owners: dict[str, int] = {}  # running jobs per owner
        self.live = 0
        self.next_end = float("inf")  # end of the heap top (maybe of a dead job): the idle check

    # -- changes --------------------------------------------------------------------------

    def add(
        self,
        seq: int,
        plan: CraftPlan,
        owner: str,
        inventory_id: str,
        start: float,
        end: float,
        repeat: bool,
        context: dict[str, Any] | None,
    ) -> None:
        """Hold a new job (no cycle done, ending at ``end``, which is ``start + duration`` unless
        ``odd_ends`` says otherwise); its ``seq`` must be above every held one, so slots stay in
        sequence order."""
        slot = len(self.seqs)
        self.cycles.append(0)
        self.seqs.append(seq)
        self.starts.append(start)
        plans, holders = self.plans, self.holders
        index = plans.index.get(plan)
        if index is None:
            index = plans.add(plan)  # first, as it may replace the column with a wider one
        plans.column.append(index << 1 | repeat)
        holder = (owner, inventory_id)
        index = holders.index.get(holder)
        if index is None:
            index = holders.add(holder)
        holders.column.append(index)
        if context is not None:
            self.contexts[seq] = context
        heappush(self.heap, _from_bytes(_pack_key(slot, seq, end), "little") if end > 0.0 else job_key(end, seq, slot))
        if end < self.next_end:
            self.next_end = end
        self.live += 1
        self.owners[owner] = self.owners.get(owner, 0) + 1

    def set_cycles(self, slot: int, cycles: int) -> None:
        """Set (or, at the end of the column, append) the cycle count of ``slot``."""
        if cycles > _INT32_MAX and self.cycles.typecode == "i":
            self.cycles = array("q", self.cycles)
        if slot == len(self.cycles):
            self.cycles.append(cycles)
        else:
            self.cycles[slot] = cycles

    def reschedule(self, slot: int, start: float, end: float) -> None:
        """Start the next cycle of the (just popped) job in ``slot``: ``end`` is ``start + duration``."""
        self.starts[slot] = start
        seq = self.seqs[slot]
        if self.odd_ends:
            self.odd_ends.pop(seq, None)
        heappush(self.heap, _from_bytes(_pack_key(slot, seq, end), "little") if end > 0.0 else job_key(end, seq, slot))

    def remove(self, slot: int) -> None:
        """Mark the job in ``slot`` finished; its heap key, if any, is skipped when popped."""
        self.cycles[slot] = -1
        self.live -= 1
        owner = self.owner_of(slot)
        left = self.owners[owner] - 1
        if left:
            self.owners[owner] = left
        else:
            del self.owners[owner]
        if self.contexts or self.odd_ends:
            seq = self.seqs[slot]
            self.contexts.pop(seq, None)
            self.odd_ends.pop(seq, None)

    def pop_due(self, limit: int) -> Due | None:
        """Pop the next running job with a key up to ``limit`` (see ``due_limit``), or None."""
        heap, cycles = self.heap, self.cycles
        while heap and heap[0] <= limit:
            key = heappop(heap)
            slot = key & _SLOT_MASK
            done = cycles[slot]
            if done >= 0:
                seq = key >> _SLOT_BITS & _SEQ_MAX
                entry = self.plans.column[slot]
                plan = self.plans.values[entry >> 1]
                end = self.odd_ends.get(seq) if self.odd_ends else None
                owner, inventory_id = self.holders.values[self.holders.column[slot]]
                return (
                    slot,
                    seq,
                    plan,
                    owner,
                    inventory_id,
                    self.starts[slot] + plan.resolved.duration if end is None else end,
                    done,
                    entry & 1 == 1,
                )
        return None

    def settle(self) -> float | None:
        """Drop dead keys from the heap top; the end time of the next running job, or None."""
        heap, cycles = self.heap, self.cycles
        while heap and cycles[heap[0] & _SLOT_MASK] < 0:
            heappop(heap)
        self.next_end = key_end(heap[0]) if heap else float("inf")
        return self.next_end if heap else None

    def compact_if_sparse(self) -> None:
        """Compact once dead slots outnumber live ones."""
        dead = len(self.seqs) - self.live
        if dead > _COMPACT_MIN_DEAD and dead > self.live:
            self.compact()

    def compact(self) -> None:
        """Drop dead slots, their heap keys and unused table values; renumber the slots in order. O(n)."""
        keep = [cycles >= 0 for cycles in self.cycles]
        new_slot = list(accumulate(keep))  # 1 + the new slot of each kept one
        self.starts = array("d", compress(self.starts, keep))
        self.seqs = array("q", compress(self.seqs, keep))
        self.cycles = array(self.cycles.typecode, compress(self.cycles, keep))
        for table in (self.plans, self.holders):
            table.keep(keep, self.live)
        self.heap = [
            key - slot + new_slot[slot] - 1 for key in self.heap if keep[slot := key & _SLOT_MASK]
        ]  # keys keep their order: the slot bits never decide between two jobs
        heapify(self.heap)
        self.settle()

    # -- reads ----------------------------------------------------------------------------

    def find(self, seq: int) -> int:
        """The slot of running job ``seq``, or −1 (a bisection of the sorted ``seqs`` column)."""
        seqs = self.seqs
        slot = bisect_left(seqs, seq)
        if slot < len(seqs) and seqs[slot] == seq and self.cycles[slot] >= 0:
            return slot
        return -1

    def slots(self, owner: str | None = None) -> Iterator[int]:
        """The slots of running jobs (of ``owner`` only, unless None), oldest first."""
        live = (slot for slot, cycles in enumerate(self.cycles) if cycles >= 0)
        if owner is None:
            return live
        return (slot for slot in live if self.owner_of(slot) == owner)

    def count(self, owner: str | None = None) -> int:
        """How many jobs are running (of ``owner`` only, unless None)."""
        return self.live if owner is None else self.owners.get(owner, 0)

    def fields(self, slot: int) -> tuple[CraftPlan, bool, str, str]:
        """(plan, repeat, owner, inventory id) of the job in ``slot``."""
        entry = self.plans.column[slot]
        owner, inventory_id = self.holders.values[self.holders.column[slot]]
        return self.plans.values[entry >> 1], entry & 1 == 1, owner, inventory_id

    def owner_of(self, slot: int) -> str:
        return self.holders.values[self.holders.column[slot]][0]

    def end_of(self, slot: int, plan: CraftPlan) -> float:
        """The end time of the current cycle of the job in ``slot`` (whose plan is ``plan``)."""
        if self.odd_ends:
            end = self.odd_ends.get(self.seqs[slot])
            if end is not None:
                return end
        return self.starts[slot] + plan.resolved.duration

    def job(self, slot: int) -> CraftJob:
        """The job in ``slot`` as one object (a copy: changing it changes nothing here)."""
        plan, repeat, owner, inventory_id = self.fields(slot)
        seq = self.seqs[slot]
        return CraftJob(
            self.end_of(slot, plan),
            seq,
            plan,
            owner,
            inventory_id,
            self.starts[slot],
            self.cycles[slot],
            repeat,
            self.contexts.get(seq),
        )


def held(jobs: list[CraftJob]) -> RunningJobs:
    """Columns holding ``jobs`` (in sequence order, numbers from 0 to below ``SEQ_LIMIT``)."""
    running = RunningJobs()
    for slot, job in enumerate(jobs):
        running.add(job.seq, job.plan, job.owner, job.inventory_id, job.start, job.end, job.repeat, job.context)
        if job.cycles:
            running.set_cycles(slot, job.cycles)
        if job.start + job.plan.resolved.duration != job.end:
            running.odd_ends[job.seq] = job.end
    return running
