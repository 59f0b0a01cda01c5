"""The production manager: one independent set of jobs with a min-heap on end time.

The application decides how many managers exist (per chunk, building, region...) and when
each is updated; managers share the recipe registry, the inventory provider and the bus but
nothing else, so they never contend with each other.

Determinism. Time is always passed in (``now``, float seconds on any clock the caller keeps)
and never read here. A completion happens at the job's end time, not at the ``now`` of the
update that noticed it, and a repeating job's next cycle starts at the previous end time, so
how often ``update`` is called never changes the world: one update after an hour gives the
same records as one update per frame. Due jobs are processed in (end time, sequence) order.
Rolls come from ``rolls`` (seeded per job). Same calls in the same order: same records.

Thread safety. Every method that reads or changes jobs takes the manager's lock (counting
needs none). The inventory provider is called under it, which makes start-and-consume and
cancel-and-refund single steps an update can never observe half done; modifier sources are
asked before it is taken.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

import msgspec

from domain.crafting.errors import (
    CorruptState,
    InvalidCommand,
    InventoryFull,
    UnknownInventory,
    UnknownJob,
)
from domain.crafting.events import (
    CraftCancelled,
    CraftCompleted,
    CraftEvent,
    CraftFailed,
    CraftProgress,
    CraftStarted,
    EventBus,
)
from domain.crafting.inventory import InventoryProvider
from domain.crafting.jobs import (
    CraftJob,
    CraftJobInfo,
    CraftJobState,
    CraftPlan,
    RefundPolicy,
    cycle_progress,
    parse_job_id,
)
from domain.crafting.modifiers import IDENTITY, Modifiers, ModifierSource, ResolvedRecipe, effective_output, resolve
from domain.crafting.recipes import CraftRecipe, ItemStack, RecipeRegistry
from domain.crafting.rolls import job_seed, manager_key, roll_outputs
from domain.crafting.running import SEQ_LIMIT, RunningJobs, due_limit, held
from domain.crafting.snapshots import SNAPSHOT_FORMAT, ManagerSnapshot, SavedJob, decoder, encoder

_NOTHING: tuple[CraftEvent, ...] = ()
_PLAN_CACHE_LIMIT = 4096


class Manager:
    """Starts, completes, restarts and cancels jobs; every change comes back as records (see ``events``)."""

    def __init__(
        self,
        manager_id: str,
        registry: RecipeRegistry,
        inventories: InventoryProvider,
        *,
        events: EventBus | None = None,
        modifier_sources: Iterable[ModifierSource] = (),
        seed: int = 0,
    ) -> None:
        if not manager_id:
            raise InvalidCommand("a manager needs a non-empty id", "manager_id")
        self._id = manager_id
        self._prefix = manager_id + "#"
        self._registry = registry
        self._inventories = inventories
        self._bus = events
        self._sources: tuple[ModifierSource, ...] = tuple(modifier_sources)
        self._seed = seed
        self._key = manager_key(seed, manager_id)
        self._lock = threading.Lock()
        self._running = RunningJobs()
        self._next_seq = 1
        self._last_update: float | None = None
        self._plans: dict[tuple[str, Modifiers | None], tuple[CraftRecipe, CraftPlan]] = {}
        self._interned: dict[ResolvedRecipe, CraftPlan] = {}
        self._outbox: deque[CraftEvent] = deque()
        self._publishing = threading.Lock()
        self.publish_errors = 0

    @property
    def id(self) -> str:
        return self._id

    def replace_modifier_sources(self, sources: Iterable[ModifierSource]) -> None:
        """What jobs started from now on are granted; running jobs keep the modifiers they started with."""
        with self._lock:
            self._sources = tuple(sources)

    @property
    def seed(self) -> int:
        """The world seed this manager was built with (its rolls also depend on its id)."""
        return self._seed

    @property
    def last_update(self) -> float | None:
        return self._last_update

    def job_seed(self, seq: int) -> int:
        """The seed of this manager's ``seq``-th job."""
        return job_seed(self._key, seq)

    # -- commands -------------------------------------------------------------------------

    def start(
        self,
        recipe_id: str,
        owner: str,
        inventory_id: str,
        now: float,
        *,
        repeat: bool = False,
        modifiers: Modifiers | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> tuple[CraftEvent, ...]:
        """Consume the inputs and start a job; return its records (``CraftStarted`` first).

        Modifiers come from the sources, then ``modifiers`` (if given) on top, and are frozen
        into the job. A zero-duration job completes at once (its records follow). On any error
        (unknown recipe or inventory, a missing input or tool) nothing is consumed or started.
        """
        if not math.isfinite(now):
            raise InvalidCommand(f"now must be a finite number of seconds, got {now!r}", "now")
        recipe = self._registry.get(recipe_id)
        plan = self._plan(recipe, owner, modifiers)
        duration = plan.resolved.duration
        if repeat and duration <= 0:
            raise InvalidCommand(f"recipe {recipe_id!r} takes no time here: an instant job cannot repeat", "repeat")
        job_context = dict(context) if context else None
        records: list[CraftEvent] = []
        with self._lock:
            seq = self._next_seq
            if seq >= SEQ_LIMIT:
                raise InvalidCommand(f"manager {self._id!r} has used up its job numbers", "manager_id")
            self._inventories.consume(inventory_id, plan.resolved.inputs)
            self._next_seq = seq + 1
            end = now + duration
            records.append(self._started(seq, plan, owner, inventory_id, now, end, 0, repeat, job_context))
            if duration > 0:
                self._running.add(seq, plan, owner, inventory_id, now, end, repeat, job_context)
            else:
                self._complete(-1, seq, plan, owner, inventory_id, end, 0, False, records)
            if self._bus is not None:
                self._outbox.extend(records)
        self._publish()
        return tuple(records)

    def start_repeating(
        self,
        recipe_id: str,
        owner: str,
        inventory_id: str,
        now: float,
        *,
        modifiers: Modifiers | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> tuple[CraftEvent, ...]:
        """Start a job that restarts after each cycle while its inputs last (see ``start``)."""
        return self.start(recipe_id, owner, inventory_id, now, repeat=True, modifiers=modifiers, context=context)

    def update(self, now: float, *, limit: int | None = None) -> Sequence[CraftEvent]:
        """Complete every job due by ``now`` (at most ``limit`` cycles); return the records, in order.

        With nothing due this is one comparison with the earliest end time (kept beside the
        heap), whatever the job count.
        """
        with self._lock:
            self._last_update = now
            running = self._running
            if running.next_end > now or now != now:  # nothing due (a NaN ``now`` reaches no end time)
                return _NOTHING
            records: list[CraftEvent] = []
            pop_due, complete = running.pop_due, self._complete
            due = due_limit(now)
            done = 0
            while limit is None or done < limit:
                job = pop_due(due)
                if job is None:
                    break
                complete(*job, records)
                done += 1
            running.settle()
            running.compact_if_sparse()
            if self._bus is not None:
                self._outbox.extend(records)
        self._publish()
        return records or _NOTHING

    def cancel(self, job_id: str, now: float, *, refund: RefundPolicy | str) -> CraftCancelled:
        """Cancel a running job and refund per ``refund``, as one step.

        ``full`` gives back what the current cycle consumed, ``proportional`` that times the
        fraction of time left (rounded down), ``none`` nothing. If the refund cannot be added
        (inventory full or gone) the error is raised and the job keeps running untouched.
        """
        try:
            policy = RefundPolicy(refund)
        except ValueError:
            raise InvalidCommand(f"unknown refund policy {refund!r}", "refund") from None
        seq = self._seq_of(job_id)
        with self._lock:
            running = self._running
            slot = running.find(seq) if seq is not None else -1
            if slot < 0:
                raise UnknownJob(f"no running job {job_id!r} in manager {self._id!r}", "job_id")
            plan, _, owner, inventory_id = running.fields(slot)
            progress = cycle_progress(running.starts[slot], running.end_of(slot, plan), now)
            stacks = self._refund(plan.consumed, policy, 1.0 - progress)
            if stacks:
                self._inventories.add(inventory_id, stacks)
            record = CraftCancelled(
                job_id=job_id,
                manager_id=self._id,
                owner=owner,
                inventory_id=inventory_id,
                recipe_id=plan.resolved.recipe_id,
                at=now,
                refund_policy=policy,
                refund=stacks,
                progress=progress,
                cycles_completed=running.cycles[slot],
            )
            running.remove(slot)
            running.compact_if_sparse()
            if self._bus is not None:
                self._outbox.append(record)
        self._publish()
        return record

    def publish_progress(self, now: float, owner: str | None = None, limit: int | None = None) -> list[CraftProgress]:
        """Publish (and return) a progress event for each running job of ``owner`` (all if None),
        the oldest ``limit`` of them (all if None).

        Progress is computed on request, never by ``update``, so ticking stays O(1) when idle.
        """
        with self._lock:
            running = self._running
            events = [
                CraftProgress(
                    job_id=self._prefix + str(job.seq),
                    manager_id=self._id,
                    owner=job.owner,
                    inventory_id=job.inventory_id,
                    recipe_id=job.plan.resolved.recipe_id,
                    at=now,
                    progress=job.progress(now),
                    end=job.end,
                )
                for job in map(running.job, islice(running.slots(owner), limit))
            ]
            if self._bus is not None:
                self._outbox.extend(events)
        self._publish()
        return events

    # -- queries --------------------------------------------------------------------------

    def get_job(self, job_id: str) -> CraftJobInfo | None:
        """A snapshot of the running job ``job_id``, or None (finished jobs are not kept)."""
        seq = self._seq_of(job_id)
        if seq is None:
            return None
        with self._lock:
            slot = self._running.find(seq)
            return None if slot < 0 else self._info(self._running.job(slot))

    def has_job(self, job_id: str) -> bool:
        """Whether ``job_id`` is running here."""
        seq = self._seq_of(job_id)
        if seq is None:
            return False
        with self._lock:
            return self._running.find(seq) >= 0

    def jobs(self, owner: str | None = None, offset: int = 0, limit: int | None = None) -> list[CraftJobInfo]:
        """The running jobs of ``owner`` (everyone's if None), oldest first: ``limit`` of them (all
        if None) after the first ``offset``. Only those are made into objects; the ones skipped
        are passed over in the columns."""
        with self._lock:
            running = self._running
            slots = islice(running.slots(owner), offset, None if limit is None else offset + limit)
            return [self._info(running.job(slot)) for slot in slots]

    def active_jobs(self, owner: str) -> list[CraftJobInfo]:
        """The running jobs of ``owner``, oldest first (a scan of this manager's jobs)."""
        return self.jobs(owner)

    def all_jobs(self) -> list[CraftJobInfo]:
        """Every running job, oldest first."""
        return self.jobs()

    def job_count(self, owner: str | None = None) -> int:
        """How many jobs are running (of ``owner`` only, unless None): a count kept, never a scan."""
        return self._running.count(owner)

    def next_due(self) -> float | None:
        """The earliest end time among running jobs (when an update next has work), or None."""
        with self._lock:
            return self._running.settle()

    @property
    def _jobs(self) -> dict[int, CraftJob]:
        """The running jobs by number, as objects (copies: for tests and debugging)."""
        with self._lock:
            running = self._running
            return {running.seqs[slot]: running.job(slot) for slot in running.slots()}

    # -- persistence ----------------------------------------------------------------------

    def serialize(self) -> bytes:
        """The manager's state as msgpack (see ``snapshots``); jobs in sequence order."""
        with self._lock:
            plans: dict[int, int] = {}
            table: list[ResolvedRecipe] = []
            saved: list[SavedJob] = []
            running = self._running
            for job in map(running.job, running.slots()):
                index = plans.get(id(job.plan))
                if index is None:
                    index = plans[id(job.plan)] = len(table)
                    table.append(job.plan.resolved)
                saved.append(
                    SavedJob(
                        job.seq,
                        index,
                        job.owner,
                        job.inventory_id,
                        job.start,
                        job.end,
                        job.cycles,
                        job.repeat,
                        job.context,
                    )
                )
            snapshot = ManagerSnapshot(
                manager_id=self._id,
                world_seed=self._seed,
                next_seq=self._next_seq,
                last_update=self._last_update,
                plans=table,
                jobs=saved,
            )
        return encoder.encode(snapshot)

    def deserialize(self, data: bytes) -> None:
        """Replace this manager's jobs with the state ``serialize`` wrote (same manager id and world seed)."""
        try:
            snapshot = decoder.decode(data)
        except msgspec.DecodeError as error:
            raise CorruptState(f"manager {self._id!r}: unreadable state: {error}") from error
        if snapshot.format != SNAPSHOT_FORMAT:
            raise CorruptState(f"manager {self._id!r}: state format {snapshot.format} is not {SNAPSHOT_FORMAT}")
        if snapshot.manager_id != self._id or snapshot.world_seed != self._seed:
            raise CorruptState(
                f"state of manager {snapshot.manager_id!r} (world seed {snapshot.world_seed}) cannot be loaded into "
                f"manager {self._id!r} (world seed {self._seed}): the job ids and rolls would change"
            )
        plans = [self._intern(resolved) for resolved in snapshot.plans]
        try:
            jobs = {
                s.seq: CraftJob(
                    s.end, s.seq, plans[s.plan], s.owner, s.inventory_id, s.start, s.cycles, s.repeat, s.context
                )
                for s in snapshot.jobs
            }
        except IndexError:
            raise CorruptState(f"manager {self._id!r}: a job refers to a missing recipe snapshot") from None
        if jobs and max(jobs) >= snapshot.next_seq:
            raise CorruptState(f"manager {self._id!r}: a job number is not below next_seq {snapshot.next_seq}")
        with self._lock:
            self._install(jobs)
            self._next_seq = snapshot.next_seq
            self._last_update = snapshot.last_update

    def restore(self, records: Iterable[CraftEvent]) -> None:
        """Rebuild running jobs from their persisted records, in the order they were returned.

        The last ``CraftStarted`` of a job is its state; a ``CraftCompleted`` that does not repeat, a
        ``CraftFailed`` or a ``CraftCancelled`` ends it. Jobs not named in ``records`` are left as they
        are, and job numbers continue after the highest one seen. Records must be persisted per
        call, all or none: a repeating job's ``CraftCompleted`` without the ``CraftStarted`` or
        ``CraftFailed`` that followed it would complete that cycle a second time.
        """
        states: dict[int, CraftJob | None] = {}
        highest = 0
        for record in records:
            if isinstance(record, CraftProgress):
                continue
            seq = self._seq_of(record.job_id) if record.manager_id == self._id else None
            if seq is None:
                raise CorruptState(f"record of job {record.job_id!r} does not belong to manager {self._id!r}")
            highest = max(highest, seq)
            if isinstance(record, CraftStarted):
                if record.seed != self.job_seed(seq):
                    raise CorruptState(f"job {record.job_id!r} was seeded under another world seed", "seed")
                states[seq] = CraftJob(
                    record.end,
                    seq,
                    self._intern(record.resolved),
                    record.owner,
                    record.inventory_id,
                    record.at,
                    record.cycle,
                    record.repeat,
                    record.context,
                )
            elif isinstance(record, CraftCompleted) and record.repeat:
                job = states.get(seq)
                if job is not None:
                    job.cycles = record.cycle
            else:
                states[seq] = None
        with self._lock:
            running = self._running
            jobs = {running.seqs[slot]: running.job(slot) for slot in running.slots()}
            for seq, job in states.items():
                if job is None:
                    jobs.pop(seq, None)
                else:
                    jobs[seq] = job
            self._install(jobs)
            self._next_seq = max(self._next_seq, highest + 1)

    # -- internals ------------------------------------------------------------------------

    def _seq_of(self, job_id: str) -> int | None:
        parsed = parse_job_id(job_id)
        return parsed[1] if parsed is not None and parsed[0] == self._id else None

    def _plan(self, recipe: CraftRecipe, owner: str, extra: Modifiers | None) -> CraftPlan:
        """The shared plan for ``recipe`` under the modifiers resolved for ``owner`` now."""
        modifiers: Modifiers | None = None
        if self._sources or extra is not None:
            modifiers = IDENTITY
            for source in self._sources:
                granted = source.get_modifiers(owner, recipe)
                modifiers = granted if modifiers is IDENTITY else modifiers.combine(granted)
            if extra is not None:
                modifiers = extra if modifiers is IDENTITY else modifiers.combine(extra)
        key = (recipe.id, modifiers)
        cached = self._plans.get(key)
        if cached is not None and cached[0] is recipe:
            return cached[1]
        plan = self._intern(resolve(recipe, IDENTITY if modifiers is None else modifiers))
        if len(self._plans) >= _PLAN_CACHE_LIMIT:
            self._plans.clear()
        self._plans[key] = (recipe, plan)
        return plan

    def _intern(self, resolved: ResolvedRecipe) -> CraftPlan:
        """One ``CraftPlan`` per distinct resolved recipe, so restored jobs share them as live ones do."""
        plan = self._interned.get(resolved)
        if plan is None:
            if len(self._interned) >= _PLAN_CACHE_LIMIT:
                self._interned.clear()
            plan = self._interned[resolved] = CraftPlan(resolved)
        return plan

    def _install(self, jobs: dict[int, CraftJob]) -> None:
        """Hold ``jobs`` (by number) instead of the running ones; refuse numbers or cycle counts
        the columns cannot hold."""
        for seq, job in jobs.items():
            if not (0 <= seq < SEQ_LIMIT and job.cycles >= 0):
                raise CorruptState(f"manager {self._id!r}: job {seq} has a number or cycle count out of range")
        self._running = held([jobs[seq] for seq in sorted(jobs)])

    def _started(
        self,
        seq: int,
        plan: CraftPlan,
        owner: str,
        inventory_id: str,
        start: float,
        end: float,
        cycles: int,
        repeat: bool,
        context: dict[str, Any] | None,
    ) -> CraftStarted:
        return CraftStarted(
            job_id=self._prefix + str(seq),
            manager_id=self._id,
            owner=owner,
            inventory_id=inventory_id,
            recipe_id=plan.resolved.recipe_id,
            at=start,
            seq=seq,
            end=end,
            seed=job_seed(self._key, seq),
            repeat=repeat,
            cycle=cycles,
            resolved=plan.resolved,
            consumed=plan.consumed,
            context=context,
        )

    def _complete(
        self,
        slot: int,
        seq: int,
        plan: CraftPlan,
        owner: str,
        inventory_id: str,
        end: float,
        cycles: int,
        repeat: bool,
        records: list[CraftEvent],
    ) -> None:  # the arguments are a ``running.Due`` and the list to add records to
        """Finish the current cycle of job ``seq`` (held in ``slot``, −1 if not held) at its end time;
        restart it if it repeats. Never raises."""
        job_id = self._prefix + str(seq)
        resolved = plan.resolved
        outputs = plan.certain
        if outputs is None:
            outputs = roll_outputs(resolved.outputs, job_seed(self._key, seq), cycles)
        if outputs:
            try:
                self._inventories.add(inventory_id, outputs)
            except Exception as error:  # the provider refused or broke: the job fails, its inputs are spent
                reason = _failure_reason(error)
                records.append(self._fail(slot, job_id, plan, owner, inventory_id, end, cycles, reason, error, outputs))
                return
        cycles += 1
        records.append(
            CraftCompleted(
                job_id=job_id,
                manager_id=self._id,
                owner=owner,
                inventory_id=inventory_id,
                recipe_id=resolved.recipe_id,
                at=end,
                cycle=cycles,
                outputs=outputs,
                repeat=repeat,
            )
        )
        if not repeat:
            if slot >= 0:
                self._running.remove(slot)
            return
        try:
            self._inventories.consume(inventory_id, resolved.inputs)
        except Exception as error:
            records.append(self._fail(slot, job_id, plan, owner, inventory_id, end, cycles, "failed_to_restart", error))
            return
        running = self._running
        running.set_cycles(slot, cycles)
        next_end = end + resolved.duration
        running.reschedule(slot, end, next_end)
        context = running.contexts.get(seq) if running.contexts else None
        records.append(self._started(seq, plan, owner, inventory_id, end, next_end, cycles, repeat, context))

    def _fail(
        self,
        slot: int,
        job_id: str,
        plan: CraftPlan,
        owner: str,
        inventory_id: str,
        end: float,
        cycles: int,
        reason: str,
        error: Exception,
        lost: tuple[ItemStack, ...] = (),
    ) -> CraftFailed:
        """Drop the job and say why, at its end time, with the cycles it completed."""
        if slot >= 0:
            self._running.remove(slot)
        return CraftFailed(
            job_id=job_id,
            manager_id=self._id,
            owner=owner,
            inventory_id=inventory_id,
            recipe_id=plan.resolved.recipe_id,
            at=end,
            reason=reason,
            detail=str(error) or repr(error),
            cycles_completed=cycles,
            lost=lost,
        )

    @staticmethod
    def _refund(consumed: tuple[ItemStack, ...], policy: RefundPolicy, remaining: float) -> tuple[ItemStack, ...]:
        if policy is RefundPolicy.FULL:
            return consumed
        if policy is RefundPolicy.NONE:
            return ()
        stacks = (ItemStack(s.item, effective_output(s.quantity, remaining)) for s in consumed)
        return tuple(s for s in stacks if s.quantity > 0)

    def _info(self, job: CraftJob) -> CraftJobInfo:
        resolved = job.plan.resolved
        return CraftJobInfo(
            job_id=self._prefix + str(job.seq),
            manager_id=self._id,
            recipe_id=resolved.recipe_id,
            owner=job.owner,
            inventory_id=job.inventory_id,
            state=CraftJobState.RUNNING,
            start=job.start,
            end=job.end,
            duration=resolved.duration,
            repeat=job.repeat,
            cycles_completed=job.cycles,
            seed=job_seed(self._key, job.seq),
            modifiers=resolved.modifiers,
            inputs=resolved.inputs,
            outputs=resolved.outputs,
            consumed=job.plan.consumed,
            context=job.context,
        )

    def _publish(self) -> None:
        """Hand queued records to the bus outside the lock, one publisher at a time, in queue order.

        A thread that finds another publishing leaves its records to it; the publisher checks the
        queue again after letting go, so nothing is stranded.
        """
        outbox, bus = self._outbox, self._bus
        if bus is None:
            return  # the outbox fills only with a bus
        while outbox:
            if not self._publishing.acquire(blocking=False):
                return
            try:
                while outbox:
                    event = outbox.popleft()
                    try:
                        bus.publish(event)
                    except Exception:
                        self.publish_errors += 1
            finally:
                self._publishing.release()


def _failure_reason(error: Exception) -> str:
    if isinstance(error, InventoryFull):
        return "inventory_full"
    if isinstance(error, UnknownInventory):
        return "unknown_inventory"
    return "inventory_error"
