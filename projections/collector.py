"""Python's cyclic garbage collector: paused while a rebuild batch is in memory, and kept off
the heap a server builds at start-up.

A rebuild batch holds thousands of decoded events, and the rows folded from them, until it
is written: tens of thousands of objects that outlive the collector's young generations, so
nearly every batch set off a full collection, a walk over the whole heap (about 0.2 s on the
benchmark machine) that found nothing: events and rows form no cycles, and reference
counting frees them. Measured with ``gc.callbacks``: four full collections in a rebuild of
20,000 events, 40% of its time. The pause lasts one batch (bounded in size); the collector
then runs as usual. It is process-wide, so pauses from several threads are counted and the
collector comes back with the last of them (and only if it was on before the first).

A server's requests have the opposite shape: each allocates a few hundred short-lived objects,
and the young ones alive when a young collection runs (those of the requests in flight) are
promoted as if long-lived. That set off a full collection every second or so under load, each
a walk over the start-up heap (modules, the app's handlers and schemas: about 200,000
objects, 0.1 s), which never holds garbage. Measured with ``gc.callbacks`` under the command
benchmark: 10% of the server's time, 25 µs per config update. ``freeze_start_up_heap``
leaves that heap out of every collection (``gc.freeze``) and lets the young generation grow
to ``SERVING_YOUNG_THRESHOLD`` objects before it is collected, so that the requests in flight
are rarely caught young.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SERVING_YOUNG_THRESHOLD = 10_000
"""Python's default is 700: a few requests' worth of objects."""

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


def freeze_start_up_heap() -> None:
    """For a server process, once its app and system are built: every object alive now is left
    out of the collector's walks for the rest of the process, and the young generation grows
    larger. What that heap later drops in cycles is never collected: a one-off cost bounded by
    the heap at start-up. A process that builds many apps (the tests) must not call it: each
    app's cycles would outlive it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(SERVING_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
