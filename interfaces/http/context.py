"""What every request carries: the authenticated user, command metadata, expected versions,
and the read-your-writes wait for queries."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Annotated, Any, TypeVar
from uuid import UUID

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.params import QueryParameter

from application.system import Manufactory
from domain.errors import InvalidInput
from domain.events import CommandMeta
from domain.limits import INT64_MAX
from domain.users import hash_token
from interfaces.http.errors import ProjectionLagging
from projections.cache import ReadCache
from projections.users import user_for_token_hash

MAX_ID_HEADER = 128
T = TypeVar("T")


class TokenCache:
    """Recently seen token hashes -> user id. Tokens are never revoked yet, so an entry can
    only go stale by age; a short TTL bounds that once revocation exists."""

    def __init__(self, size: int = 4096, ttl_sec: float = 60.0) -> None:
        self._entries: OrderedDict[str, tuple[UUID, float]] = OrderedDict()
        self._size = size
        self._ttl = ttl_sec
        self._lock = Lock()

    def get(self, token_hash: str) -> UUID | None:
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None or entry[1] < time.monotonic():
                return None
            self._entries.move_to_end(token_hash)
            return entry[0]

    def put(self, token_hash: str, user_id: UUID) -> None:
        with self._lock:
            self._entries[token_hash] = (user_id, time.monotonic() + self._ttl)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def system_of(state: State) -> Manufactory:
    return state.system  # type: ignore[no-any-return]


async def authenticated_user(request: ASGIConnection[Any, Any, Any, Any]) -> UUID:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("send 'Authorization: Bearer <token>'")
    token_hash = hash_token(token.strip())
    cache: TokenCache = request.app.state.token_cache
    user_id = cache.get(token_hash)
    if user_id is None:
        user_id = await read_model(system_of(request.app.state), user_for_token_hash, token_hash)
        if user_id is None:
            raise NotAuthorizedException("unknown or invalid token")
        cache.put(token_hash, user_id)
    return user_id


class BearerAuthentication(AbstractAuthenticationMiddleware):
    """The token is checked before a handler reads its body or parameters: without a valid
    token every route but the public ones answers 401, whatever else is wrong with the request
    (and nothing of the request is parsed for a stranger)."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        return AuthenticationResult(user=await authenticated_user(connection), auth=None)


async def current_user(request: Request) -> UUID:
    """The ``user_id`` dependency: whom ``BearerAuthentication`` let in."""
    return request.user  # type: ignore[no-any-return]


def _id_header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID_HEADER:
        raise InvalidInput(f"must be 1-{MAX_ID_HEADER} characters", name)
    return value


async def command_meta(request: Request, user_id: NamedDependency[UUID]) -> CommandMeta:
    """Who is acting and why: the correlation id comes from ``X-Correlation-ID`` (or is new),
    the causation id from ``X-Causation-ID`` when one command caused this one."""
    return CommandMeta(
        user_id=user_id,
        correlation_id=_id_header(request, "X-Correlation-ID") or str(uuid.uuid4()),
        causation_id=_id_header(request, "X-Causation-ID"),
    )


async def expected_version(request: Request) -> int | None:
    """``If-Match: "<version>"`` makes the command conditional on the aggregate's version."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput('If-Match must be an aggregate version, e.g. If-Match: "3"', "If-Match")
    return int(text)


async def await_projection(system: Manufactory, name: str, min_position: int | None) -> None:
    """Read-your-writes: wait (bounded) until projection ``name`` has applied ``min_position``."""
    if not min_position or system.signal.known_position(name) >= min_position:
        return
    deadline = time.monotonic() + system.settings.consistency_timeout_sec
    while True:
        position = await anyio.to_thread.run_sync(system.projections.position, name)
        if position >= min_position:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProjectionLagging(
                f"projection {name!r} is at position {position}, not yet at {min_position}; retry shortly"
            )
        await system.signal.changed(timeout=min(0.1, remaining))


MinPosition = Annotated[
    int | None,
    QueryParameter(
        name="minPosition", ge=0, le=INT64_MAX, description="Wait until the read model has applied this log position"
    ),
]


async def read_model(system: Manufactory, query: Callable[..., T], *args: Any) -> T:
    """Run a query function of the projections on a read-model connection, off the event loop."""

    def run() -> T:
        with system.query_engine.connect() as connection:
            return query(connection, *args)

    return await anyio.to_thread.run_sync(run)


async def read_cached(
    system: Manufactory,
    cache: ReadCache[T],
    key: Hashable,
    min_position: int | None,
    query: Callable[..., T],
    *args: Any,
) -> T:
    """``read_model`` through a read cache: from memory while the projection has not moved
    since the value was read (and it satisfies ``min_position``), else read and remembered."""
    found, value = cache.lookup(key, min_position or 0)
    if found:
        return value  # type: ignore[return-value]
    position = cache.position()  # taken before the read: the value reflects at least this
    value = await read_model(system, query, *args)
    cache.store(key, position, value)
    return value
