"""Requests handled in stages: each stage done for every request of one turn of the event loop,
one request after another, before any request starts the next stage.

Under load one turn of the event loop takes in many requests (the benchmarks' 16 clients send
theirs together). Run as they came, each went through the whole of the server's path before the
next began: middleware and authentication, its route's dependencies and body, its command, its
answer. A pause (``asyncio.sleep(0)``: the rest waits for the loop's next turn) at the end of a
stage lets every request of the turn finish that stage first. Three pauses, where measurements
found a gain: this middleware's, after authentication and the idempotency check (it is the
innermost) and before each answer is sent; and one before a command
(``application.on_loop.run_on_loop``). Each costs a turn of the loop, a few microseconds; a lone
request is not held up by more than that.

Measured in one server process with the pauses switched on and off between 3 s windows (so the
machine's phases fall alike on both; BENCHMARKS.md, "Eleventh pass"): config reads 10% more a
second (strong and ``consistency=eventual`` alike; server CPU per read 124 → 112 µs); config
updates 1-16% more, by the run (median of the runs' medians about 4%; the pauses never measured
a loss), and 14% more against the code before, fresh servers turn about (``bench.ab``). Pauses
at other places gained nothing: before the whole middleware stack, after authentication alone.
Why it pays, we believe, is the CPU's caches (one stage's code and objects serve the requests
back to back): in py-spy's samples of reads without a pause, every function after the handler
took about twice the share it took with one; the group commit's batches were as large either
way (15 commands). This machine's virtual CPUs expose no cache counters to confirm it.
"""

from __future__ import annotations

import asyncio

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def in_stages(app: ASGIApp) -> ASGIApp:
    """Middleware (the innermost): an HTTP request enters its route on the loop's next turn, and
    its answer leaves on the turn after the one that made it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return

        async def send_a_turn_later(message: Message) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(0)
            await send(message)

        await asyncio.sleep(0)
        await app(scope, receive, send_a_turn_later)

    return middleware
