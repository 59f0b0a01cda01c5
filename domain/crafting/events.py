"""Crafting job records (what happened to a job) and the event bus that tells owners about them.

One vocabulary serves two readers. The manager returns these records from every call that
changes something, in order, so an application service can persist a job's whole life and
restore it later (``Manager.restore``); and it publishes the same objects to an ``EventBus``
so UIs and game logic hear about their owner's jobs.

Delivery never blocks the engine: records are queued under the manager's lock (so their
order is the order things happened) and handed to the bus after the lock is released, by one
thread at a time. The bus provided here gives each subscriber a bounded queue; when a slow
subscriber's queue is full the oldest event is dropped and counted, because a UI cares most
about the latest state. Durable history is the returned records, never the bus.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, ClassVar, Protocol

import msgspec

from domain.crafting.jobs import CraftJobState, RefundPolicy
from domain.crafting.modifiers import ResolvedRecipe
from domain.crafting.recipes import ItemStack


class CraftEvent(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """What every record names: the job, its manager, owner, inventory and recipe, and when (seconds)."""

    state: ClassVar[CraftJobState]
    job_id: str
    manager_id: str
    owner: str
    inventory_id: str
    recipe_id: str
    at: float


class CraftStarted(CraftEvent, frozen=True, tag="started"):
    """A cycle began at ``at``: ``consumed`` was taken from the inventory and the job ends at ``end``.

    Enough to rebuild the running job on its own: ``resolved`` is the modifiers snapshot and the
    effective inputs, outputs and duration; ``seed`` decides its rolls. ``cycle`` counts the
    cycles completed before this one (0 for the first; more for a repeating job's restarts).
    """

    state = CraftJobState.RUNNING
    seq: int
    end: float
    seed: int
    repeat: bool
    cycle: int
    resolved: ResolvedRecipe
    consumed: tuple[ItemStack, ...]
    context: dict[str, Any] | None = None


class CraftProgress(CraftEvent, frozen=True, tag="progress"):
    """How far the current cycle is (published on request; never persisted)."""

    state = CraftJobState.RUNNING
    progress: float
    end: float


class CraftCompleted(CraftEvent, frozen=True, tag="completed"):
    """A cycle finished at ``at`` (its end time) and ``outputs`` (as rolled) were added.

    ``cycle`` is the number of cycles completed so far; ``repeat`` says whether a restart follows
    (as a ``CraftStarted``, or a ``CraftFailed`` with reason ``failed_to_restart``).
    """

    state = CraftJobState.COMPLETE
    cycle: int
    outputs: tuple[ItemStack, ...]
    repeat: bool


class CraftFailed(CraftEvent, frozen=True, tag="failed"):
    """The job stopped without finishing its cycle, or could not start another.

    ``reason``: ``inventory_full`` / ``unknown_inventory`` / ``inventory_error`` (the outputs could
    not be added: they are listed in ``lost`` and the consumed inputs are gone too), or
    ``failed_to_restart`` (a repeating job ran out of inputs after ``cycles_completed`` cycles).
    """

    state = CraftJobState.FAILED
    reason: str
    detail: str
    cycles_completed: int
    lost: tuple[ItemStack, ...] = ()


class CraftCancelled(CraftEvent, frozen=True, tag="cancelled"):
    """The job was cancelled at ``at``; ``refund`` (per ``refund_policy``) went back to the inventory."""

    state = CraftJobState.CANCELLED
    refund_policy: RefundPolicy
    refund: tuple[ItemStack, ...]
    progress: float
    cycles_completed: int


CraftRecord = CraftStarted | CraftProgress | CraftCompleted | CraftFailed | CraftCancelled

_json_decoder = msgspec.json.Decoder(CraftRecord)
_json_list_decoder = msgspec.json.Decoder(list[CraftRecord])


def encode_records(records: list[CraftEvent] | tuple[CraftEvent, ...]) -> bytes:
    """Records as a JSON array (each object tagged with its ``type``)."""
    return msgspec.json.encode(records)


def decode_records(data: bytes | str) -> list[CraftEvent]:
    """Records from the JSON ``encode_records`` wrote (or a single record's JSON, as a one-item list)."""
    if data.lstrip()[:1] in ("[", b"["):
        return list(_json_list_decoder.decode(data))
    return [_json_decoder.decode(data)]


class EventBus(Protocol):
    """Where a manager publishes records. ``publish`` must not block; an exception it raises is
    counted (``Manager.publish_errors``) and otherwise ignored: the state change already happened."""

    def publish(self, event: CraftEvent) -> None:
        """Deliver ``event`` to whoever listens for its owner."""
        ...


class Subscription:
    """A bounded queue of events for one owner (or for every owner); read it with ``drain``."""

    __slots__ = ("_lock", "_queue", "dropped", "maxsize", "owner")

    def __init__(self, owner: str | None, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.owner = owner
        self.maxsize = maxsize
        self.dropped = 0
        self._queue: deque[CraftEvent] = deque(maxlen=maxsize)
        self._lock = threading.Lock()

    def put(self, event: CraftEvent) -> None:
        """Queue ``event``; if the queue is full, drop the oldest and count it. Never blocks for long."""
        with self._lock:
            if len(self._queue) == self.maxsize:
                self.dropped += 1
            self._queue.append(event)

    def drain(self, limit: int | None = None) -> list[CraftEvent]:
        """Take up to ``limit`` (default all) queued events, oldest first."""
        with self._lock:
            count = len(self._queue) if limit is None else min(limit, len(self._queue))
            return [self._queue.popleft() for _ in range(count)]

    def __len__(self) -> int:
        return len(self._queue)


class QueueEventBus:
    """An in-process ``EventBus``: per-owner subscriptions, each a bounded queue.

    Publishing costs one dict read when nobody listens; the subscriber lists are replaced, not
    mutated, so ``publish`` reads them without a lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_owner: dict[str | None, tuple[Subscription, ...]] = {}

    def subscribe(self, owner: str | None, *, maxsize: int = 1024) -> Subscription:
        """Listen to one owner's events (``None``: every owner's)."""
        subscription = Subscription(owner, maxsize)
        with self._lock:
            self._by_owner[owner] = self._by_owner.get(owner, ()) + (subscription,)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription`` (events already queued stay readable)."""
        with self._lock:
            rest = tuple(s for s in self._by_owner.get(subscription.owner, ()) if s is not subscription)
            if rest:
                self._by_owner[subscription.owner] = rest
            else:
                self._by_owner.pop(subscription.owner, None)

    def publish(self, event: CraftEvent) -> None:
        """Queue ``event`` for its owner's subscribers and for the every-owner ones."""
        by_owner = self._by_owner
        for subscription in by_owner.get(event.owner, ()):
            subscription.put(event)
        for subscription in by_owner.get(None, ()):
            subscription.put(event)
