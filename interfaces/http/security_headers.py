"""Headers every answer carries, and the Content-Security-Policy every HTML page carries.

The policy lets a page run only scripts from this origin (no inline script, no eval), load
styles, fonts and images from it, and connect only back to it; styles may be inline because
the API reference's bundle inserts its own at run time. Pages cannot be framed elsewhere. A
page that sets one of these headers itself (the sign-in callback's stricter policy) keeps its own.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
ON_HTML = [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()), (b"x-frame-options", b"DENY")]


def security_headers(app: ASGIApp) -> ASGIApp:
    """Middleware: adds the headers to each HTTP answer's start."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = [*ALWAYS, *(ON_HTML if _is_html(headers) else [])]
                message = {**message, "headers": [*headers, *(pair for pair in wanted if pair[0] not in present)]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return handle


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers)
