"""Commands on the event loop: their waits are awaited, so the loop goes on serving others;
the same code in a thread simply blocks."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Sequence
from typing import Any

import greenlet
import pytest

from application import on_loop as on_loop_module
from application.group_commit import GroupCommitter
from application.on_loop import acquire, blocking, on_loop, pause, refuse_on_loop, run_on_loop


def test_a_command_on_the_loop_answers_its_result_and_raises_its_errors() -> None:
    def fails() -> None:
        raise ValueError("no")

    async def main() -> tuple[int, bool]:
        with pytest.raises(ValueError, match="no"):
            await run_on_loop(fails)
        return await run_on_loop(lambda a, b: a + b, 2, b=3), on_loop()

    assert asyncio.run(main()) == (5, False)


def test_commands_in_turn_share_a_greenlet_but_not_their_context() -> None:
    """A finished command's greenlet runs the next one (no new stack for each); what a command
    set in a context variable, or raised, stays with that command."""
    mark: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="unset")

    def command(name: str) -> tuple[int, str]:
        seen = mark.get()
        mark.set(name)
        if name == "fails":
            raise ValueError(name)
        return id(greenlet.getcurrent()), seen

    async def main() -> list[tuple[int, str]]:
        first = await run_on_loop(command, "a")
        with pytest.raises(ValueError, match="fails"):
            await run_on_loop(command, "fails")
        return [first, await run_on_loop(command, "b"), (0, mark.get())]

    (first, seen_first), (second, seen_second), (_, seen_by_caller) = asyncio.run(main())
    assert first == second
    assert seen_first == seen_second == seen_by_caller == "unset"


def test_at_most_a_bounded_number_of_idle_greenlets_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(on_loop_module, "_KEPT", 2)
    monkeypatch.setattr(on_loop_module._threads, "idle", [])

    async def main() -> list[int]:
        return list(await asyncio.gather(*(run_on_loop(lambda: (pause(0.01), 1)[1]) for _ in range(5))))

    assert asyncio.run(main()) == [1] * 5
    assert len(on_loop_module._idle()) == 2


def test_the_commands_of_one_loop_turn_start_on_the_next_one_after_another() -> None:
    """Every request of a turn does its own work up to its command first (interfaces.http.stages)."""
    order: list[str] = []

    async def request(name: str) -> None:
        order.append(f"{name} arrives")
        await run_on_loop(order.append, f"{name} runs its command")

    async def main() -> None:
        await asyncio.gather(request("a"), request("b"))

    asyncio.run(main())
    assert order == ["a arrives", "b arrives", "a runs its command", "b runs its command"]


def test_a_blocking_call_runs_in_a_worker_thread_while_the_loop_serves_others() -> None:
    ticks: list[float] = []

    def command() -> tuple[int, bool]:
        assert on_loop()
        return blocking(lambda: (time.sleep(0.2), threading.get_ident())[1]), on_loop()

    async def ticker() -> None:
        for _ in range(5):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    async def main() -> tuple[int, bool]:
        answer, _ = await asyncio.gather(run_on_loop(command), ticker())
        return answer

    worker, still_on_loop = asyncio.run(main())
    assert worker != threading.get_ident() and still_on_loop
    assert len(ticks) == 5 and ticks[-1] - ticks[0] < 0.19  # the loop ticked during the 0.2 s call


def test_in_a_thread_the_same_calls_block_where_they_are() -> None:
    lock = threading.Lock()
    started = time.monotonic()
    acquire(lock)
    pause(0.05)
    assert lock.locked() and time.monotonic() - started >= 0.05
    assert blocking(threading.get_ident) == threading.get_ident()
    refuse_on_loop("nothing")  # not on a loop: allowed


def test_commands_of_one_loop_take_turns_on_a_lock_without_deadlock() -> None:
    lock, order = threading.Lock(), []

    def command(name: str) -> None:
        acquire(lock)
        try:
            order.append(f"{name} in")
            pause(0.02)  # holds the lock across a wait: the other command must not block the loop
            order.append(f"{name} out")
        finally:
            lock.release()

    async def main() -> None:
        await asyncio.wait_for(asyncio.gather(run_on_loop(command, "a"), run_on_loop(command, "b")), 5)

    asyncio.run(main())
    assert order == ["a in", "a out", "b in", "b out"]


def test_a_lock_a_thread_holds_is_awaited_while_the_loop_serves_others() -> None:
    lock, served = threading.Lock(), []
    lock.acquire()
    threading.Timer(0.1, lock.release).start()

    def command() -> bool:
        acquire(lock)
        lock.release()
        return True

    async def other() -> None:
        await asyncio.sleep(0.01)
        served.append(lock.locked())  # the thread still holds it, and this ran meanwhile

    async def main() -> list[bool]:
        return list(await asyncio.gather(run_on_loop(command), other()))

    assert asyncio.run(main())[0] is True and served == [True]


def test_a_cancelled_command_is_told_where_it_waits_and_unwinds() -> None:
    unwound = []

    def command() -> None:
        try:
            pause(10)
        finally:
            unwound.append(True)

    async def main() -> None:
        task = asyncio.create_task(run_on_loop(command))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert unwound == [True]


def test_what_would_block_the_loop_is_refused_there() -> None:
    async def main() -> None:
        await run_on_loop(refuse_on_loop, "a read-model query")

    with pytest.raises(RuntimeError, match="a read-model query would block the event loop"):
        asyncio.run(main())


def test_a_transaction_wakes_each_loop_once_for_all_of_its_commands() -> None:
    """The committer is held in a first transaction while three commands of one loop queue: they
    share the next transaction, and the loop is woken once for the three."""
    release, transactions = threading.Event(), []

    def put(events: Sequence[Any]) -> list[Any]:
        transactions.append(list(events))
        if len(transactions) == 1:
            release.wait(5)
        return list(events)

    committer = GroupCommitter(put)
    first = threading.Thread(target=committer.put, args=(["first"],))
    first.start()
    while not transactions:
        time.sleep(0.001)

    async def main() -> tuple[list[list[str]], int]:
        loop, wakes = asyncio.get_running_loop(), []
        wake = loop.call_soon_threadsafe
        loop.call_soon_threadsafe = lambda *args: (wakes.append(args), wake(*args))[1]  # type: ignore[method-assign]
        commands = asyncio.gather(*(run_on_loop(committer.put, [name]) for name in "abc"))
        await asyncio.sleep(0.05)  # all three queued behind the first transaction
        release.set()
        return await commands, len(wakes)

    answers, wakes = asyncio.run(main())
    first.join()
    assert answers == [["a"], ["b"], ["c"]]
    assert transactions[1:] == [["a", "b", "c"]] and wakes == 1
