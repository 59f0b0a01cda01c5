"""A rebuild on PostgreSQL reads the log ahead: the next batch is read and decoded in a
thread while the current one is written.

Reading a batch (the query, building the notifications, decoding the events) and writing
one (the projection folding it, the database storing the rows) used to take turns. Waiting
for PostgreSQL's answers runs without the GIL, so reading the next batch meanwhile keeps
both busy: only the Python work of the two is serialised. Only rebuilds read ahead: they
start far behind, while the live runner's next batch may not exist yet. On SQLite there is
little to overlap (its steps are short, the decoding and the rows' binding are Python's),
and the two threads' hand-offs of the GIL made a rebuild 15% slower: it reads in turn there.

A batch read ahead is used only if the generation's position is still where it starts (it
is otherwise dropped and read again), and it ends where its own read stopped, which the
head may have passed since: the events after are the next batch's.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

import msgspec

from projections.dead_letters import LoggedEvent


class LogRead(msgspec.Struct, frozen=True, kw_only=True):
    """The events of a batch, decoded, and the position the batch moves its generation to."""

    start: int
    new_position: int
    entries: list[LoggedEvent]


Reader = Callable[[int, int], LogRead]  # (start, stop) -> the batch from start, up to stop


class ReadAhead:
    """One batch read ahead in a thread of its own; closed, it waits for that read to end."""

    def __init__(self, read: Reader) -> None:
        self._read = read
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        self._next: Future[LogRead] | None = None

    def read(self, start: int, stop: int) -> LogRead:
        """The batch from ``start``: the one read ahead if it starts there, else read now."""
        ahead, self._next = self._next, None
        if ahead is not None:
            batch = ahead.result()  # a failed read raises here, as reading now would
            if batch.start == start:
                return batch
        return self._read(start, stop)

    def read_next(self, start: int, stop: int) -> None:
        """Start reading the batch from ``start`` (up to ``stop``) in the thread."""
        self._next = self._executor.submit(self._read, start, stop)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
