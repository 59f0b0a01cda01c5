"""A stop signal that also wakes a thread waiting for PostgreSQL notifications.

The duty election and the world leases each keep a connection that LISTENs, and wait on it
for notifications between their rounds (``retry_sec``, ``heartbeat_sec``: half a second),
both in ``rounds_between_notifications``.
psycopg's ``notifies(timeout=...)`` cannot be interrupted from another thread, so a process
stopping (a server's shutdown, every test's teardown) used to wait out the rest of each round.
Here the wait is a ``select`` on the connection's socket and a pipe that ``set`` writes to:
stopping wakes the thread at once.
"""

from __future__ import annotations

import os
import select
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

C = TypeVar("C", bound="psycopg.Connection[Any]")


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


def rounds_between_notifications(
    stop: StopSignal,
    connection: C | None,
    round_on: Callable[[C | None], C],
    told: Callable[[psycopg.Notify], None],
    every_sec: float,
    lost: Callable[[C | None, psycopg.Error], None],
) -> C | None:
    """Until ``stop`` is set: a round (``round_on`` the connection, or a new one it opens and
    returns) every ``every_sec``, and the notifications that arrive meanwhile handed to
    ``told``; a failed connection is ``lost`` and a new one tried after ``every_sec``. Returns
    the connection still open. A round is held when it is due, not after every notification:
    a LISTENing process may be told hundreds of times a second, and a round per notification
    cost the database thousands of statements a second (BENCHMARKS.md, "Many processes, one
    database"). ``connection`` given has just had its round."""
    next_round = time.monotonic() + every_sec
    while not stop.is_set():
        try:
            if connection is None or time.monotonic() >= next_round:
                connection = round_on(connection)
                next_round = time.monotonic() + every_sec
            for notification in stop.notifications(connection, max(next_round - time.monotonic(), 0.0)):
                told(notification)
        except psycopg.Error as error:
            lost(connection, error)
            connection = None
            stop.wait(every_sec)
    return connection


def _close(*descriptors: int) -> None:
    for descriptor in descriptors:
        os.close(descriptor)
