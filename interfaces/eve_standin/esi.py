"""A stand-in ESI: the game's API routes the game connection reads, served as ESI serves
them, for tests and demos (no machine here reaches the real one).

Faithful in what a client must handle: payloads in ESI's shapes (``world``), a quoted
``ETag`` per page and 304 to a matching ``If-None-Match``, ``Expires`` and ``Last-Modified``
(a dataset is regenerated once its cache time has passed: a new ``Last-Modified``, the same
ETag if nothing changed), ``X-Pages`` with ``?page=N``, the error limit (every 4xx/5xx
spends ``X-ESI-Error-Limit-Remain``; at zero every request is a 420 until
``X-ESI-Error-Limit-Reset``), and bearer tokens on the character, corporation and structure
routes, checked by the ``verify`` function it is given (the stand-in SSO's:
``interfaces.eve_standin.app``). An authed route answers only a token granting its scope (else
ESI's 403 ``token not valid for scope``). A corporation route answers a member holding one of
its roles (ESI's ``x-required-roles``, read from the member's current ``roles`` dataset) and
refuses anyone else with ESI's 403 bodies (``Character is not in the corporation``,
``Character does not have required role(s)``); a structure answers a character with docking
access (``StandinWorld.docking``), anyone else a 403 ``Forbidden``. The asset-names routes are
POSTs of at most 1000 item ids, all the owner's (else ESI's 404 ``Invalid IDs in the
request``), answered uncached (no ETag, no Expires) as ESI answers its POSTs.

``Knobs`` let a test make it misbehave the ways the real one does (5xx storms, a snapshot
published mid-walk, slow answers, fields added or left out), through ``PATCH
/_standin/knobs``; ``GET /_standin/requests`` lists what it was asked (so a test can see a
client sent nothing), and ``PUT /_standin/data/{route}`` publishes a new snapshot of a route.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import anyio
import msgspec
from litestar import Request, Response, Router, delete, get, patch, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, UnsetType

from interfaces.eve_standin.sso import TokenHolder
from interfaces.eve_standin.world import Dataset, StandinWorld

_Answer = tuple[int, bytes, dict[str, str]]  # status, body, headers
SEEN_KEPT = 10_000  # requests remembered for GET /_standin/requests (a demo server runs for long)
Verify = Callable[[str], TokenHolder | None]  # an access token -> whom it speaks for, or None if not valid
Access = Callable[[TokenHolder], str | None]  # a token's holder -> why it may not read the route, or None
# The roles ESI asks of each corporation route (its x-required-roles; a Director passes them all).
JOBS_ROLES = ("Factory_Manager", "Director")
BLUEPRINTS_ROLES = ("Director",)
ASSETS_ROLES = ("Director",)
MAX_NAMED_ITEMS = 1000  # ESI's maxItems of an asset-names request
ASSETS_SCOPE = "esi-assets.read_assets.v1"
CORPORATION_ASSETS_SCOPE = "esi-assets.read_corporation_assets.v1"
STRUCTURES_SCOPE = "esi-universe.read_structures.v1"

ERROR_LIMITED = (
    "This software has exceeded the error limit for ESI. If you are a developer, please contact the stand-in."
)
# Fields ESI's schemas leave optional, which knobs.drop_optional leaves out.
OPTIONAL_FIELDS = frozenset(
    {
        "cost",
        "licensed_runs",
        "probability",
        "product_type_id",
        "pause_date",
        "completed_date",
        "completed_character_id",
        "successful_runs",
        "station_id",
        "is_blueprint_copy",
        "unallocated_sp",
        "adjusted_price",
        "average_price",
    }
)


class Knobs(msgspec.Struct, kw_only=True):
    page_size: int = 1000  # items per page of a paginated route (ESI: 1000 for most)
    cache_sec: float = 300.0  # how long an answer is fresh (Expires)
    error_limit: int = 100  # the error budget per window
    error_window_sec: float = 60.0
    failures: int = 0  # the next this many ESI requests fail with failure_status
    failure_status: int = 503
    retry_after_sec: float | None = None  # sent with the injected failures
    delay_sec: float = 0.0  # every ESI answer is this late
    change_after_page: int | None = None  # once: after serving this page, publish a new snapshot
    extra_fields: bool = False  # every object carries fields ESI may add one day
    drop_optional: bool = False  # every object lacks the fields its schema leaves optional


class KnobsPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The knobs a ``PATCH /_standin/knobs`` sets; the others stay as they are."""

    page_size: int | UnsetType = UNSET
    cache_sec: float | UnsetType = UNSET
    error_limit: int | UnsetType = UNSET
    error_window_sec: float | UnsetType = UNSET
    failures: int | UnsetType = UNSET
    failure_status: int | UnsetType = UNSET
    retry_after_sec: float | None | UnsetType = UNSET
    delay_sec: float | UnsetType = UNSET
    change_after_page: int | None | UnsetType = UNSET
    extra_fields: bool | UnsetType = UNSET
    drop_optional: bool | UnsetType = UNSET


class SeenRequest(msgspec.Struct, frozen=True):
    path: str
    query: str
    status: int
    if_none_match: str | None
    authorized: bool
    user_agent: str | None
    compatibility_date: str | None
    at: float


class ErrorBudget:
    """ESI's error limit: one budget for the stand-in (ESI keeps one per client IP)."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.remain = knobs.error_limit
        self.reset_at = time.time() + knobs.error_window_sec

    def current(self) -> tuple[int, int]:
        """(remaining, seconds to the reset), starting a new window when the last one ended."""
        now = time.time()
        if now >= self.reset_at:
            self.remain = self.knobs.error_limit
            self.reset_at = now + self.knobs.error_window_sec
        return self.remain, max(0, math.ceil(self.reset_at - now))

    def spend(self) -> None:
        self.current()
        self.remain = max(0, self.remain - 1)


class EsiStandin:
    """The stand-in's state: the world, the knobs, the error budget, what it was asked."""

    def __init__(self, world: StandinWorld, verify: Verify, knobs: Knobs | None = None) -> None:
        self.world = world
        self.verify = verify
        self.knobs = knobs or Knobs()
        self.budget = ErrorBudget(self.knobs)
        self.seen: deque[SeenRequest] = deque(maxlen=SEEN_KEPT)

    async def answer(self, request: Request[Any, Any, Any], key: str, owner: Access | None) -> Response[bytes]:
        """The response to a GET of the route ``key``; ``owner`` says why a character may not
        read it (None: a public route)."""
        return await self._reply(request, owner, lambda: self._page(request, key, owner is not None))

    async def answer_post(
        self, request: Request[Any, Any, Any], owner: Access, respond: Callable[[], tuple[int, bytes]]
    ) -> Response[bytes]:
        """The response to an authed POST: ``respond``'s (status, body), never cached (ESI
        caches no POST answer)."""
        return await self._reply(request, owner, lambda: (*respond(), {"Cache-Control": "no-cache"}))

    async def _reply(
        self, request: Request[Any, Any, Any], owner: Access | None, serve: Callable[[], _Answer]
    ) -> Response[bytes]:
        """What ``serve`` answers once the request passed the error limit, the knobs' failures
        and ``owner``; with the error-limit headers, and remembered for ``/_standin/requests``."""
        status, body, headers = await self._gate(request, owner) or serve()
        if status >= 400 and status != 420:
            self.budget.spend()
        remain, reset = self.budget.current()
        headers |= {"X-ESI-Error-Limit-Remain": str(remain), "X-ESI-Error-Limit-Reset": str(reset)}
        headers["Date"] = formatdate(time.time(), usegmt=True)
        self.seen.append(
            SeenRequest(
                path=request.url.path,
                query=request.url.query,
                status=status,
                if_none_match=request.headers.get("If-None-Match"),
                authorized="Authorization" in request.headers,
                user_agent=request.headers.get("User-Agent"),
                compatibility_date=request.headers.get("X-Compatibility-Date"),
                at=time.time(),
            )
        )
        return Response(body, status_code=status, headers=headers, media_type="application/json")

    async def _gate(self, request: Request[Any, Any, Any], owner: Access | None) -> _Answer | None:
        """The answer that stops the request before its route: the error limit spent, a
        failure the knobs inject, a token refused; None when it goes through."""
        knobs = self.knobs
        remain, _ = self.budget.current()
        if remain == 0:
            return 420, _error(ERROR_LIMITED), {}
        if knobs.delay_sec:
            await anyio.sleep(knobs.delay_sec)
        if knobs.failures > 0:
            knobs.failures -= 1
            headers = {"Retry-After": f"{knobs.retry_after_sec:g}"} if knobs.retry_after_sec is not None else {}
            return knobs.failure_status, _error("The datasource tranquility is temporarily unavailable"), headers
        return self._refuse(request, owner) if owner is not None else None

    def _page(self, request: Request[Any, Any, Any], key: str, authed: bool) -> _Answer:
        """The asked page of the route's dataset, with ESI's caching headers."""
        knobs = self.knobs
        dataset = self.world.datasets.get(key)
        if dataset is None:
            return 404, _error("Not found"), {}
        if time.time() >= dataset.last_modified + knobs.cache_sec:
            self.world.publish(key)  # ESI regenerates an expired cache entry
        try:
            page = int(request.query_params.get("page", "1"))
        except ValueError:
            return 400, _error("page must be an integer"), {}
        pages = _pages(dataset, knobs.page_size)
        if not 1 <= page <= len(pages):
            return 404, _error("Requested page does not exist!"), {}
        body = msgspec.json.encode(self._shaped(pages[page - 1]))
        etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(dataset.last_modified, usegmt=True),
            "Expires": formatdate(dataset.last_modified + knobs.cache_sec, usegmt=True),
            "Cache-Control": "private" if authed else "public",
        }
        if dataset.paginated:
            headers["X-Pages"] = str(len(pages))
        if knobs.change_after_page == page:
            knobs.change_after_page = None
            self.world.publish(key)  # the next page is of a new snapshot
        if request.headers.get("If-None-Match") == etag:
            return 304, b"", headers
        return 200, body, headers

    def _refuse(self, request: Request[Any, Any, Any], owner: Access) -> _Answer | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return 401, _error("authorization not provided"), {}
        holder = self.verify(token)
        if holder is None:
            return 401, _error("token is not valid or has expired"), {}
        refusal = owner(holder)
        return None if refusal is None else (403, _error(refusal), {})

    def _shaped(self, page: list[Any] | dict[str, Any]) -> Any:
        """The page as the knobs have it: with fields added or optional ones left out."""
        if not (self.knobs.extra_fields or self.knobs.drop_optional):
            return page
        return _reshape(page, self.knobs.extra_fields, self.knobs.drop_optional)


def _pages(dataset: Dataset, size: int) -> list[list[Any] | dict[str, Any]]:
    payload = dataset.payload
    if not dataset.paginated or not isinstance(payload, list):
        return [payload]
    return [payload[start : start + size] for start in range(0, len(payload), size)] or [[]]


def _reshape(value: Any, extra: bool, drop: bool) -> Any:
    if isinstance(value, list):
        return [_reshape(entry, extra, drop) for entry in value]
    if isinstance(value, dict):
        shaped = {k: _reshape(v, extra, drop) for k, v in value.items() if not (drop and k in OPTIONAL_FIELDS)}
        if extra:
            shaped |= {"standin_added_field": "ignored by clients", "standin_added_object": {"nested": [1, 2]}}
        return shaped
    return value


def _error(message: str) -> bytes:
    return msgspec.json.encode({"error": message})


def esi_routes(standin: EsiStandin) -> list[Router]:
    """The ESI routes and the stand-in's control routes, served beside the stand-in SSO's
    (``interfaces.eve_standin.app.fake_eve``)."""
    world = standin.world

    def character(character_id: int, scope: str) -> Access:
        def may_read(holder: TokenHolder) -> str | None:
            if scope not in holder.scopes:
                return "token not valid for scope"
            return None if holder.character_id == character_id else "token not valid for this character"

        return may_read

    def corporation(corporation_id: int, roles: tuple[str, ...], scope: str) -> Access:
        def may_read(holder: TokenHolder) -> str | None:
            if scope not in holder.scopes:
                return "token not valid for scope"
            if world.corporation_of(holder.character_id) != corporation_id:
                return "Character is not in the corporation"
            if not world.roles_of(holder.character_id) & set(roles):
                return "Character does not have required role(s)"
            return None

        return may_read

    def docked(structure_id: int) -> Access:
        def may_read(holder: TokenHolder) -> str | None:
            if STRUCTURES_SCOPE not in holder.scopes:
                return "token not valid for scope"
            return None if holder.character_id in world.docking.get(structure_id, ()) else "Forbidden"

        return may_read

    async def names(request: Request[Any, Any, Any], assets_key: str, owner: Access) -> Response[bytes]:
        try:
            item_ids = msgspec.json.decode(await request.body(), type=list[int])
        except msgspec.DecodeError:
            item_ids = None

        def respond() -> tuple[int, bytes]:
            if not item_ids or len(item_ids) > MAX_NAMED_ITEMS:
                return 400, _error(f"item_ids must hold 1 to {MAX_NAMED_ITEMS} ids")
            dataset = world.datasets.get(assets_key)
            owned = (
                {item["item_id"] for item in dataset.payload}
                if dataset and isinstance(dataset.payload, list)
                else set()
            )
            if not set(item_ids) <= owned:
                return 404, _error("Invalid IDs in the request")
            named = [{"item_id": item, "name": world.item_names.get(item, "None")} for item in dict.fromkeys(item_ids)]
            return 200, msgspec.json.encode(standin._shaped(named))

        return await standin.answer_post(request, owner, respond)

    @get("/characters/{character_id:int}/")
    async def character_info(request: Request[Any, Any, Any], character_id: FromPath[int]) -> Response[bytes]:
        return await standin.answer(request, f"characters/{character_id}", None)

    @get("/characters/{character_id:int}/roles/")
    async def character_roles(request: Request[Any, Any, Any], character_id: FromPath[int]) -> Response[bytes]:
        access = character(character_id, "esi-characters.read_corporation_roles.v1")
        return await standin.answer(request, f"characters/{character_id}/roles", access)

    @get("/characters/{character_id:int}/industry/jobs/")
    async def character_jobs(request: Request[Any, Any, Any], character_id: FromPath[int]) -> Response[bytes]:
        access = character(character_id, "esi-industry.read_character_jobs.v1")
        return await standin.answer(request, f"characters/{character_id}/industry/jobs", access)

    @get("/characters/{character_id:int}/assets/")
    async def character_assets(request: Request[Any, Any, Any], character_id: FromPath[int]) -> Response[bytes]:
        access = character(character_id, ASSETS_SCOPE)
        return await standin.answer(request, f"characters/{character_id}/assets", access)

    @post("/characters/{character_id:int}/assets/names/", status_code=200)
    async def character_asset_names(request: Request[Any, Any, Any], character_id: FromPath[int]) -> Response[bytes]:
        return await names(request, f"characters/{character_id}/assets", character(character_id, ASSETS_SCOPE))

    @get("/characters/{character_id:int}/skills/")
    async def character_skills(request: Request[Any, Any, Any], character_id: FromPath[int]) -> Response[bytes]:
        access = character(character_id, "esi-skills.read_skills.v1")
        return await standin.answer(request, f"characters/{character_id}/skills", access)

    @get("/characters/{character_id:int}/blueprints/")
    async def character_blueprints(request: Request[Any, Any, Any], character_id: FromPath[int]) -> Response[bytes]:
        access = character(character_id, "esi-characters.read_blueprints.v1")
        return await standin.answer(request, f"characters/{character_id}/blueprints", access)

    @get("/corporations/{corporation_id:int}/industry/jobs/")
    async def corporation_jobs(request: Request[Any, Any, Any], corporation_id: FromPath[int]) -> Response[bytes]:
        key = f"corporations/{corporation_id}/industry/jobs"
        access = corporation(corporation_id, JOBS_ROLES, "esi-industry.read_corporation_jobs.v1")
        return await standin.answer(request, key, access)

    @get("/corporations/{corporation_id:int}/blueprints/")
    async def corporation_blueprints(request: Request[Any, Any, Any], corporation_id: FromPath[int]) -> Response[bytes]:
        key = f"corporations/{corporation_id}/blueprints"
        access = corporation(corporation_id, BLUEPRINTS_ROLES, "esi-corporations.read_blueprints.v1")
        return await standin.answer(request, key, access)

    @get("/corporations/{corporation_id:int}/assets/")
    async def corporation_assets(request: Request[Any, Any, Any], corporation_id: FromPath[int]) -> Response[bytes]:
        key = f"corporations/{corporation_id}/assets"
        return await standin.answer(request, key, corporation(corporation_id, ASSETS_ROLES, CORPORATION_ASSETS_SCOPE))

    @post("/corporations/{corporation_id:int}/assets/names/", status_code=200)
    async def corporation_asset_names(
        request: Request[Any, Any, Any], corporation_id: FromPath[int]
    ) -> Response[bytes]:
        access = corporation(corporation_id, ASSETS_ROLES, CORPORATION_ASSETS_SCOPE)
        return await names(request, f"corporations/{corporation_id}/assets", access)

    @get("/universe/structures/{structure_id:int}/")
    async def structure(request: Request[Any, Any, Any], structure_id: FromPath[int]) -> Response[bytes]:
        return await standin.answer(request, f"universe/structures/{structure_id}", docked(structure_id))

    @get("/markets/{region_id:int}/orders/")
    async def market_orders(request: Request[Any, Any, Any], region_id: FromPath[int]) -> Response[bytes]:
        return await standin.answer(request, f"markets/{region_id}/orders", None)

    @get("/markets/prices/")
    async def market_prices(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await standin.answer(request, "markets/prices", None)

    @get("/industry/systems/")
    async def industry_systems(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await standin.answer(request, "industry/systems", None)

    @patch("/knobs")
    async def set_knobs(data: JSONBody[KnobsPatch]) -> Knobs:
        for field in data.__struct_fields__:
            value = getattr(data, field)
            if value is not UNSET:
                setattr(standin.knobs, field, value)
        if data.error_limit is not UNSET or data.error_window_sec is not UNSET:
            standin.budget = ErrorBudget(standin.knobs)  # a new window with the new limits
        return standin.knobs

    @get("/requests")
    async def seen_requests() -> list[SeenRequest]:
        return list(standin.seen)

    @delete("/requests")
    async def forget_requests() -> None:
        standin.seen.clear()

    @put("/data/{route:path}")
    async def publish(route: FromPath[str], data: JSONBody[Any]) -> dict[str, int]:
        key = route.strip("/")
        if key not in world.datasets:
            raise NotFoundException(f"no route {key}")
        return {"lastModified": world.publish(key, data).last_modified}

    esi = Router(
        "/",
        route_handlers=[
            character_info,
            character_roles,
            character_jobs,
            character_assets,
            character_asset_names,
            character_skills,
            character_blueprints,
            corporation_jobs,
            corporation_blueprints,
            corporation_assets,
            corporation_asset_names,
            structure,
            market_orders,
            market_prices,
            industry_systems,
        ],
    )
    control = Router("/_standin", route_handlers=[set_knobs, seen_requests, forget_requests, publish])
    return [esi, control]
