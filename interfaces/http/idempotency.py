"""``Idempotency-Key``: a client that retries a command with the same key gets the original
answer, not a second execution.

A command sent with a key first claims it: a row keyed by (user, key) holding a fingerprint
of the request (method, path, query, body), a lease and the log head at the start. The
answer is stored when the request ends, and a retry within the retention window replays it
(status, body, Location/ETag) with ``Idempotent-Replayed: true``. The same key for another
request is a 422 naming ``Idempotency-Key``. A duplicate arriving while the first is still
running is a 409 at once, not a wait: waiting would hold a worker and a database connection
for as long as the command runs, and another server process could only poll for it; the
client retries shortly and then gets the replay.

Only deterministic answers are kept: 2xx and 4xx, but not the transient 4xx (408, 409, 425,
429: "try again" must not be replayed for a day) nor a 5xx (the next try may succeed). Such a
request releases its key instead. It may still have been applied (a 5xx after the COMMIT, or
a server that died before storing the answer: its lease runs out), so the next request with
that key first searches the log after the claim's start for events carrying the key as their
command id. If it finds them, the command was applied and its answer is lost: the retry gets
a 409 naming the log position it was applied at (and that answer is kept), never a second
execution. What remains: that answer is not the original body, and a server dying mid-request
holds the key for the lease (``idempotency_lease_sec``) before a retry can take it over.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from application.settings import Settings
from domain.errors import Conflict, RuleViolation
from interfaces.http.bodies import ErrorBody
from interfaces.http.context import authenticated_user, idempotency_key, system_of
from projections.database import write_transaction

FIELD = "Idempotency-Key"
_HEADER_NAME = FIELD.lower().encode("latin-1")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLAYED_HEADERS = frozenset({"content-type", "location", "etag"})
TRANSIENT_4XX = frozenset({408, 409, 425, 429})
PRUNES_PER_RETENTION = 24  # expired keys are deleted on a claim at most this often per window

KEYS = Table(
    "idempotency_keys",
    MetaData(),
    Column("user_id", Uuid, primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("lease_until", Float, nullable=False),
    Column("started_at_position", BigInteger, nullable=False),
    Column("status", Integer),
    Column("headers", JSON),
    Column("body", LargeBinary),
)


class Answer(msgspec.Struct, frozen=True):
    """A stored answer: what a retry with the same key gets."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Recover(msgspec.Struct, frozen=True):
    """The key was taken over from a request that never stored an answer: its events, if it
    was applied, come after log position ``after``."""

    after: int


class IdempotencyKeys:
    """The claimed keys and their answers (the ``idempotency_keys`` table)."""

    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.retention = settings.idempotency_retention_sec
        self.lease = settings.idempotency_lease_sec
        self.clock = clock
        self._next_prune = 0.0

    def claim(self, user_id: UUID, key: str, fingerprint: str, head: int) -> Answer | Recover | None:
        """Claim the user's key for this request (None: go ahead), or the stored answer to
        replay, or a take-over (``Recover``); a 422 for another request, a 409 while running."""
        now = self.clock()
        self._prune(now)
        row = {"user_id": user_id, "key": key, "fingerprint": fingerprint, "created_at": now}
        row |= {"lease_until": now + self.lease, "started_at_position": head}
        while True:
            try:
                with write_transaction(self.engine) as connection:
                    connection.execute(insert(KEYS).values(row))
                return None
            except IntegrityError:
                pass  # the key is known: what became of it?
            with write_transaction(self.engine) as connection:
                mine = (KEYS.c.user_id == user_id) & (KEYS.c.key == key)
                found = connection.execute(select(KEYS).where(mine).with_for_update()).one_or_none()
                if found is None or found.created_at <= now - self.retention:
                    connection.execute(delete(KEYS).where(mine))
                    continue  # expired (or pruned meanwhile): a new request
                if found.fingerprint != fingerprint:
                    raise RuleViolation(f"this {FIELD} was used for a different request; use a new key", FIELD)
                if found.status is not None:
                    return Answer(found.status, [tuple(pair) for pair in found.headers], found.body)
                if found.lease_until > now:
                    raise Conflict(f"a request with this {FIELD} is still in progress; retry shortly", FIELD)
                connection.execute(update(KEYS).where(mine).values(lease_until=now + self.lease))
                return Recover(found.started_at_position)

    def store(self, user_id: UUID, key: str, answer: Answer) -> None:
        """Keep the request's answer for retries."""
        self._set(user_id, key, status=answer.status, headers=answer.headers, body=answer.body, lease_until=0.0)

    def release(self, user_id: UUID, key: str) -> None:
        """The request ended without an answer worth keeping: a retry may take the key over."""
        self._set(user_id, key, lease_until=0.0)

    def _set(self, user_id: UUID, key: str, **values: Any) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(update(KEYS).where((KEYS.c.user_id == user_id) & (KEYS.c.key == key)).values(values))

    def _prune(self, now: float) -> None:
        if now < self._next_prune:
            return
        self._next_prune = now + self.retention / PRUNES_PER_RETENTION
        with write_transaction(self.engine) as connection:
            connection.execute(delete(KEYS).where(KEYS.c.created_at <= now - self.retention))


def fingerprint(scope: HTTPScope, body: bytes) -> str:
    """What makes two requests the same: method, path, query string and body."""
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _applied_answer(position: int) -> Answer:
    detail = (
        f"the request with this {FIELD} was applied (log position {position}) but its answer was lost; "
        "read the current state instead of retrying"
    )
    body = msgspec.json.encode(ErrorBody(error="already_applied", detail=detail, field=FIELD))
    return Answer(409, [("content-type", "application/json")], body)


class IdempotencyMiddleware:
    """Runs commands sent with an ``Idempotency-Key`` at most once per user and key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope["method"] not in UNSAFE_METHODS
            or all(name.lower() != _HEADER_NAME for name, _ in scope["headers"])  # most commands: no Request built
        ):
            await self.app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        try:  # authentication first: without a valid token nothing else is looked at
            user_id = await authenticated_user(request)
        except NotAuthorizedException:
            await self.app(scope, receive, send)  # the route answers the 401, as without a key
            return
        key = idempotency_key(request)
        assert key is not None
        keys: IdempotencyKeys = request.app.state.idempotency
        store = system_of(request.app.state).store
        request_print = fingerprint(scope, await request.body())
        head = await anyio.to_thread.run_sync(store.head)
        claimed = await anyio.to_thread.run_sync(keys.claim, user_id, key, request_print, head)
        if isinstance(claimed, Recover):
            position = await anyio.to_thread.run_sync(store.find_command, user_id, key, claimed.after)
            if position is not None:
                claimed = _applied_answer(position)
                await anyio.to_thread.run_sync(keys.store, user_id, key, claimed)
        if isinstance(claimed, Answer):
            await _replay(claimed, send)
            return
        await self._run(scope, receive, send, keys, user_id, key)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, keys: IdempotencyKeys, user_id: UUID, key: str
    ) -> None:
        status: int | None = None
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.decode("latin-1").lower() in REPLAYED_HEADERS:
                        headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await anyio.to_thread.run_sync(keys.release, user_id, key)
            raise
        if status is not None and status < 500 and status not in TRANSIENT_4XX:
            await anyio.to_thread.run_sync(keys.store, user_id, key, Answer(status, headers, b"".join(chunks)))
        else:
            await anyio.to_thread.run_sync(keys.release, user_id, key)


async def _replay(answer: Answer, send: Send) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
    headers += [(b"content-length", str(len(answer.body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})
