"""``X-Read-Model-Incomplete: <projection>[, ...]``: an answer read from a projection that set
aside some of this user's events (dead letters, see ``projections.dead_letters``) says so.

A query notes the projections it waits for (``await_projection``) and the user it serves
(authentication); this middleware adds the header to the answer, whatever its status (a 404
may be the missing event), from the runtime's in-memory map: no database round trip.
"""

from __future__ import annotations

from contextvars import ContextVar
from uuid import UUID

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from projections.dead_letters import IncompleteReads

HEADER = b"x-read-model-incomplete"


class _ReadNote:
    """What one request read: a mutable holder, so notes taken in dependency tasks (which run
    on a copy of the context) reach the middleware too."""

    __slots__ = ("user_id", "projections")

    def __init__(self) -> None:
        self.user_id: UUID | None = None
        self.projections: set[str] = set()


_note: ContextVar[_ReadNote | None] = ContextVar("read_note", default=None)


def note_user(user_id: UUID) -> None:
    if (note := _note.get()) is not None:
        note.user_id = user_id


def note_projection(name: str) -> None:
    if (note := _note.get()) is not None:
        note.projections.add(name)


def incomplete_reads_header(app: ASGIApp) -> ASGIApp:
    """Middleware: marks a read answered from read models that are not yet whole."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        note = _ReadNote()
        token = _note.set(note)
        incomplete: IncompleteReads = scope["litestar_app"].state.system.projections.incomplete

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and note.user_id is not None and note.projections:
                names = incomplete.of(note.user_id, note.projections)
                if names:
                    headers = [*message.get("headers", []), (HEADER, ", ".join(names).encode())]
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await app(scope, receive, send_marked)
        finally:
            _note.reset(token)

    return handle
