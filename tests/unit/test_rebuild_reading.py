"""How a rebuild reads and holds its batches: the next batch read ahead is used only where it
starts, the garbage collector's pause comes back with the last pauser, and SQLite gets the
dialect's own timestamp text from the fast path."""

from __future__ import annotations

import gc
import threading
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.dialects import sqlite

from projections.collector import collection_paused
from projections.read_ahead import LogRead, ReadAhead
from projections.types import UtcDateTime, sqlite_utc_text


class CountingReader:
    def __init__(self) -> None:
        self.reads: list[tuple[int, int]] = []

    def __call__(self, start: int, stop: int) -> LogRead:
        self.reads.append((start, stop))
        return LogRead(start=start, new_position=min(start + 9, stop), entries=[])


def test_a_batch_read_ahead_is_used_where_it_starts_and_read_again_elsewhere() -> None:
    reader = CountingReader()
    with ReadAhead(reader) as ahead:
        ahead.read_next(11, 100)
        assert ahead.read(11, 120) == LogRead(start=11, new_position=20, entries=[])  # its own stop: 100
        ahead.read_next(21, 100)
        assert ahead.read(15, 120).start == 15  # the position moved elsewhere: read again
    assert reader.reads == [(11, 100), (21, 100), (15, 120)]


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


def test_utc_timestamps_get_the_text_sqlalchemy_stores_on_sqlite() -> None:
    dialect = sqlite.dialect()
    stored = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert stored is not None
    for value in [
        datetime(2026, 12, 3, 7, 16, 34, 249604, tzinfo=UTC),
        datetime(2026, 12, 3, 7, 16, 34, tzinfo=UTC),  # no microseconds: still six digits
        datetime(5, 1, 1, tzinfo=timezone(timedelta(hours=3))),  # a year of one digit, another day in UTC
    ]:
        assert sqlite_utc_text(value) == stored(value)
    assert sqlite_utc_text(None) is None
