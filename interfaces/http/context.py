"""What every request carries: the authenticated user, command metadata, expected versions,
and the read-your-writes wait for queries."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from threading import Lock
from typing import Annotated, Any, Literal, TypeVar, get_args
from uuid import UUID

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.params import HeaderParameter, QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import Engine

from application.system import Manufactory
from domain.errors import InvalidInput
from domain.events import CommandMeta, utcnow
from domain.limits import INT64_MAX
from domain.users import hash_token
from interfaces.http.errors import ProjectionLagging
from interfaces.http.incomplete import note_projection, note_user
from projections.cache import ReadCache
from projections.database import write_transaction
from projections.users import TokenHolder, record_token_use, token_holder

MAX_ID_HEADER = 128
T = TypeVar("T")
log = logging.getLogger(__name__)


class TokenCache:
    """Recently seen token hashes -> their holder, kept at most ``ttl_sec``: a token revoked
    (or a holder's admin right withdrawn) in another process stops working here within the
    TTL; in this process at once, since the revoking route calls ``clear``. A holder read more
    than half the TTL ago is read again in the background by the next request that uses it
    (one read per token at a time), which is served from the cache meanwhile: a token in
    steady use never makes a request wait for its lookup, and the requests in flight when its
    entry would have run out do not all read it at once. It also remembers when each token's
    use was last recorded, so "last used" costs at most one write per token every
    ``use_interval_sec``."""

    def __init__(
        self,
        size: int = 4096,
        ttl_sec: float = 10.0,
        use_interval_sec: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._entries: OrderedDict[str, tuple[TokenHolder, float]] = OrderedDict()  # holder, read at
        self._refreshing: set[str] = set()
        self._used: OrderedDict[UUID, float] = OrderedDict()
        self._size = size
        self._ttl = ttl_sec
        self._use_interval = use_interval_sec
        self._generation = 0
        self._lock = Lock()

    def stamp(self) -> int:
        """Take before reading a holder from the database; ``put`` it with this stamp."""
        with self._lock:
            return self._generation

    def get(self, token_hash: str) -> tuple[TokenHolder | None, int | None]:
        """The holder if known within the TTL, and a stamp if the caller is to read it again (it
        is older than half the TTL and nobody is reading it yet): then ``put`` what it read."""
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None:
                return None, None
            age = self._clock() - entry[1]
            if age >= self._ttl:
                return None, None
            self._entries.move_to_end(token_hash)
            if age < self._ttl / 2 or token_hash in self._refreshing:
                return entry[0], None
            self._refreshing.add(token_hash)
            return entry[0], self._generation

    def put(self, token_hash: str, holder: TokenHolder | None, stamp: int) -> None:
        """Remember a holder read since ``stamp`` (None: the token is unknown or revoked now, so
        forget it), unless the cache was cleared meanwhile (the read may predate a revocation)."""
        with self._lock:
            self._refreshing.discard(token_hash)
            if stamp != self._generation:
                return
            if holder is None:
                self._entries.pop(token_hash, None)
                return
            self._entries[token_hash] = (holder, self._clock())
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def refresh_failed(self, token_hash: str) -> None:
        """A background read failed: the next request may try again (the entry still runs out)."""
        with self._lock:
            self._refreshing.discard(token_hash)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def use_due(self, token_id: UUID) -> bool:
        """Whether this use of the token should be recorded (and, if so, it counts as done)."""
        now = self._clock()
        with self._lock:
            last = self._used.get(token_id)
            if last is not None and now - last < self._use_interval:
                return False
            self._used[token_id] = now
            self._used.move_to_end(token_id)
            while len(self._used) > self._size:
                self._used.popitem(last=False)
            return True


def system_of(state: State) -> Manufactory:
    return state.system  # type: ignore[no-any-return]  # Litestar's State is untyped


def _bearer_token(request: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _holder(request: ASGIConnection[Any, Any, Any, Any], token: str) -> TokenHolder | None:
    token_hash = hash_token(token)
    cache: TokenCache = request.app.state.token_cache
    holder, refresh = cache.get(token_hash)
    if holder is None:
        return await _look_up(system_of(request.app.state), cache, token_hash, cache.stamp())
    if refresh is not None:
        system = system_of(request.app.state)
        _refreshing.add(task := asyncio.create_task(_refresh(system, cache, token_hash, refresh)))
        task.add_done_callback(_refreshing.discard)
    return holder


_refreshing: set[asyncio.Task[None]] = set()  # the background reads of tokens in use (kept from collection)


async def _look_up(system: Manufactory, cache: TokenCache, token_hash: str, stamp: int) -> TokenHolder | None:
    # from the primary: a token issued or revoked a moment ago is known there at once
    holder = await _read(system.query_engine, token_holder, token_hash)
    cache.put(token_hash, holder, stamp)
    return holder


async def _refresh(system: Manufactory, cache: TokenCache, token_hash: str, stamp: int) -> None:
    try:
        await _look_up(system, cache, token_hash, stamp)
    except Exception:  # the database may be down: the entry runs out, and the next request reads it
        log.warning("could not read a token's holder again; its cache entry runs out", exc_info=True)
        cache.refresh_failed(token_hash)


async def authenticate(request: ASGIConnection[Any, Any, Any, Any]) -> TokenHolder:
    """The holder of the request's bearer token: a 401 without one, for an unknown or revoked
    one, and (saying so) for an expired one."""
    token = _bearer_token(request)
    if token is None:
        raise NotAuthorizedException("send 'Authorization: Bearer <token>'")
    return await token_holder_of(request, token)


async def token_holder_of(request: ASGIConnection[Any, Any, Any, Any], token: str) -> TokenHolder:
    """The holder of ``token`` however the request carried it (the API's header, the console's
    session cookie): one lookup, one expiry rule, one record of use for both. A 401 for an
    unknown, revoked or expired token."""
    holder = await _holder(request, token)
    if holder is None:
        raise NotAuthorizedException("unknown or invalid token")
    if holder.expires_at is not None and holder.expires_at <= utcnow():
        raise NotAuthorizedException(f"the token expired at {holder.expires_at.isoformat()}")
    if request.app.state.token_cache.use_due(holder.token_id):
        await _record_use(system_of(request.app.state), holder.token_id)
    return holder


async def authenticated_user(request: ASGIConnection[Any, Any, Any, Any]) -> UUID:
    user_id = (await authenticate(request)).user_id
    note_user(user_id)  # for X-Read-Model-Incomplete
    return user_id


async def caller_is_admin(request: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """For routes anyone may call that show more to an admin: any failure to authenticate
    (no token, a bad one, the database down) just means "not an admin"."""
    if _bearer_token(request) is None:
        return False
    try:
        return (await authenticate(request)).admin
    except Exception:  # noqa: BLE001 - whatever failed, the caller is not shown to be an admin
        return False


async def _record_use(system: Manufactory, token_id: UUID) -> None:
    def write() -> None:
        with write_transaction(system.read_engine) as connection:
            record_token_use(connection, token_id, utcnow())

    await anyio.to_thread.run_sync(write)


class BearerAuthentication(AbstractAuthenticationMiddleware):
    """The token is checked before a handler reads its body or parameters: without a valid
    token every route but the public ones answers 401, whatever else is wrong with the request
    (and nothing of the request is parsed for a stranger)."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        return AuthenticationResult(user=await authenticated_user(connection), auth=None)


async def current_user(request: Request[Any, Any, Any]) -> UUID:
    """The ``user_id`` dependency: whom ``BearerAuthentication`` let in."""
    return request.user  # type: ignore[no-any-return]  # Request[Any, ...]: set by BearerAuthentication


def _id_header(request: Request[Any, Any, Any], name: str) -> str | None:
    value = request.headers.get(name)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID_HEADER:
        raise InvalidInput(f"must be 1-{MAX_ID_HEADER} characters", name)
    return value


def idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    """The client's ``Idempotency-Key``: 1-128 printable ASCII characters, or absent."""
    key = _id_header(request, "Idempotency-Key")
    if key is not None and not (key.isascii() and key.isprintable()):
        raise InvalidInput("must be printable ASCII characters", "Idempotency-Key")
    return key


async def command_meta(request: Request[Any, Any, Any], user_id: NamedDependency[UUID]) -> CommandMeta:
    """Who is acting and why: the correlation id comes from ``X-Correlation-ID`` (or is new),
    the causation id from ``X-Causation-ID`` when one command caused this one. The command
    id is the client's ``Idempotency-Key`` (the same command when retried), else new."""
    return CommandMeta(
        user_id=user_id,
        correlation_id=_id_header(request, "X-Correlation-ID") or _new_id(),
        causation_id=_id_header(request, "X-Causation-ID"),
        command_id=idempotency_key(request) or _new_id(),
    )


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version's and the variant's bits
_UUID4_SET = (4 << 76) | (0x8000 << 48)  # version 4, variant RFC 4122


def _new_id() -> str:
    """A random (version 4) UUID drawn from ``random``'s generator, which is seeded from the
    system's randomness in each process (and again after a fork): as unique as ``uuid4``, and
    unguessability is not needed of these ids. ``uuid4`` reads ``os.urandom``, a system call
    that lets the GIL go; on the event loop each of those hands the GIL to the committer or the
    runner, and taking it back cost the loop more than the call: 1,774 against 1,465 config
    updates/s, 569 against 715 µs of CPU each (BENCHMARKS.md, "The command path", fourth pass).
    Formatted here rather than through ``uuid.UUID``, whose checks cost four times as much."""
    text = f"{random.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


async def expected_version(request: Request[Any, Any, Any]) -> int | None:
    """``If-Match: "<version>"`` makes the command conditional on the aggregate's version."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput('If-Match must be an aggregate version, e.g. If-Match: "3"', "If-Match")
    return int(text)


Consistency = Literal["strong", "eventual"]
CONSISTENCIES = get_args(Consistency)
CONSISTENCY_PARAMETER = QueryParameter(
    annotation=Consistency,
    name="consistency",
    required=False,
    default="strong",
    description=(
        "strong (the default): answer from read models that have applied every write acknowledged before "
        "this request, waiting up to MANUFACTORY_CONSISTENCY_TIMEOUT_SEC (then 503); "
        "eventual: answer at once from the read models as they are (they trail writes by milliseconds)"
    ),
)


class ReadFloor:
    """What one query must see: every write acknowledged before it arrived (unless it asked for
    ``consistency=eventual``). The store's head is read once per request, when first needed."""

    __slots__ = ("consistency", "_head")

    def __init__(self, consistency: str = "strong") -> None:
        self.consistency = consistency  # checked when used: after authentication, like every parameter
        self._head: int | None = None

    @property
    def eventual(self) -> bool:
        if self.consistency not in CONSISTENCIES:
            raise InvalidInput("must be strong or eventual", "consistency")
        return self.consistency == "eventual"

    async def head(self, system: Manufactory) -> int:
        """The log's head as of (at least) this request's arrival."""
        if self._head is None:
            self._head = await system.log_head.current()
        return self._head

    async def position(self, system: Manufactory, min_position: int | None) -> int:
        """The log position the query's read models must have applied; ``minPosition`` beyond
        the log's head is refused at once (it could only time out)."""
        if min_position is not None and min_position > system.log_head.acknowledged:
            head = await self.head(system)
            if min_position > head:
                detail = f"minPosition {min_position} is beyond the newest log position, {head}"
                raise InvalidInput(detail, "min_position")
        if self.eventual:
            return min_position or 0
        return max(min_position or 0, await self.head(system))


_read_floor: ContextVar[ReadFloor | None] = ContextVar("read_floor", default=None)
REPLICA_POLL_SEC = 0.002  # the first pause between polls of a replica, doubling up to:
REPLICA_POLL_MAX_SEC = 0.1


def read_consistency(app: ASGIApp) -> ASGIApp:
    """Middleware of the query routes: notes the request's ``consistency`` for ``await_projection``
    (declared for the OpenAPI schema as ``CONSISTENCY_PARAMETER``; handlers never see it)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            query = scope["query_string"]
            asked = b"consistency" in query or b"%" in query  # rarely: then parse the query
            _read_floor.set(
                ReadFloor(ASGIConnection(scope).query_params.get("consistency", "strong") if asked else "strong")
            )
        await app(scope, receive, send)

    return middleware


def read_floor() -> ReadFloor:
    """This request's floor (outside the query routes a strong one for each call: the safe default)."""
    return _read_floor.get() or ReadFloor()


async def await_projection(system: Manufactory, name: str, min_position: int | None) -> int:
    """Read-your-writes: wait (bounded) until projection ``name`` has applied every write
    acknowledged before this request (unless it reads ``consistency=eventual``) and
    ``min_position``; returns the position waited for."""
    note_projection(name)  # for X-Read-Model-Incomplete
    floor = await read_floor().position(system, min_position)
    if system.read_signal.known_position(name) >= floor:
        return floor
    system.projections.hurry(floor)  # not after a burst's gathering
    deadline = time.monotonic() + system.settings.consistency_timeout_sec
    pause = REPLICA_POLL_SEC  # between polls of a replica once the primary has the position
    while True:
        position = await anyio.to_thread.run_sync(system.read_position, name)
        if position >= floor:
            return floor
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            field = "minPosition" if min_position is not None and min_position >= floor else "consistency"
            raise ProjectionLagging(
                f"projection {name!r} is at position {position}{' on the read replica' if system.replica else ''}, "
                f"not yet at {floor}; retry shortly"
                + (", or read with consistency=eventual" if field == "consistency" else ""),
                field,
            )
        if system.replica is not None and system.signal.known_position(name) >= floor:
            # The primary's runner has committed it; the replica replays it within milliseconds
            # and tells nobody (NOTIFY does not reach a standby): poll, 2 ms doubling to 0.1 s.
            await anyio.sleep(min(pause, remaining))
            pause = min(pause * 2, REPLICA_POLL_MAX_SEC)
        else:
            await system.signal.changed(timeout=min(0.1, remaining))


async def await_replica(system: Manufactory) -> None:
    """Read-your-writes for rows that carry no projection position (the economics updater's,
    just brought up to date on the primary): with a streaming replica, wait (bounded) until it
    has replayed the primary's WAL as far as it is written now, polled as above; past the
    consistency timeout the same 503 (``minPosition``, which asked for the rows)."""
    replica = system.replica
    if replica is None:
        return

    def first() -> tuple[int, int | None]:  # one trip to a thread where the replica has it (mostly)
        written = replica.primary_wal()
        return written, replica.replayed_wal()

    written, replayed = await anyio.to_thread.run_sync(first)
    deadline = time.monotonic() + system.settings.consistency_timeout_sec
    pause = REPLICA_POLL_SEC
    while replayed is not None and replayed < written:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProjectionLagging(
                f"the read replica has replayed the primary's WAL to byte {replayed}, not yet to {written}; "
                "retry shortly"
            )
        await anyio.sleep(min(pause, remaining))
        pause = min(pause * 2, REPLICA_POLL_MAX_SEC)
        replayed = await anyio.to_thread.run_sync(replica.replayed_wal)


MinPosition = Annotated[
    int | None,
    QueryParameter(
        name="minPosition",
        ge=0,
        description="Also wait until the read model has applied this log position (a command's `position`); "
        "beyond the newest position: 400",
        le=INT64_MAX,
    ),
]


async def read_model(system: Manufactory, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a query function of the projections on a read-model connection, off the event loop:
    on the streaming replica if one is set (``system.reads``)."""
    return await _read(system.reads, query, *args, **kwargs)


async def _read(engine: Engine, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    def run() -> T:
        with engine.connect() as connection:
            return query(connection, *args, **kwargs)

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
    since the value was read (and it satisfies ``min_position``, the position the caller
    waited for), else read and remembered."""
    found, value = cache.lookup(key, min_position or 0)
    if found:
        return value  # type: ignore[return-value]  # found: the cached T
    tag = cache.tag()  # taken before the read: the value reflects at least this
    value = await read_model(system, query, *args)
    cache.store(key, tag, value)
    return value


async def query_projection(
    system: Manufactory, projection: str, min_position: int | None, query: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """A query of one projection, read-your-writes: once it has applied every write acknowledged
    before this request (and ``min_position``), ``query(connection, *args, **kwargs)``."""
    await await_projection(system, projection, min_position)
    return await read_model(system, query, *args, **kwargs)


SERVICES = (
    "plans",
    "jobs",
    "crafting",
    "containers",
    "catalogs",
    "overlays",
    "stock",
    "market",
    "users",
    "economics",
    "eve",
    "blueprints",
    "eve_sync",
    "notifications",
    "transport",
)
PER_SYSTEM = ("container_cache", "catalog_cache", "route_cache")


def service_dependencies() -> dict[str, Provide]:
    """What handlers name as parameters to get the application: ``system`` (what queries read
    through), each service by its name, so a handler says which one it uses, and the read
    caches. All come from the app's state, where ``bind`` put them."""
    dependencies = {"system": Provide(_system, sync_to_thread=False)}
    dependencies.update({name: Provide(_service(name), sync_to_thread=False) for name in SERVICES})
    dependencies.update({name: Provide(_state_entry(name), sync_to_thread=False) for name in PER_SYSTEM})
    return dependencies


# They take the request, not Litestar's ``state`` parameter: a dependency whose arguments are
# the connection is called without a signature model's conversion (dependencies_in_turn.py).
def _system(request: Request[Any, Any, Any]) -> Manufactory:
    return system_of(request.app.state)


def _service(name: str) -> Callable[[Request[Any, Any, Any]], Any]:
    def provide(request: Request[Any, Any, Any]) -> Any:
        return getattr(system_of(request.app.state), name)

    return provide


def _state_entry(name: str) -> Callable[[Request[Any, Any, Any]], Any]:
    def provide(request: Request[Any, Any, Any]) -> Any:
        return request.app.state[name]

    return provide


# What every command route needs beyond the user: who/why metadata and If-Match.
COMMAND_DEPENDENCIES = {"meta": Provide(command_meta), "expected": Provide(expected_version)}
STREAM_POLL_SEC = 0.5  # how often an event stream looks for news it was not woken for
STREAM_KEEPALIVE_SEC = 15.0  # a comment line after this long without a message
LastEventId = Annotated[
    int | None,
    HeaderParameter(
        name="Last-Event-ID",
        ge=0,
        le=2**63 - 1,
        description="The `id` of the last message a stream delivered (a browser's EventSource sends it when it "
        "reconnects): the stream goes on after it, with nothing missed and nothing twice",
    ),
]
