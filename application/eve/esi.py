"""The one ESI client: every request to the game's API goes through ``EsiClient``.

What CCP asks of a client, and where each rule is kept here (facts from CCP's developer
documentation, developers.eveonline.com/docs/services/esi: best practices, error limit, rate
limiting; and from the issue threads of long-lived ESI clients such as SeAT and rfesi):

- Headers: ``X-Compatibility-Date`` picks the routes' behaviour (instead of ``/latest/``
  paths), and a ``User-Agent`` names the install and a contact (settings).
- Caching: an answer stays valid until its ``Expires``; asking again before is wasted and
  frowned upon, so a call before then is answered from the cache and sends nothing. After
  it, the request carries ``If-None-Match`` with the ``ETag``, and a 304 reuses the stored
  body. The cache is persistent (``ResponseCache``; the ``esi_cache`` table) so a restarted
  or second process does not poll early either. ``Expires`` is read relative to the answer's
  ``Date``, so a skewed local clock neither polls early nor waits too long.
- Pagination: ``X-Pages`` says how many pages; pages 2..N are fetched in parallel, at most
  ``max_parallel_pages`` at once per client. ESI may publish a new snapshot mid-walk, which
  shows as a page whose ``Last-Modified`` differs from the others: the walk then starts over,
  revalidating every page (the cached pages' ``Expires`` belongs to the old snapshot), up to
  ``MAX_WALKS`` times.
- Error limit: every answer carries ``X-ESI-Error-Limit-Remain`` and ``-Reset`` (seconds);
  each 4xx/5xx spends the budget (100 a minute); at zero ESI answers 420 to everything until
  the reset, and hammering on risks a ban. So the client stops sending while the budget is at
  or below ``error_limit_floor`` until the reset, and after a 420 sends nothing until the
  reset the 420 named. ``Retry-After`` (429 from the newer per-route rate limits, or a 503) is
  honoured the same way.
- Retries: 5xx answers and timeouts or broken connections are retried with exponential
  backoff and full jitter (so parallel pages and processes do not retry in step), up to
  ``attempts`` tries; then an ``EsiError`` says what happened. A plain loop rather than a
  retry library: whether and how long to wait comes from ESI's own headers (``Retry-After``,
  the error-limit reset) and the error-limit gate must run before every try, which a
  decorator-driven policy would have to be bent to express. A wait ESI asks for that is
  longer than ``max_wait_sec`` is not slept through: ``EsiThrottled`` tells the caller when
  to come back, so a sync loop can reschedule instead of holding its thread.
- Authed routes take the character's access token per call (``Bearer``); the character is
  part of the cache key, so one character's answer is never served to another.

The client is synchronous (httpx.Client): the server runs its loops as threads
(``application.background``), and the page pool is threads too. Each call returns its
``CallStats`` (requests, pages, cache hits, 304s, retries, restarts) for the sync status.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from types import GenericAlias
from typing import Generic, Protocol, TypeVar, cast
from urllib.parse import urlencode

import httpx
import msgspec

from application.settings import Settings
from application.tls import tls_context

T = TypeVar("T")

MAX_WALKS = 4  # a paginated route whose snapshot changes this many walks in a row is an error
DEFAULT_RESET_SEC = 60.0  # ESI's error window, when a 420 does not say
RETRY_CAP_SEC = 8.0  # the longest backoff between two tries of one request


class EsiError(Exception):
    """A request ESI did not answer usefully: a 4xx (other than 420/429), retries spent on
    5xx or timeouts, a payload not in the expected shape, or pages that never settled."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EsiThrottled(EsiError):
    """ESI asked for a pause longer than the client waits in a call: come back at ``retry_at``
    (Unix seconds)."""

    def __init__(self, message: str, retry_at: float) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class Bearer(msgspec.Struct, frozen=True):
    """An authed call's character and access token (never logged: see ``__repr__``)."""

    character_id: int
    access_token: str

    def __repr__(self) -> str:
        return f"Bearer(character_id={self.character_id}, access_token=...)"


class CallStats(msgspec.Struct):
    """What one call cost: for the sync status (``GET /v1/eve/sync``)."""

    requests: int = 0  # sent over the network, retries included
    pages: int = 0  # pages in the answer
    cache_hits: int = 0  # pages answered from the cache before their Expires: nothing sent
    not_modified: int = 0  # 304s: the stored body was still current
    retries: int = 0
    restarts: int = 0  # walks started over because the snapshot changed mid-walk

    def add(self, other: CallStats) -> None:
        for field in self.__struct_fields__:
            setattr(self, field, getattr(self, field) + getattr(other, field))


class EsiAnswer(msgspec.Struct, Generic[T], frozen=True):
    data: T
    stats: CallStats
    # Every page came from the cache or a 304: nothing changed since the last call.
    unchanged: bool
    last_modified: str | None
    expires_at: float  # Unix seconds: asking again before this is answered from the cache


class CachedAnswer(msgspec.Struct, frozen=True):
    """One page as ESI last answered it."""

    url: str
    etag: str | None
    last_modified: str | None
    expires_at: float
    pages: int
    body: bytes
    character_id: int | None = None  # whose token asked (None: a public route)


class ResponseCache(Protocol):
    """Where answers are kept between calls and processes (``projections.esi_cache``).

    An entry is read only before its ``Expires`` or on the way to being written again (a
    revalidation puts the 304's or the new answer), so one stored and expired longer ago than
    the cache keeps entries is used by nobody: the cache drops those on its own."""

    def get(self, key: str) -> CachedAnswer | None: ...

    def put(self, key: str, answer: CachedAnswer) -> None: ...

    def forget_character(self, character_id: int) -> int:
        """Drop every answer the character's token fetched (it was unlinked); how many."""
        ...


class _Page(msgspec.Struct, frozen=True):
    answer: CachedAnswer
    changed: bool
    stats: CallStats


class EsiClient:
    def __init__(
        self,
        cache: ResponseCache,
        *,
        base_url: str,
        compatibility_date: str,
        user_agent: str,
        timeout_sec: float = 20.0,
        max_parallel_pages: int = 4,
        attempts: int = 4,
        error_limit_floor: int = 10,
        max_wait_sec: float = 65.0,
        retry_base_sec: float = 0.5,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cache = cache
        self.attempts = attempts
        self.error_limit_floor = error_limit_floor
        self.max_wait_sec = max_wait_sec
        self.retry_base_sec = retry_base_sec
        self.clock = clock
        self.sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_sec,
            verify=tls_context(),
            headers={
                "User-Agent": user_agent,
                "X-Compatibility-Date": compatibility_date,
                "Accept": "application/json",
            },
        )
        self._pages = ThreadPoolExecutor(max_parallel_pages, thread_name_prefix="esi-page")
        self._lock = threading.Lock()
        self._remain: int | None = None  # the error budget ESI last reported
        self._reset_at = 0.0  # when that budget is whole again
        self._blocked_until = 0.0  # after a 420: nothing is sent before this

    @classmethod
    def from_settings(cls, settings: Settings, cache: ResponseCache) -> EsiClient:
        return cls(
            cache,
            base_url=settings.esi_base_url,
            compatibility_date=settings.eve_compatibility_date,
            user_agent=settings.eve_user_agent,
            timeout_sec=settings.esi_timeout_sec,
            max_parallel_pages=settings.esi_max_parallel_pages,
            attempts=settings.esi_attempts,
            error_limit_floor=settings.esi_error_limit_floor,
            max_wait_sec=settings.esi_max_wait_sec,
        )

    def close(self) -> None:
        self._pages.shutdown(wait=True)
        self._http.close()

    def __enter__(self) -> EsiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(
        self, path: str, payload: type[T], *, params: Mapping[str, str] | None = None, bearer: Bearer | None = None
    ) -> EsiAnswer[T]:
        """One route's answer (not paginated), decoded as ``payload``."""
        page = self._page(path, dict(params or {}), bearer, revalidate=False)
        stats = page.stats
        stats.pages = 1
        data = _decode(path, page.answer.body, payload)
        return EsiAnswer(data, stats, not page.changed, page.answer.last_modified, page.answer.expires_at)

    def post(self, path: str, body: object, payload: type[T], *, bearer: Bearer | None = None) -> EsiAnswer[T]:
        """A POST route's answer (ESI's bulk look-ups, such as asset names), decoded as
        ``payload``. Sent every time: ESI does not cache POST answers, so there is nothing to
        revalidate, but the error limit, retries and waits are the same as a GET's."""
        stats = CallStats(pages=1)
        headers = {"Authorization": f"Bearer {bearer.access_token}"} if bearer else {}
        response = self._send("POST", path, {}, headers, stats, msgspec.json.encode(body))
        data = _decode(path, response.content, payload)
        return EsiAnswer(data, stats, False, response.headers.get("Last-Modified"), _expires_at(response, self.clock()))

    def get_pages(
        self, path: str, item: type[T], *, params: Mapping[str, str] | None = None, bearer: Bearer | None = None
    ) -> EsiAnswer[list[T]]:
        """Every page of a paginated route (or the one answer of a route without ``X-Pages``),
        as one list of ``item``, all pages from one snapshot."""
        stats = CallStats()
        page_type = cast(type[list[T]], GenericAlias(list, (item,)))  # list[item], which mypy cannot spell
        base = dict(params or {})
        revalidate = False
        for _ in range(MAX_WALKS):
            first = self._page(path, base, bearer, revalidate)
            stats.add(first.stats)
            futures = [
                self._pages.submit(self._page, path, {**base, "page": str(number)}, bearer, revalidate)
                for number in range(2, first.answer.pages + 1)
            ]
            pages = [first, *(future.result() for future in futures)]
            for page in pages[1:]:
                stats.add(page.stats)
            if all(page.answer.last_modified == first.answer.last_modified for page in pages):
                stats.pages = len(pages)
                data = [entry for page in pages for entry in _decode(path, page.answer.body, page_type)]
                unchanged = not any(page.changed for page in pages)
                expires_at = min(page.answer.expires_at for page in pages)
                return EsiAnswer(data, stats, unchanged, first.answer.last_modified, expires_at)
            stats.restarts += 1
            revalidate = True  # the cached pages' Expires belonged to the snapshot now replaced
        raise EsiError(f"GET {path}: its pages changed during each of {MAX_WALKS} walks")

    def _page(self, path: str, params: dict[str, str], bearer: Bearer | None, revalidate: bool) -> _Page:
        """One page: from the cache before its Expires, else revalidated or fetched."""
        stats = CallStats()
        url = f"{path}?{urlencode(sorted(params.items()))}" if params else path
        whose = f"character {bearer.character_id}" if bearer else "public"
        key = hashlib.sha256(f"{whose} {url}".encode()).hexdigest()
        cached = self.cache.get(key)
        if cached is not None and not revalidate and cached.expires_at > self.clock():
            stats.cache_hits += 1
            return _Page(cached, False, stats)
        headers = {"Authorization": f"Bearer {bearer.access_token}"} if bearer else {}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        response = self._send("GET", path, params, headers, stats)
        received = self.clock()
        if response.status_code == 304:
            if cached is None:
                raise EsiError(f"GET {url}: 304 to a request that named no ETag", 304)
            stats.not_modified += 1
            body, changed = cached.body, False
        else:
            body = response.content
            changed = cached is None or cached.body != body
        fallback = cached.pages if cached is not None else 1
        answer = CachedAnswer(
            url=f"{whose} {url}",
            etag=response.headers.get("ETag") or (cached.etag if cached else None),
            last_modified=response.headers.get("Last-Modified") or (cached.last_modified if cached else None),
            expires_at=_expires_at(response, received),
            pages=_int_header(response, "X-Pages") or fallback,
            body=body,
            character_id=bearer.character_id if bearer else None,
        )
        self.cache.put(key, answer)
        return _Page(answer, changed, stats)

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        stats: CallStats,
        content: bytes | None = None,
    ) -> httpx.Response:
        """A 200 or 304 for the request, after the retries and waits ESI's answers call for."""
        failure = ""
        if content is not None:
            headers = {**headers, "Content-Type": "application/json"}
        for attempt in range(1, self.attempts + 1):
            self._wait_for_error_budget(path)
            stats.requests += 1
            retry_after: float | None = None
            try:
                response = self._http.request(method, path, params=params, headers=headers, content=content)
            except httpx.TimeoutException as error:
                failure = f"timed out ({type(error).__name__})"
            except httpx.TransportError as error:
                failure = f"connection failed ({type(error).__name__}: {error})"
            else:
                self._note_error_budget(response)
                status = response.status_code
                if status in (200, 304):
                    return response
                failure = f"{status} {_error_text(response)}"
                if status == 420:
                    pass  # the gate above now holds every request until the reset
                elif status == 429 or (status >= 500 and "Retry-After" in response.headers):
                    retry_after = _float_header(response, "Retry-After")
                elif status < 500:
                    raise EsiError(f"{method} {path}: {failure}", status)
            if attempt == self.attempts:
                break
            stats.retries += 1
            backoff = random.uniform(0, min(RETRY_CAP_SEC, self.retry_base_sec * 2 ** (attempt - 1)))
            self._pause(max(retry_after or 0.0, backoff), f"{method} {path}: {failure}")
        raise EsiError(f"{method} {path}: {failure} (gave up after {self.attempts} attempts)")

    def _wait_for_error_budget(self, path: str) -> None:
        """Hold the request while ESI said to stop (a 420) or the budget is nearly spent."""
        with self._lock:
            now = self.clock()
            until = self._blocked_until
            if self._remain is not None and self._remain <= self.error_limit_floor:
                until = max(until, self._reset_at)
        if until > now:
            self._pause(until - now, f"{path}: ESI's error limit is nearly spent")

    def _note_error_budget(self, response: httpx.Response) -> None:
        remain = _int_header(response, "X-ESI-Error-Limit-Remain")
        reset = _float_header(response, "X-ESI-Error-Limit-Reset")
        with self._lock:
            now = self.clock()
            if remain is not None:
                self._remain = remain
                self._reset_at = now + (reset if reset is not None else DEFAULT_RESET_SEC)
            if response.status_code == 420:
                self._blocked_until = now + (reset if reset is not None else DEFAULT_RESET_SEC)

    def _pause(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait_sec:
            raise EsiThrottled(f"{why}; retry in {seconds:.0f} s", self.clock() + seconds)
        self.sleep(seconds)


def _decode(path: str, body: bytes, payload: type[T]) -> T:
    """Decode strictly on the fields we read; unknown fields are ignored (Structs here never
    forbid them) and optional ones may be missing (they default)."""
    try:
        return msgspec.json.decode(body, type=payload)
    except msgspec.DecodeError as error:  # ValidationError is one
        raise EsiError(f"{path}: the answer is not in the expected shape: {error}") from error


def _expires_at(response: httpx.Response, received: float) -> float:
    """When the answer goes stale, on our clock: ``Expires`` minus ESI's ``Date``, from now.
    Without an ``Expires`` it is stale at once (revalidated on the next call)."""
    try:
        expires = parsedate_to_datetime(response.headers["Expires"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return received
    try:
        served = parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        served = received
    return received + max(0.0, expires - served)


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = _float_header(response, name)
    return int(value) if value is not None else None


def _float_header(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def _error_text(response: httpx.Response) -> str:
    """ESI's error bodies are ``{"error": "..."}``; anything else is cut short."""
    try:
        error = msgspec.json.decode(response.content, type=dict[str, object]).get("error")
    except msgspec.DecodeError:
        error = None
    return str(error) if error else response.text[:200]
