"""Repeated reads of a read model, answered from memory while its projection stands still.

Each entry is tagged with the projection position known when it was read. The known
position (``PositionSignal``) only ever trails the database, so an entry read at position P
reflects at least P; it is served while the projection is still at P and P reaches the
position the caller waited for (the writes acknowledged before the query, and its
``minPosition``). Any newer event projected invalidates every entry at once, and so does a
change of the rows at the same position (a retry of dead letters, a rebuild). With runners
elsewhere the signal follows the database within the runner's poll interval: until it does,
a query whose writes are newer than P misses the cache and reads the database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from application.position_signal import PositionSignal

V = TypeVar("V")
Tag = tuple[int, int]  # (the projection's revision, its position) when a value was read


class ReadCache(Generic[V]):
    def __init__(self, signal: PositionSignal, projection: str, size: int = 4096) -> None:
        self._signal = signal
        self._projection = projection
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[Tag, V]] = OrderedDict()
        self._lock = threading.Lock()

    def tag(self) -> Tag:
        """Tag for a value about to be read from the database."""
        return self._signal.revision(self._projection), self._signal.known_position(self._projection)

    def lookup(self, key: Hashable, min_position: int = 0) -> tuple[bool, V | None]:
        """(True, value) if a cached value is still current and reflects ``min_position``, else (False, None)."""
        current = self.tag()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != current or current[1] < min_position:
                return False, None
            self._entries.move_to_end(key)
            return True, entry[1]

    def store(self, key: Hashable, tag: Tag, value: V) -> None:
        with self._lock:
            self._entries[key] = (tag, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
