"""Tells waiting queries and streams, in this process, that a projection has moved on.

The projection runner calls ``advance`` from its thread; async waiters (minPosition
queries, Server-Sent Events streams) are woken on their own event loops.

It lives in the application layer because both sides use it: the projection runner advances it
and the read caches watch it, and the crafting service advances it with its worlds' positions.
Dependencies point inward, so the read side takes it from here.
"""

from __future__ import annotations

import asyncio
import threading

from application.on_loop import LoopWaiter, wake_loops


class PositionSignal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._positions: dict[str, int] = {}
        self._revisions: dict[str, int] = {}
        self._waiters: set[LoopWaiter] = set()

    def known_position(self, name: str) -> int:
        with self._lock:
            return self._positions.get(name, 0)

    def revision(self, name: str) -> int:
        """How many times the projection's rows changed without its position moving."""
        with self._lock:
            return self._revisions.get(name, 0)

    def rewritten(self, name: str) -> None:
        """The projection's rows changed at the same position (dead letters applied by a
        retry, a rebuilt generation swapped in): what was read of it before is stale."""
        with self._lock:
            self._revisions[name] = self._revisions.get(name, 0) + 1

    def advance(self, name: str, position: int) -> None:
        with self._lock:
            if position > self._positions.get(name, 0):
                self._positions[name] = position
            waiters, self._waiters = self._waiters, set()
        wake_loops(waiters)

    async def changed(self, timeout: float) -> None:
        """Return when any projection advances, or after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (loop, future)
        with self._lock:
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(entry)
