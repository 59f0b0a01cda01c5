"""Where a request's CPU goes, thread by thread, with no sockets in the way.

    .venv/bin/python -m bench.threads [--request update|read|version] [--backend sqlite|postgres] [--seconds 3]

The app (``create_app``, its lifespan and background duties running) is called through ASGI
directly by 16 concurrent clients in this process: no uvicorn, no load generator sharing the
two cores. Each round prints requests/s, the process's CPU per request, and each thread's CPU
per request from ``/proc/self/task/<id>/stat``: the event loop (``MainThread``), the group
committer, the projection runner and the rest. ``update`` is ``bench.run``'s config update
(one event each), ``read`` its read-your-writes config read, ``version`` the trivial
authenticated ``GET /v1/version``. The real server adds uvicorn's parsing and the socket
transport (about 55 µs per request on the event loop, BENCHMARKS.md "Eighth pass").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Litestar

from bench.run import cpu_seconds, prepare, say
from interfaces.http.app import create_app
from tests.support import fresh_database

CLIENTS = 16
Request = Callable[[int, int], tuple[str, str, bytes]]  # (client, number) -> method, path, body


def requests(kind: str) -> Request:
    def update(client: int, number: int) -> tuple[str, str, bytes]:
        body = json.dumps({"maxWorkers": 7 + number % 2}).encode()
        return "PATCH", f"/v1/manufacturing/containers/c{client}/config", body

    def read(client: int, number: int) -> tuple[str, str, bytes]:
        return "GET", f"/v1/manufacturing/containers/c{client}/config", b""

    def version(client: int, number: int) -> tuple[str, str, bytes]:
        return "GET", "/v1/version", b""

    return {"update": update, "read": read, "version": version}[kind]


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far of each live thread of this process, by name."""
    cpu: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            used = cpu_seconds(Path(f"/proc/self/task/{thread.native_id}/stat"))
        except OSError:  # ended meanwhile
            continue
        cpu[thread.name] = cpu.get(thread.name, 0.0) + used
    return cpu


async def call(app: Litestar, token: str, method: str, path: str, body: bytes) -> int:
    """One request through the app's ASGI interface; its status."""
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "state": {},
    }
    received = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:  # the answer is complete before the app would ask again
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)  # type: ignore[arg-type]
    return status


async def rounds(app: Litestar, token: str, request: Request, seconds: float, count: int) -> None:
    async def client(number: int, deadline: float, done: list[int]) -> None:
        sent = 0
        while time.perf_counter() < deadline:
            sent += 1
            status = await call(app, token, *request(number, sent))
            assert status < 400, status
            done[0] += 1

    async with app.lifespan():
        for round_number in range(count + 1):  # the first warms up
            done = [0]
            started, cpu, threads = time.perf_counter(), time.process_time(), thread_cpu()
            await asyncio.gather(*(client(n, started + seconds, done) for n in range(CLIENTS)))
            elapsed, used, after = time.perf_counter() - started, time.process_time() - cpu, thread_cpu()
            if round_number:
                per = {name: (after[name] - threads.get(name, 0.0)) * 1e6 / done[0] for name in after}
                split = ", ".join(
                    f"{name} {us:.0f}" for name, us in sorted(per.items(), key=lambda kv: -kv[1]) if us >= 1
                )
                say(f"  {done[0] / elapsed:,.0f}/s, {used * 1e6 / done[0]:.0f} µs CPU per request: {split}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--request", choices=["update", "read", "version"], default="update")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    with fresh_database(arguments.backend) as url:
        system, token, _ = prepare(url, CLIENTS)
        try:
            say(f"[{arguments.backend}] {arguments.request}, {CLIENTS} clients in process:")
            asyncio.run(
                rounds(create_app(system), token, requests(arguments.request), arguments.seconds, arguments.rounds)
            )
        finally:
            system.close()


if __name__ == "__main__":
    main()
