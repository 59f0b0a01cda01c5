"""What the cyclic garbage collector is kept from (``projections.collector``): a rebuild's
batches, the pause ending with the last of overlapping ones; a server's start-up heap, left out
of every collection; and events, which hold no cycles and are left to reference counting."""

from __future__ import annotations

import gc
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from domain.events import CommandMeta
from domain.manufacturing.config import ManufacturingConfig
from domain.manufacturing.container import ContainerRegistered
from projections.collector import SERVING_YOUNG_THRESHOLD, collection_paused, freeze_start_up_heap


def test_the_collector_comes_back_with_the_last_of_overlapping_pauses() -> None:
    assert gc.isenabled()
    first_paused, second_done = threading.Event(), threading.Event()

    def second() -> None:
        first_paused.wait()
        with collection_paused():
            assert not gc.isenabled()
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with collection_paused():
        first_paused.set()
        second_done.wait()
        assert not gc.isenabled()  # the second pause ended, this one has not
    thread.join()
    assert gc.isenabled()


@pytest.fixture
def thawed_after() -> Iterator[None]:
    """The test process builds many apps: what a test freezes is thawed after it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("thawed_after")
def test_a_servers_start_up_heap_is_left_out_of_every_collection() -> None:
    start_up = {"app": [object()]}  # a container: the collector tracks it
    freeze_start_up_heap()
    served = {"request": [object()]}
    walked = {id(o) for o in gc.get_objects()}  # what a full collection would walk
    assert id(start_up) not in walked
    assert id(served) in walked
    assert gc.get_threshold()[0] == SERVING_YOUNG_THRESHOLD


def test_events_and_their_metadata_are_left_to_reference_counting() -> None:
    meta = CommandMeta(user_id=uuid.uuid4(), correlation_id="c")
    event = ContainerRegistered(
        originator_id=uuid.uuid4(),
        originator_version=1,
        timestamp=datetime.now(UTC),
        meta=meta,
        owner_id=meta.user_id,
        container_id="c1",
        system_symbol="X1-YZ19",
        config=ManufacturingConfig(),
    )
    assert not gc.is_tracked(meta)
    assert not gc.is_tracked(event)
