"""Batches: one thread hands its work everything queued while the previous call ran, and each
submitter gets its own item's outcome, whether it is a thread, a command on the event loop or
a coroutine."""

from __future__ import annotations

import asyncio
import threading

import pytest

from application.group_commit import Batches
from application.on_loop import run_on_loop


def test_what_queues_during_a_call_goes_into_the_next_and_each_gets_its_own_outcome() -> None:
    calls: list[list[int]] = []
    first_running, release = threading.Event(), threading.Event()

    def work(items: list[int]) -> list[int | BaseException]:
        calls.append(items)
        if len(calls) == 1:
            first_running.set()
            release.wait(5)
        return [ValueError(item) if item < 0 else item * 10 for item in items]

    batches: Batches[int, int] = Batches(work, "test-batches")
    first = threading.Thread(target=batches.put, args=(1,))
    first.start()
    assert first_running.wait(5)

    async def main() -> list[object]:
        coroutines = [batches.submit(2), batches.submit(-3), run_on_loop(batches.put, 4)]
        waiting = asyncio.gather(*coroutines, return_exceptions=True)
        await asyncio.sleep(0.05)  # all three queued behind the first call
        release.set()
        return list(await waiting)

    answers = asyncio.run(main())
    first.join()
    assert calls == [[1], [2, -3, 4]]
    assert answers[0] == 20 and answers[2] == 40
    assert isinstance(answers[1], ValueError) and answers[1].args == (-3,)


def test_a_failed_call_fails_every_item_in_it() -> None:
    def work(items: list[int]) -> list[int | BaseException]:
        raise RuntimeError("the database went away")

    batches: Batches[int, int] = Batches(work, "test-batches")
    with pytest.raises(RuntimeError, match="went away"):
        batches.put(1)
