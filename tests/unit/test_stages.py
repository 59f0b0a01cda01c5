"""Requests handled in stages (interfaces.http.stages): every request of a loop turn gets
through the middleware before any enters its route, and every answer is made before any leaves."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Litestar, Request, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from interfaces.http.stages import in_stages

ORDER: list[str] = []


def recorded(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def leaves(message: Message) -> None:
            if message["type"] == "http.response.start":
                ORDER.append(f"{scope['path']} answer leaves")
            await send(message)

        ORDER.append(f"{scope['path']} through the middleware")
        await app(scope, receive, leaves)

    return middleware


@get(["/a", "/b"], sync_to_thread=False)
def route(request: Request[Any, Any, Any]) -> str:
    ORDER.append(f"{request.url.path} in its route")
    return "ok"


async def call(app: Litestar, path: str) -> int:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)  # type: ignore[arg-type]
    return status


def test_a_loop_turns_requests_pass_the_middleware_then_enter_their_routes_then_answer_together() -> None:
    app = Litestar([route], middleware=[recorded, in_stages])
    ORDER.clear()

    async def main() -> list[int]:
        return list(await asyncio.gather(call(app, "/a"), call(app, "/b")))

    assert asyncio.run(main()) == [200, 200]
    assert ORDER == [
        "/a through the middleware",
        "/b through the middleware",
        "/a in its route",
        "/b in its route",
        "/a answer leaves",
        "/b answer leaves",
    ]
