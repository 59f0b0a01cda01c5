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
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Recording

from application.on_loop import LoopWaiter, on_loop, wait, wake_loops

Put = Callable[[Sequence[Any]], list[Recording[Any]]]
MAX_EVENTS_PER_TRANSACTION = 500


class _Submission:
    """One save's events and, once its transaction ended, its recordings or its error. Its
    waiter is a command on an event loop (that loop and a future of it) or a thread (an Event)."""

    __slots__ = ("events", "recordings", "error", "waiter")

    def __init__(self, events: Sequence[Any]) -> None:
        self.events = events
        self.recordings: list[Recording[Any]] = []
        self.error: BaseException | None = None
        self.waiter: threading.Event | LoopWaiter
        if on_loop():
            loop = asyncio.get_running_loop()
            self.waiter = (loop, loop.create_future())
        else:
            self.waiter = threading.Event()

    def wait(self) -> None:
        """Until the transaction ended; a command on the loop lets the loop serve others meanwhile."""
        if isinstance(self.waiter, threading.Event):
            self.waiter.wait()
        else:
            wait(self.waiter[1])


class GroupCommitter:
    def __init__(self, put: Put) -> None:
        self._put = put
        self._queue: queue.SimpleQueue[_Submission] = queue.SimpleQueue()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, events: Sequence[Any]) -> list[Recording[Any]]:
        """Record ``events`` atomically (with whatever else is queued); block until committed."""
        submission = _Submission(events)
        self._ensure_running()
        self._queue.put(submission)
        submission.wait()
        if submission.error is not None:
            raise submission.error
        return submission.recordings

    def _ensure_running(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            size = len(batch[0].events)
            while size < MAX_EVENTS_PER_TRANSACTION:
                try:
                    submission = self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(submission)
                size += len(submission.events)
            self._commit(batch)

    def _commit(self, batch: list[_Submission]) -> None:
        try:
            self._record(batch)
        finally:
            _wake(batch)

    def _record(self, batch: list[_Submission]) -> None:
        if len(batch) > 1:
            try:
                recordings = self._put([event for submission in batch for event in submission.events])
            except IntegrityError:
                pass  # someone's events collided: find out whose, one by one
            except BaseException as error:
                for submission in batch:
                    submission.error = error
                return
            else:
                offset = 0
                for submission in batch:
                    submission.recordings = recordings[offset : offset + len(submission.events)]
                    offset += len(submission.events)
                return
        for submission in batch:
            try:
                submission.recordings = self._put(submission.events)
            except BaseException as error:
                submission.error = error


def _wake(batch: list[_Submission]) -> None:
    """Wake the batch's waiters: each thread, and each event loop once for all its commands."""
    on_loops = []
    for submission in batch:
        if isinstance(submission.waiter, threading.Event):
            submission.waiter.set()
        else:
            on_loops.append(submission.waiter)
    wake_loops(on_loops)
