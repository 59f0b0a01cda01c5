"""A bounded HTTP/1.1 keep-alive load generator for 127.0.0.1.

Each of ``concurrency`` clients holds one connection and sends its next request as soon as
the previous answer is read, until ``seconds`` pass or ``max_requests`` are sent. Pure
asyncio with pre-built request bytes, so the generator costs the 2-core machine as little
as possible and the same for every endpoint compared.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

import msgspec


class LoadResult(msgspec.Struct, frozen=True):
    requests: int
    seconds: float
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def ok(self) -> int:
        return sum(count for status, count in self.statuses.items() if status < 400)


RequestFactory = Callable[[int, int], bytes]  # (client number, request number) -> request bytes


def request_bytes(method: str, path: str, token: str | None = None, body: bytes | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _client(
    port: int, number: int, make: RequestFactory, deadline: float, budget: list[int], statuses: Counter[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            writer.write(make(number, sent))
            sent += 1
            statuses[await _read_response(reader)] += 1
    finally:
        writer.close()


async def _run(port: int, make: RequestFactory, concurrency: int, seconds: float, max_requests: int) -> LoadResult:
    statuses: Counter[int] = Counter()
    budget = [max_requests]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_client(port, n, make, deadline, budget, statuses) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    return LoadResult(requests=sum(statuses.values()), seconds=elapsed, statuses=dict(statuses))


def load(
    port: int, make: RequestFactory, *, concurrency: int = 16, seconds: float = 5.0, max_requests: int = 1_000_000
) -> LoadResult:
    return asyncio.run(_run(port, make, concurrency, seconds, max_requests))
