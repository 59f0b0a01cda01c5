"""Group commit: the events of commands running at the same time share one transaction.

Writers to the event store are serialised (PostgreSQL's table lock, SQLite's file lock), so
one transaction per command caps throughput at one commit's round trip. A single committer
thread takes everything queued while the previous transaction was in flight and writes it
in one ``insert_events`` call. If that fails on a version collision, each command's events
are written alone, so a collision only fails the command it belongs to. A command is
acknowledged only after its transaction has committed.

That also settles a batch whose COMMIT answer was lost: the library's retry of the batch
collides with the batch itself, each command's events written alone collide with its own,
and each command's save then finds its own events landed (``EventStore.save_events``), one
command at a time, never mistaking a neighbour's events for its own.

A waiting command is a thread or a command on an event loop (``application.on_loop``); each
loop is woken once per transaction, for all of its commands in it.

The batching itself (``Batches``: a thread, its queue, each submitter's own outcome) serves
other writes that must not cost a transaction each too: the idempotency keys' claims and
answers (``interfaces.http.idempotency``).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, cast

from eventsourcing.persistence import IntegrityError, Recording

from application.on_loop import LoopWaiter, on_loop, wait, wake_loops

Put = Callable[[Sequence[Any]], list[Recording[Any]]]
MAX_EVENTS_PER_TRANSACTION = 500
T = TypeVar("T")
R = TypeVar("R")


class _Submission(Generic[T, R]):
    """One item and, once ``work`` has run on it, its result or its error. Its waiter is a
    command or a coroutine on an event loop (that loop and a future of it) or a thread (an Event)."""

    __slots__ = ("item", "result", "error", "waiter")

    def __init__(self, item: T, waiter: threading.Event | LoopWaiter) -> None:
        self.item = item
        self.result: R | None = None
        self.error: BaseException | None = None
        self.waiter = waiter

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return cast("R", self.result)


class Batches(Generic[T, R]):
    """A thread that hands ``work`` everything queued while its previous call ran (up to
    ``limit``, counted by ``size``) and gives each submitter its own outcome: ``work`` answers
    one result or exception per item, in their order. A submitter is a thread (``put`` blocks),
    a command on an event loop (``put`` waits through ``application.on_loop``) or a coroutine
    (``submit``); each event loop is woken once per call of ``work``, for all of its own."""

    def __init__(
        self,
        work: Callable[[list[T]], Sequence[R | BaseException]],
        name: str,
        *,
        size: Callable[[T], int] = lambda _: 1,
        limit: int = MAX_EVENTS_PER_TRANSACTION,
    ) -> None:
        self._work = work
        self._name = name
        self._size = size
        self._limit = limit
        self._queue: queue.SimpleQueue[_Submission[T, R]] = queue.SimpleQueue()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, item: T) -> R:
        """``item``'s outcome; a thread blocks meanwhile, a command on the loop lets it serve others."""
        if on_loop():
            submission, future = self._queued_from_loop(item)
            wait(future)
        else:
            done = threading.Event()
            submission = self._queued(item, done)
            done.wait()
        return submission.outcome()

    async def submit(self, item: T) -> R:
        """``item``'s outcome, awaited."""
        submission, future = self._queued_from_loop(item)
        await future
        return submission.outcome()

    def _queued_from_loop(self, item: T) -> tuple[_Submission[T, R], asyncio.Future[None]]:
        """``item`` queued by a coroutine or command of the running loop, and the future it is woken by."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        return self._queued(item, (loop, future)), future

    def _queued(self, item: T, waiter: threading.Event | LoopWaiter) -> _Submission[T, R]:
        submission: _Submission[T, R] = _Submission(item, waiter)
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                    self._thread.start()
        self._queue.put(submission)
        return submission

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            size = self._size(batch[0].item)
            while size < self._limit:
                try:
                    submission = self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(submission)
                size += self._size(submission.item)
            try:
                outcomes = self._work([submission.item for submission in batch])
            except BaseException as error:
                outcomes = [error] * len(batch)
            for submission, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    submission.error = outcome
                else:
                    submission.result = outcome
            _wake(batch)


class GroupCommitter:
    """The event store's group commit (see the module's text): one transaction for the events
    of every save queued while the previous one was in flight."""

    def __init__(self, put: Put) -> None:
        self._put = put
        self._batches: Batches[Sequence[Any], list[Recording[Any]]] = Batches(
            self._record, "group-commit", size=len, limit=MAX_EVENTS_PER_TRANSACTION
        )

    def put(self, events: Sequence[Any]) -> list[Recording[Any]]:
        """Record ``events`` atomically (with whatever else is queued); block until committed."""
        return self._batches.put(events)

    def _record(self, batch: list[Sequence[Any]]) -> list[list[Recording[Any]] | BaseException]:
        if len(batch) > 1:
            try:
                recordings = self._put([event for events in batch for event in events])
            except IntegrityError:
                pass  # someone's events collided: find out whose, one by one
            except BaseException as error:
                return [error] * len(batch)
            else:
                split: list[list[Recording[Any]] | BaseException] = []
                offset = 0
                for events in batch:
                    split.append(recordings[offset : offset + len(events)])
                    offset += len(events)
                return split
        outcomes: list[list[Recording[Any]] | BaseException] = []
        for events in batch:
            try:
                outcomes.append(self._put(events))
            except BaseException as error:
                outcomes.append(error)
        return outcomes


def _wake(batch: Sequence[_Submission[Any, Any]]) -> None:
    """Wake the batch's waiters: each thread, and each event loop once for all its commands."""
    on_loops = []
    for submission in batch:
        if isinstance(submission.waiter, threading.Event):
            submission.waiter.set()
        else:
            on_loops.append(submission.waiter)
    wake_loops(on_loops)
