"""A stop signal that also wakes a thread waiting for PostgreSQL notifications.

The duty election and the world leases each keep a connection that LISTENs, and wait on it
for notifications between their rounds (``retry_sec``, ``heartbeat_sec``: half a second).
psycopg's ``notifies(timeout=...)`` cannot be interrupted from another thread, so a process
stopping (a server's shutdown, every test's teardown) used to wait out the rest of each round.
Here the wait is a ``select`` on the connection's socket and a pipe that ``set`` writes to:
stopping wakes the thread at once.
"""

from __future__ import annotations

import os
import select
import threading
import weakref
from typing import Any

import psycopg


class StopSignal:
    """``threading.Event``'s ``set``/``clear``/``is_set``/``wait``, plus ``notifications``."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        weakref.finalize(self, _close, self._read, self._write)

    def set(self) -> None:
        self._event.set()
        try:
            os.write(self._write, b"!")
        except BlockingIOError:  # the pipe is full of wake-ups already
            pass

    def clear(self) -> None:
        self._event.clear()
        try:
            while os.read(self._read, 512):
                pass
        except BlockingIOError:
            pass

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    def notifications(self, connection: psycopg.Connection[Any], timeout: float) -> list[psycopg.Notify]:
        """The notifications that arrive on ``connection`` within ``timeout`` seconds (those
        already received first, without waiting); none once the signal is set."""
        arrived = list(connection.notifies(timeout=0))
        if arrived or self.is_set():
            return arrived
        select.select([connection.fileno(), self._read], [], [], timeout)
        if self.is_set():
            return []
        return list(connection.notifies(timeout=0))


def _close(*descriptors: int) -> None:
    for descriptor in descriptors:
        os.close(descriptor)
