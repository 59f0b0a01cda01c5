"""Commands that run on the server's event loop, their waits awaited rather than blocked on.

A command route used to hand its command to a worker thread, which loaded the aggregate,
decided, and then slept until the group committer's transaction had committed; the event
loop was woken again when the thread finished. On SQLite that made about 16 thread switches
per config update, each a hand-over of the GIL, and the server spent 1,100 µs of CPU per
update (BENCHMARKS.md, "The command path", fourth pass). A command whose work is the event
store's (load, decide, save) needs no thread: ``run_on_loop`` runs it in a greenlet on the
event loop thread, and where it would wait, on the commit, on a read of the store that misses
the cache, on another command's lock or on a retry's pause, the greenlet hands an awaitable
to the loop and is resumed when it completes. The same code still runs unchanged in a
thread (the CLI, background duties): there each wait simply blocks.

Only code whose every wait goes through this module may run here: a blocking call made
directly would stall every request the process serves. The read models' engine refuses a
connection on the loop (``refuse_on_loop``), so a route that reads a projection from a command
run here fails its tests at once instead of slowing the server quietly.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, ParamSpec, TypeVar, cast

import greenlet

T = TypeVar("T")
P = ParamSpec("P")
_LOCK_POLL_SEC = (0.0002, 0.005)  # the first and the longest pause between tries of a busy lock


_KEPT = 128  # idle command greenlets kept per thread
_DONE = object()  # what a command greenlet hands its parent when its command has finished
Outcome = tuple[object, BaseException | None]  # a finished command's result, or what it raised


class _OnLoop(greenlet.greenlet):
    """Runs commands on the event loop one after another, each in a copy of its caller's
    context; its parent is the greenlet of the loop that runs the command at the time.

    It is kept between commands (up to ``_KEPT`` idle per thread): a new greenlet's first Python
    frame takes a fresh 16 KiB stack chunk (an mmap and a page fault) and its end gives it back
    (an munmap, which makes every core running one of the process's threads flush its TLB):
    7 µs a command alone, 46 µs of the server's CPU per config update under load (BENCHMARKS.md,
    "Tenth pass")."""

    def __init__(self) -> None:
        super().__init__(self._serve)
        self.outcome: Outcome | None = None

    def _serve(self, job: tuple[contextvars.Context, Callable[[], object]]) -> object:
        while True:
            self.outcome = _outcome(*job)
            del job  # an idle greenlet holds nothing of its last command
            idle = _idle()
            if len(idle) >= _KEPT:
                return _DONE  # and ends
            idle.append(self)
            job = self.parent.switch(_DONE)  # type: ignore[union-attr]  # always set by run_on_loop


_threads = threading.local()


def _idle() -> list[_OnLoop]:
    """This thread's idle command greenlets (a greenlet only ever runs in its own thread)."""
    try:
        idle: list[_OnLoop] = _threads.idle
    except AttributeError:
        idle = _threads.idle = []
    return idle


def _outcome(context: contextvars.Context, call: Callable[[], object]) -> Outcome:
    try:
        return context.run(call), None
    except greenlet.GreenletExit:  # the greenlet is collected mid-command: let it end
        raise
    except BaseException as error:  # handed to the caller, the greenlet kept for the next command
        return None, error


async def run_on_loop(command: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``command(*args, **kwargs)`` on this event loop, in the caller's context; every wait it
    makes through ``wait`` is awaited here, so the loop serves other requests meanwhile.

    It starts on the loop's next turn, once every request of this turn has done its work up to
    here: the commands of a turn then run one after another (``interfaces.http.stages`` says
    why)."""
    await asyncio.sleep(0)
    idle = _idle()
    child = idle.pop() if idle else _OnLoop()
    child.parent = greenlet.getcurrent()
    step: Any = child.switch((contextvars.copy_context(), partial(command, *args, **kwargs)))
    while step is not _DONE:
        try:
            outcome = await cast("Awaitable[object]", step)
        except BaseException:  # the command sees the failure (or cancellation) where it waited
            step = child.throw(*sys.exc_info())
        else:
            step = child.switch(outcome)
    assert child.outcome is not None
    (result, error), child.outcome = child.outcome, None
    if error is not None:
        try:
            raise error
        finally:
            del error  # no cycle through this frame and the traceback that holds it
    return cast("T", result)


def on_loop() -> bool:
    """Whether this code runs as a command on the event loop (``run_on_loop``)."""
    return isinstance(greenlet.getcurrent(), _OnLoop)


def wait(awaitable: Awaitable[T]) -> T:
    """Suspend this command until ``awaitable`` completes on the event loop; its result."""
    current = greenlet.getcurrent()
    if not isinstance(current, _OnLoop):
        raise RuntimeError("wait() is for commands running on the event loop (run_on_loop)")
    parent = current.parent
    assert parent is not None  # a greenlet made by run_on_loop always has the loop's as parent
    return cast("T", parent.switch(awaitable))


def blocking(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(...)`` where it may block: directly in a thread, in a worker thread on the loop."""
    if on_loop():
        return wait(asyncio.to_thread(call, *args, **kwargs))
    return call(*args, **kwargs)


def pause(seconds: float) -> None:
    """Sleep; on the loop, let other requests run meanwhile."""
    if on_loop():
        wait(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


def acquire(lock: threading.Lock) -> None:
    """Take ``lock``. On the loop it is tried and retried between short pauses (a lock held by a
    thread is let go without the loop's help; a blocking wait would stall the loop, or deadlock
    on a command of the same loop that holds it)."""
    if not on_loop():
        lock.acquire()
        return
    delay = _LOCK_POLL_SEC[0]
    while not lock.acquire(blocking=False):
        pause(delay)
        delay = min(delay * 2, _LOCK_POLL_SEC[1])


LoopWaiter = tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]


def wake_loops(waiters: Iterable[LoopWaiter]) -> None:
    """Resolve each waiter's future, from any thread: one call into each loop for all of its
    futures (a loop's wake-up is a write to its self-pipe and a hand-over of the GIL). A loop
    that has closed has nobody left to wake; a future already done (cancelled) is left alone."""
    futures: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for loop, future in waiters:
        futures.setdefault(loop, []).append(future)
    for loop, waiting in futures.items():
        try:
            loop.call_soon_threadsafe(_resolve, waiting)
        except RuntimeError:  # the loop closed
            pass


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


def refuse_on_loop(what: str) -> None:
    """Raise if called from a command on the event loop: ``what`` would block every request."""
    if on_loop():
        raise RuntimeError(f"{what} would block the event loop: run this command in a thread, or wait through on_loop")
