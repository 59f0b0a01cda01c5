"""Python's cyclic garbage collector, paused while a rebuild batch is in memory.

A rebuild batch holds thousands of decoded events, and the rows folded from them, until it
is written: tens of thousands of objects that outlive the collector's young generations, so
nearly every batch set off a full collection, a walk over the whole heap (about 0.2 s on the
benchmark machine) that found nothing: events and rows form no cycles, and reference
counting frees them. Measured with ``gc.callbacks``: four full collections in a rebuild of
20,000 events, 40% of its time. The pause lasts one batch (bounded in size); the collector
then runs as usual. It is process-wide, so pauses from several threads are counted and the
collector comes back with the last of them (and only if it was on before the first).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Run the block without cyclic garbage collection (reference counting still frees)."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def collect_young() -> None:
    """Collect the young generations alone, even while paused: cycles left by the batches just
    written are freed without a walk over the whole heap, so a long rebuild's memory stays
    bounded (the runtime calls it every few batches: ``YOUNG_COLLECTION_BATCHES``)."""
    gc.collect(1)
