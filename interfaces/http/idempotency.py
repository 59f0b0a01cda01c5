"""``Idempotency-Key``: a client that retries a command with the same key gets the original
answer, not a second execution.

A command sent with a key first claims it: a row keyed by (user, key) holding a fingerprint
of the request (method, path, query, body), a lease and a log position at or below where its
events will land (``LogHead.floor``: what this process last knew of the head). The answer is
stored when the request ends, and a retry within the retention window replays it
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

The claims and the answers of concurrent requests are written together: one thread writes
everything queued while its previous transaction ran in one transaction (``Batches``, as the
event store's group commit does), every new claim in one ``INSERT ... ON CONFLICT DO NOTHING``
and every request's end in one ``UPDATE`` executed for all of them; only the claim of a key
already known is looked at alone. Each in a transaction of its own in a worker thread, a
config update with a key ran at a seventh of the rate of one without (SQLite: every claim
and answer waited its turn for the read models' write lock; PostgreSQL: a commit each):
``bench.ab --keyed``, BENCHMARKS.md "Tenth pass".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, cast
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
    Connection,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from application.group_commit import Batches
from application.settings import Settings
from domain.errors import Conflict, DomainError, RuleViolation
from interfaces.http.bodies import ErrorBody
from interfaces.http.context import authenticated_user, idempotency_key, system_of
from projections.database import write_transaction

FIELD = "Idempotency-Key"
_HEADER_NAME = FIELD.lower().encode("latin-1")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLAYED_HEADERS = frozenset({"content-type", "location", "etag"})
TRANSIENT_4XX = frozenset({408, 409, 425, 429})
PRUNES_PER_RETENTION = 24  # expired keys are deleted with a batch of writes at most this often per window
WRITES_PER_TRANSACTION = 200

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


class _Claim(msgspec.Struct, frozen=True):
    """A request's claim of its user's key, as its row would be inserted."""

    user_id: UUID
    key: str
    fingerprint: str
    created_at: float
    lease_until: float
    started_at_position: int


class _Finish(msgspec.Struct, frozen=True):
    """A request's end: its answer kept (``status`` set) or its key let go (all None)."""

    user_id: UUID
    key: str
    status: int | None = None
    headers: list[tuple[str, str]] | None = None
    body: bytes | None = None


# Every request's end in one statement (executed for many at once): the lease let go with it.
_FINISH = (
    update(KEYS)
    .where((KEYS.c.user_id == bindparam("u")) & (KEYS.c.key == bindparam("k")))
    .values(status=bindparam("s"), headers=bindparam("h"), body=bindparam("b"), lease_until=0.0)
)


class IdempotencyKeys:
    """The claimed keys and their answers (the ``idempotency_keys`` table)."""

    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.retention = settings.idempotency_retention_sec
        self.lease = settings.idempotency_lease_sec
        self.clock = clock
        self._next_prune = 0.0
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        # Known keys are no error (one would end the whole transaction on PostgreSQL); the rows
        # inserted come back.
        self._insert_new = dialect.insert(KEYS).on_conflict_do_nothing().returning(KEYS.c.user_id, KEYS.c.key)
        self._writes: Batches[_Claim | _Finish, Any] = Batches(
            self._write_all, "idempotency-keys", limit=WRITES_PER_TRANSACTION
        )

    async def claim(self, user_id: UUID, key: str, fingerprint: str, head: int) -> Answer | Recover | None:
        """Claim the user's key for this request (None: go ahead), or the stored answer to
        replay, or a take-over (``Recover``); a 422 for another request, a 409 while running."""
        now = self.clock()
        claim = _Claim(user_id, key, fingerprint, now, now + self.lease, head)
        return cast("Answer | Recover | None", await self._writes.submit(claim))

    async def store(self, user_id: UUID, key: str, answer: Answer) -> None:
        """Keep the request's answer for retries."""
        await self._writes.submit(_Finish(user_id, key, answer.status, answer.headers, answer.body))

    async def release(self, user_id: UUID, key: str) -> None:
        """The request ended without an answer worth keeping: a retry may take the key over."""
        await self._writes.submit(_Finish(user_id, key))

    def _write_all(self, writes: list[_Claim | _Finish]) -> list[Any]:
        """Everyone's writes in one transaction: the ends first (a retry queued with its
        original's end gets its answer), then every new claim in one ``INSERT``, then, one by one,
        the claims of keys already known. A refusal (422, 409) is its own request's answer."""
        outcomes: dict[int, Any] = {}
        with write_transaction(self.engine) as connection:
            self._prune(connection)
            finishes = [write for write in writes if isinstance(write, _Finish)]
            if finishes:
                rows = [{"u": f.user_id, "k": f.key, "s": f.status, "h": f.headers, "b": f.body} for f in finishes]
                connection.execute(_FINISH, rows)
            claims = {index: write for index, write in enumerate(writes) if isinstance(write, _Claim)}
            new: set[tuple[UUID, str]] = set()
            if claims:
                rows = [msgspec.structs.asdict(claim) for claim in claims.values()]
                new = {(row[0], row[1]) for row in connection.execute(self._insert_new, rows)}
            for index, claim in claims.items():
                if (claim.user_id, claim.key) in new:
                    new.discard((claim.user_id, claim.key))  # a second claim of it in this batch is known
                    outcomes[index] = None
                    continue
                try:
                    outcomes[index] = self._claim_known(connection, claim)
                except DomainError as error:  # nothing written before it: the transaction goes on
                    outcomes[index] = error
        return [outcomes.get(index) for index in range(len(writes))]

    def _claim_known(self, connection: Connection, claim: _Claim) -> Answer | Recover | None:
        """The claim of a key that has a row: what became of its request?"""
        mine = (KEYS.c.user_id == claim.user_id) & (KEYS.c.key == claim.key)
        while True:
            found = connection.execute(select(KEYS).where(mine).with_for_update()).one_or_none()
            if found is None or found.created_at <= claim.created_at - self.retention:
                connection.execute(delete(KEYS).where(mine))  # expired (or pruned meanwhile): a new request
                if connection.execute(self._insert_new.values(msgspec.structs.asdict(claim))).first() is not None:
                    return None
                continue
            if found.fingerprint != claim.fingerprint:
                raise RuleViolation(f"this {FIELD} was used for a different request; use a new key", FIELD)
            if found.status is not None:
                return Answer(found.status, [tuple(pair) for pair in found.headers], found.body)
            if found.lease_until > claim.created_at:
                raise Conflict(f"a request with this {FIELD} is still in progress; retry shortly", FIELD)
            connection.execute(update(KEYS).where(mine).values(lease_until=claim.lease_until))
            return Recover(found.started_at_position)

    def _prune(self, connection: Connection) -> None:
        now = self.clock()
        if now < self._next_prune:
            return
        self._next_prune = now + self.retention / PRUNES_PER_RETENTION
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
        system = system_of(request.app.state)
        request_print = fingerprint(scope, await request.body())
        # Where a search for this command's events would start, should its answer be lost: any
        # position at or below them does, and the floor costs no read (12% of the loop's time).
        start = system.log_head.floor() or await system.log_head.current()
        claimed = await keys.claim(user_id, key, request_print, start)
        if isinstance(claimed, Recover):
            position = await anyio.to_thread.run_sync(system.store.find_command, user_id, key, claimed.after)
            if position is not None:
                claimed = _applied_answer(position)
                await keys.store(user_id, key, claimed)
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
            await keys.release(user_id, key)
            raise
        if status is not None and status < 500 and status not in TRANSIENT_4XX:
            await keys.store(user_id, key, Answer(status, headers, b"".join(chunks)))
        else:
            await keys.release(user_id, key)


async def _replay(answer: Answer, send: Send) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
    headers += [(b"content-length", str(len(answer.body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})
