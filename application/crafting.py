"""The crafting service: users' crafting worlds, live in memory and persisted as events.

A world lives in memory as its ``World`` aggregate, the engine inside. One lock per world
covers "catch up, run the engine, save": commands on one world take turns, different worlds
run in parallel and their saves share transactions through the event store's group commit.
Reads take the same lock, so they only ever show what was saved, and first fold in what another
process saved to the world meanwhile (a second server's commands, ``manufactory crafting
tick``), so they show every acknowledged write. Memory never runs ahead of
the store: when a save fails the world is dropped and rebuilt from its events before its
next use, and a save that collides with another process's (the same world changed there) is
retried on the rebuilt world.

Time is ``clock()`` (Unix seconds; tests pass their own). Every command first completes the
jobs due by now, so it decides on the world as time says it is; the ticker thread does the
same for worlds nobody touches. A completion is stamped with its job's end time however late
it is noticed, so after a restart, when worlds are found in the event log and rebuilt from
their events, the first catch-up completes what ended while the service was down as if it
had never stopped.

Event streams read an owner's saved job records from the world's events (``records_after``),
numbered by the world's version, so a stream resumes where a client left off; each save with
job records advances ``signal`` to wake them.

One process at a time holds a world (``application.world_leases``: on PostgreSQL a lease row
per world, on SQLite every world is this process's). Every command, read and tick of a world
first makes sure this process holds it, taking it over from another process if need be (that
one finishes its command on the world, snapshots and drops it, then releases it), and restores
it from its snapshot and the events after it; so a world's state is built in one process at a
time, a command is decided by the one copy there is, and a read anywhere shows every
acknowledged write. Each process ticks the worlds it holds and takes over the worlds nobody
serves that need it (a dead owner's, a released world whose next job is due).

A world nobody touched (no command or read, nor a restore) for ``idle_unload_sec`` is
snapshotted and dropped from memory, and released with the time its next job ends (so a
process takes it back then, to complete it on time); the next command or read restores it
from that snapshot.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
import uuid
from bisect import insort
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from application.background import Background
from application.command_runner import MAX_ATTEMPTS, create_aggregate
from application.event_store import EventStore
from application.mapper import decode_event
from application.position_signal import PositionSignal
from application.world_leases import LocalLeases, WorldLeases
from domain.aggregate import replay
from domain.crafting import CraftEvent, CraftJobInfo, CraftProgress, CraftRecipe, Modifiers
from domain.crafting.manager import Manager
from domain.crafting_world import CraftJobRecorded, InventoryView, ModifierGrant, World, WorldCreated
from domain.errors import Conflict, DomainError, NotFound
from domain.events import CommandMeta

log = logging.getLogger(__name__)

R = TypeVar("R")
Decide = Callable[[World, float], R]

_WORLD_TOPIC = get_topic(WorldCreated)
_DISCOVERY_PAGE = 1000
RECORDS_PAGE = 1000  # a world's events read at once for an event stream (a resume far back reads several)


class StartedJob(msgspec.Struct, frozen=True, kw_only=True):
    """What starting a job did: the job as it runs (None if its first cycle already ended), the
    records of the start, and the world's time then (for the job's progress)."""

    job: CraftJobInfo | None
    records: list[CraftEvent]
    now: float


class _Entry:
    """One world of the service: its lock, its aggregate (None: restore it from the store
    before use), when it was last used here (monotonic) and, while it is not in memory, when
    its next job ends (None: unknown, restore it to find out; ``inf``: nothing runs)."""

    __slots__ = ("due", "lock", "owner_id", "touched", "world", "world_id")

    def __init__(self, world_id: UUID, owner_id: UUID, world: World | None) -> None:
        self.world_id = world_id
        self.owner_id = owner_id
        self.world = world
        self.lock = threading.Lock()
        self.touched = time.monotonic()
        self.due: float | None = None


class CraftingService(Background):
    thread_name = "crafting-ticker"

    def __init__(
        self,
        store: EventStore,
        *,
        tick_interval: float,
        clock: Callable[[], float] = time.time,
        leases: WorldLeases | None = None,
        idle_unload_sec: float = 0.0,
        handover_timeout: float = 5.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.tick_interval = tick_interval
        self.leases: WorldLeases = leases or LocalLeases()
        self.leases.bind(self._hand_over)
        self.idle_unload_sec = idle_unload_sec  # 0: worlds stay in memory
        self.handover_timeout = handover_timeout
        self.signal = PositionSignal()  # advanced after each publication: wakes event streams
        self._entries: dict[UUID, _Entry] = {}
        self._worlds_of: dict[UUID, list[tuple[int, UUID]]] = {}  # (log position created, world) per user, sorted
        self._discovery = threading.Lock()
        self._scanned = 0  # the log has been searched for new worlds up to this position
        self._stop = threading.Event()

    # -- worlds -------------------------------------------------------------------------------

    def create_world(self, name: str, seed: int | None, meta: CommandMeta) -> tuple[UUID, int]:
        """A new world (a random seed unless given); its id and log position."""
        world = World.create(uuid.uuid4(), name, secrets.randbits(63) if seed is None else seed, meta)
        position = create_aggregate(self.store, world, "world").position
        held = self.leases.acquire(world.id, 0)  # a new world: nobody else knows it yet
        with self._discovery:
            self._add_entry(position, _Entry(world.id, meta.user_id, world if held else None))
        return world.id, position

    def world_ids(self, user_id: UUID, offset: int = 0, limit: int | None = None) -> list[UUID]:
        """The user's worlds, oldest first (in the order of the log, whichever process created
        them): ``limit`` of them (all if None) after the first ``offset``."""
        self._discover()
        worlds = self._worlds_of.get(user_id, [])
        return [world_id for _, world_id in worlds[offset : None if limit is None else offset + limit]]

    def world_count(self, user_id: UUID) -> int:
        """How many worlds the user has."""
        self._discover()
        return len(self._worlds_of.get(user_id, ()))

    def in_memory(self) -> list[UUID]:
        """The worlds this process has in memory now (those it holds and used lately)."""
        return [entry.world_id for entry in list(self._entries.values()) if entry.world is not None]

    def read(self, world_id: UUID, user_id: UUID, query: Decide[R], *, current: bool = True) -> R:
        """``query(world, now)`` on the user's world, as saved; ``current``: as the event store has
        it now (another process may have saved to it), else as this process last saw it."""
        entry = self._entry(world_id, user_id)
        with entry.lock:
            self._hold(entry)
            return query(self._current_world(entry) if current else self._world(entry), self.clock())

    def command(self, world_id: UUID, meta: CommandMeta, decide: Decide[R]) -> tuple[R, int]:
        """Catch the user's world up to now, run ``decide(world, now)`` and save what it did;
        its answer and the log position of the save."""
        entry = self._entry(world_id, meta.user_id)
        with entry.lock:
            self._hold(entry)
            return self._run(entry, meta, decide)

    # -- use cases: each one command on one world -----------------------------------------------

    def catch_up(self, world_id: UUID, meta: CommandMeta, present: Decide[R]) -> tuple[R, int]:
        """Complete every job due by now at once (the ticker does it within a tick anyway); the
        world as ``present`` shows it right after, under the world's lock."""
        return self.command(world_id, meta, present)

    def register_recipes(
        self, world_id: UUID, recipes: Sequence[CraftRecipe], replace: bool, meta: CommandMeta
    ) -> tuple[list[CraftRecipe], int]:
        """All or none; ``replace``: recipes whose id is taken are replaced (else a conflict)."""
        return self.command(
            world_id, meta, lambda world, _: world.register_recipes(recipes, replace=replace, meta=meta)
        )

    def create_inventory(
        self, world_id: UUID, inventory_id: str, capacity: int | None, items: Mapping[str, int], meta: CommandMeta
    ) -> tuple[InventoryView, int]:
        return self.command(
            world_id, meta, lambda world, _: world.create_inventory(inventory_id, capacity, items, meta)
        )

    def add_items(
        self, world_id: UUID, inventory_id: str, items: Mapping[str, int], meta: CommandMeta
    ) -> tuple[InventoryView, int]:
        """Every item, or none if they would exceed the inventory's capacity."""
        return self.command(world_id, meta, lambda world, _: world.add_items(inventory_id, items, meta))

    def remove_items(
        self, world_id: UUID, inventory_id: str, items: Mapping[str, int], meta: CommandMeta
    ) -> tuple[InventoryView, int]:
        """Every item, or none if one is short."""
        return self.command(world_id, meta, lambda world, _: world.remove_items(inventory_id, items, meta))

    def create_manager(
        self,
        world_id: UUID,
        manager_id: str,
        grants: Sequence[ModifierGrant],
        meta: CommandMeta,
        present: Callable[[World, Manager], R],
    ) -> tuple[R, int]:
        """A production manager granting ``grants``; ``present`` renders it under the world's lock
        (a manager is live: a concurrent command may start jobs on it right after)."""
        return self.command(
            world_id, meta, lambda world, _: present(world, world.create_manager(manager_id, grants, meta))
        )

    def change_grants(
        self,
        world_id: UUID,
        manager_id: str,
        grants: Sequence[ModifierGrant],
        meta: CommandMeta,
        present: Callable[[World, Manager], R],
    ) -> tuple[R, int]:
        """Replace what the manager grants to the jobs it starts from now on (running ones keep theirs)."""
        return self.command(
            world_id, meta, lambda world, _: present(world, world.change_grants(manager_id, grants, meta))
        )

    def remove_grant(
        self, world_id: UUID, manager_id: str, index: int, meta: CommandMeta, present: Callable[[World, Manager], R]
    ) -> tuple[R, int]:
        """The manager without its grant at ``index`` (0 is the first, in the order they are listed)."""
        return self.command(
            world_id, meta, lambda world, _: present(world, world.remove_grant(manager_id, index, meta))
        )

    def start_job(
        self,
        world_id: UUID,
        manager_id: str,
        recipe_id: str,
        owner: str,
        inventory_id: str,
        meta: CommandMeta,
        *,
        repeat: bool = False,
        modifiers: Modifiers | None = None,
        context: dict[str, Any] | None = None,
    ) -> tuple[StartedJob, int]:
        """Take the inputs at once (all or nothing) and start the job; ``repeat`` restarts it after
        each cycle while the inputs last."""

        def start(world: World, now: float) -> StartedJob:
            records = world.start(
                manager_id,
                recipe_id,
                owner,
                inventory_id,
                now,
                meta,
                repeat=repeat,
                modifiers=modifiers,
                context=context,
            )
            job = world.manager(manager_id).get_job(records[0].job_id)
            return StartedJob(job=job, records=list(records), now=now)

        return self.command(world_id, meta, start)

    def cancel_job(
        self, world_id: UUID, manager_id: str, seq: int, refund: str, meta: CommandMeta
    ) -> tuple[CraftEvent, int]:
        """Stop a running job and refund (full, proportional, none) its current cycle's inputs: one step."""
        return self.command(world_id, meta, lambda world, now: world.cancel(manager_id, seq, now, refund, meta))

    def records_after(
        self, world_id: UUID, user_id: UUID, owner: str | None, version: int
    ) -> tuple[list[tuple[int, CraftEvent]], int]:
        """The saved job records of ``owner`` (None: everyone's) in the user's world after the world's ``version``,
        each with the version of its event (what orders them), and the version read up to (the
        next call's ``version``; at most ``RECORDS_PAGE`` events on): read from the event store,
        so a reader that was away, or another process's saves, miss nothing."""
        self._entry(world_id, user_id)
        events = self.store.history(world_id, after=version, limit=RECORDS_PAGE)
        records = [
            (event.originator_version, event.record)
            for event in events
            if isinstance(event, CraftJobRecorded) and owner in (None, event.record.owner)
        ]
        return records, events[-1].originator_version if events else version

    def progress(self, world_id: UUID, user_id: UUID, owner: str | None, limit: int) -> list[CraftProgress]:
        """How far the first ``limit`` running jobs of ``owner`` (None: everyone's) are now, in
        ``World.running_jobs`` order (the engine's progress records; never saved)."""
        return self.read(world_id, user_id, lambda world, now: world.progress(now, owner, limit), current=False)

    # -- time ---------------------------------------------------------------------------------

    def tick(self) -> int:
        """Catch up every world held here with a job due (one busy with a command catches up in
        it), after taking over those nobody serves; drop the idle ones from memory. How many
        were caught up."""
        self._discover()
        self._adopt()
        caught_up = 0
        for entry in list(self._entries.values()):
            if not entry.lock.acquire(blocking=False):
                continue
            try:
                caught_up += self._tick(entry)
            except Exception:  # one world's trouble must not stall the others; it was forgotten
                log.exception("crafting world %s could not be caught up", entry.world_id)
            finally:
                entry.lock.release()
        return caught_up

    def _tick(self, entry: _Entry) -> int:
        """Catch up one world (under its lock) if it is held here and a job is due; unload it
        if idle. 1 if it was caught up."""
        if not self.leases.holds(entry.world_id):
            if entry.world is not None:  # handed over or lost: another process may change it now
                self._forget(entry)
            return 0
        now = self.clock()
        if entry.world is None and entry.due is not None and entry.due > now:
            return 0  # not in memory, and nothing due yet
        ticked = 0
        due = self._world(entry).next_due()
        if due is not None and due <= now:
            tick_id = f"crafting-tick-{uuid.uuid4()}"
            meta = CommandMeta(user_id=entry.owner_id, correlation_id=tick_id, command_id=tick_id)
            self._run(entry, meta, _nothing)
            ticked = 1
        if self.idle_unload_sec and time.monotonic() - entry.touched >= self.idle_unload_sec:
            self.leases.release(entry.world_id, self._unload(entry))
        return ticked

    def close(self) -> None:
        """Stop the ticker and release every world held here, each snapshotted and with its
        next job's end, so another process (or the next start) takes them over at once."""
        self.stop()
        if self.leases.shared:
            for entry in list(self._entries.values()):
                with entry.lock:
                    if self.leases.holds(entry.world_id):
                        self.leases.release(entry.world_id, self._unload(entry))
        self.leases.close()

    def run_until_stopped(self) -> None:
        """Tick every ``tick_interval`` seconds until ``stop``."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the store may be briefly unreachable: try again next tick
                log.exception("crafting tick failed")
            self._stop.wait(self.tick_interval)

    # -- internals ----------------------------------------------------------------------------

    def _entry(self, world_id: UUID, user_id: UUID) -> _Entry:
        entry = self._entries.get(world_id)
        if entry is None:
            self._discover()
            entry = self._entries.get(world_id)
        if entry is None or entry.owner_id != user_id:
            raise NotFound("world not found", "world_id")
        return entry

    def _discover(self) -> None:
        """Find the worlds created since the last look (here or by another process) in the log."""
        with self._discovery:
            head = self.store.head()
            while self._scanned < head:
                found = self.store.log_rows.select_log(self._scanned + 1, _DISCOVERY_PAGE, head, [_WORLD_TOPIC])
                for position, _, _, topic, state in found:
                    created = decode_event(topic, state)
                    assert isinstance(created, WorldCreated)  # the topic filter selects only these
                    self._add_entry(position, _Entry(created.originator_id, created.owner_id, None))
                self._scanned = found[-1][0] if len(found) == _DISCOVERY_PAGE else head

    def _add_entry(self, position: int, entry: _Entry) -> None:
        """Know the world created at log ``position`` (under the discovery lock), once; its
        owner's worlds stay in log order, however late another process's are found."""
        if self._entries.setdefault(entry.world_id, entry) is entry:
            insort(self._worlds_of.setdefault(entry.owner_id, []), (position, entry.world_id))

    def _adopt(self) -> None:
        """Take over the worlds nobody serves that need it (a dead owner's; a released world
        whose next job is due): each is restored, and caught up, in this tick."""
        for world_id in self.leases.orphans(self.clock()):
            entry = self._entries.get(world_id)
            if entry is None or not entry.lock.acquire(blocking=False):
                continue  # not discovered yet, or busy: the next look
            try:
                if self.leases.acquire(world_id, 0):
                    self._forget(entry)
                    entry.due = None
            finally:
                entry.lock.release()

    def _hold(self, entry: _Entry) -> None:
        """Make sure this process holds the world (under its lock), taking it over from
        another if need be; it counts as touched."""
        entry.touched = time.monotonic()
        if self.leases.holds(entry.world_id):
            return
        self._forget(entry)  # whatever was in memory may be stale now
        if not self.leases.acquire(entry.world_id, self.handover_timeout):
            raise Conflict("the world is busy in another server process; try again", "world_id")

    def _hand_over(self, world_id: UUID) -> None:
        """Another process asked for the world: once the command on it (if any) is done,
        snapshot it, drop it and release it."""
        entry = self._entries.get(world_id)
        if entry is None:
            self.leases.release(world_id, None)
            return
        with entry.lock:
            if self.leases.holds(world_id):
                self.leases.release(world_id, self._unload(entry))

    def _unload(self, entry: _Entry) -> float | None:
        """Snapshot the world and drop it from memory (under its lock); when its next job
        ends (None: nothing runs; 0 when it is not in memory and that is unknown here, so
        whoever takes it next restores it at once to see)."""
        world = entry.world
        if world is None:
            return 0.0 if entry.due is None else None if entry.due == math.inf else entry.due
        due = world.next_due()
        if not world.has_pending_events:
            self.store.keep_snapshot(world)
        self._forget(entry)
        entry.due = math.inf if due is None else due
        return due

    def _world(self, entry: _Entry) -> World:
        if entry.world is None:
            world = self.store.restore(entry.world_id)  # its snapshot and the events after it
            assert isinstance(world, World)
            entry.world = world
            entry.due = None
            entry.touched = time.monotonic()
        return entry.world

    def _current_world(self, entry: _Entry) -> World:
        """The world with every event saved to it so far, here or by another process: the events
        after the version in memory are folded in, as a rebuild would (one indexed read of the
        world's events when nothing changed)."""
        world = entry.world
        if world is None:
            return self._world(entry)
        try:
            caught_up = replay(world, self.store.history(entry.world_id, after=world.version))
        except BaseException:
            self._forget(entry)
            raise
        assert isinstance(caught_up, World)
        return caught_up

    def _forget(self, entry: _Entry) -> None:
        entry.world = None
        self.store.forget(entry.world_id)

    def _run(self, entry: _Entry, meta: CommandMeta, decide: Decide[R]) -> tuple[R, int]:
        for _ in range(MAX_ATTEMPTS):
            world = self._world(entry)
            now = self.clock()
            try:
                while world.catch_up(now, meta):  # saved in chunks, each whole
                    self._save(entry, world)
                answer = decide(world, now)
                return answer, self._save(entry, world)
            except IntegrityError:
                continue  # the world changed elsewhere; _save forgot ours: again on the rebuilt one
            except DomainError:
                if world.has_pending_events:  # refusals change nothing; anything else is not trusted
                    self._forget(entry)
                raise
            except BaseException:
                self._forget(entry)
                raise
        raise Conflict("the world is being changed elsewhere too often; try again", "world_id")

    def _save(self, entry: _Entry, world: World) -> int:
        """Save the world's new events, then wake the event streams if job records were among
        them; forget the world if it fails."""
        if not world.has_pending_events:
            return self.store.head()
        recorded = bool(world.unsaved_records())
        try:
            position = self.store.save_events(world)
        except BaseException:
            self._forget(entry)
            raise
        if recorded:
            self.signal.advance("crafting", position)
        return position


def _nothing(world: World, now: float) -> None:
    """The ticker's command: the catch-up before it is the whole point."""
