"""The console's pages: server-rendered HTML on the same Litestar app as the API, reading
through the API's own query functions (``interfaces.web.dashboard``).

Every page is left out of the OpenAPI schema and out of the API's bearer authentication: a page
signs its user in by the session cookie (``interfaces.web.session``), and without one answers
with the sign-in page. Forms post ``application/x-www-form-urlencoded`` with a CSRF field. The
dashboard is live: ``/dashboard/stream`` (Server-Sent Events) says when the read models moved
on, and ``console.js`` fetches the sections again from ``/dashboard/sections``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage
from litestar.template import TemplateConfig

from application.eve.sso import SsoUnavailable
from application.system import Manufactory
from domain.errors import DomainError
from interfaces.http.context import STREAM_KEEPALIVE_SEC, LastEventId, token_holder_of
from interfaces.web import STATIC_PATH
from interfaces.web.acting import Refusal
from interfaces.web.dashboard import dashboard
from interfaces.web.format import FILTERS
from interfaces.web.session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_PATH,
    SignInRequired,
    cleared_session,
    csrf_checked,
    form_token,
    session_cookie,
    session_holder,
    signed_in,
)
from projections.users import TokenHolder

TEMPLATE_DIRECTORY = Path(__file__).parent / "templates"
STREAM_SETTLE_SEC = 1.0  # changes arriving within this long of the last message wait for the next


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja from the package's templates, escaping everything; an unknown name is an error, not ''."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIRECTORY),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(FILTERS)
    environment.globals.update({"static": STATIC_PATH, "csrf_field": CSRF_FIELD})
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def page(request: Request[Any, Any, Any], name: str, context: Mapping[str, Any], status_code: int = 200) -> Template:
    """A page with its forms' CSRF token (and the cookie carrying it, when the request had none valid)."""
    token, cookie = form_token(request)
    return Template(
        template_name=name,
        context={**context, "csrf_token": token},
        status_code=status_code,
        cookies=[cookie] if cookie else [],
    )


def sign_in_form(request: Request[Any, Any, Any], error: str | None = None, status_code: int = 200) -> Template:
    """The sign-in page, with "Log in with EVE Online" where the server has an EVE application."""
    eve = bool(request.app.state.system.settings.eve_client_id)
    return page(request, "sign_in.html", {"error": error, "eve": eve}, status_code=status_code)


def form_page(
    request: Request[Any, Any, Any], name: str, context: Mapping[str, Any], refused: Refusal | None
) -> Template:
    """A page with a form: the refusal (None: nothing refused) beside the input its field names,
    answered with its status."""
    return page(request, name, {**context, "refused": refused}, status_code=refused.status if refused else 200)


def to_sign_in(request: Request[Any, Any, Any], _: SignInRequired) -> Response[Any]:
    """A page without a valid session goes to the sign-in page; a cookie whose token stopped
    working (revoked, expired) is forgotten on the way."""
    stale = [cleared_session(request)] if request.cookies.get(SESSION_COOKIE) else []
    return Redirect(SIGN_IN_PATH, status_code=303, cookies=stale)


def refused(request: Request[Any, Any, Any], error: PermissionDeniedException) -> Response[Any]:
    """A form whose CSRF token failed: the page says so in words, with a fresh token (a
    sign-in form again at once), rather than the API's JSON error."""
    if request.url.path == SIGN_IN_PATH:
        return sign_in_form(request, sentence(error.detail), status_code=403)
    return page(request, "refused.html", {"detail": sentence(error.detail)}, status_code=403)


def not_found(request: Request[Any, Any, Any], what: str) -> Template:
    """Another user's id, or one that never was: the same 404 either way, as the API answers."""
    return page(request, "not_found.html", {"what": what}, status_code=404)


class ConsoleController(Controller):
    """What every console page shares: out of the schema, signed in by the session cookie,
    never kept by the browser, and the sign-in page for one not signed in."""

    include_in_schema = False
    opt = {"exclude_from_auth": True}  # a page signs in by the session cookie, never the API's bearer token
    cache_control = CacheControlHeader(no_store=True)  # after signing out, Back shows nothing kept
    dependencies = {"holder": Provide(signed_in)}
    exception_handlers = {SignInRequired: to_sign_in, PermissionDeniedException: refused}


class ConsolePages(ConsoleController):
    @get("/")
    async def dashboard_page(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The dashboard: what is ready, what is free, what is running, what is short."""
        return page(request, "dashboard.html", {"board": await dashboard(system, holder), "holder": holder})

    @get("/dashboard/sections")
    async def dashboard_sections(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The dashboard's sections alone: what ``console.js`` swaps in when the stream says so."""
        return page(request, "dashboard_sections.html", {"board": await dashboard(system, holder), "holder": holder})

    @get("/dashboard/stream")
    async def dashboard_stream(
        self,
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: ``changed`` (its data and ``id`` the log's position) whenever a
        read model moved on, at most once a second, and at least every 15 s, since a job turns
        ready by the clock alone. Every message says "read the sections again"; a reconnect
        with ``Last-Event-ID`` behind the log hears ``changed`` at once, so it misses nothing."""

        async def messages() -> AsyncIterator[ServerSentEventMessage]:
            behind = last_event_id is not None and last_event_id < system.log_head.acknowledged
            while True:
                if not behind:
                    await system.read_signal.changed(timeout=STREAM_KEEPALIVE_SEC)
                behind = False
                settled = time.monotonic() + STREAM_SETTLE_SEC
                position = str(system.log_head.acknowledged)
                yield ServerSentEventMessage(event="changed", data=position, id=position)
                while (remaining := settled - time.monotonic()) > 0:
                    await system.read_signal.changed(timeout=remaining)

        return ServerSentEvent(messages())

    @get(SIGN_IN_PATH, dependencies={"holder": Provide(session_holder)})
    async def sign_in_page(
        self, request: Request[Any, Any, Any], holder: NamedDependency[TokenHolder | None]
    ) -> Response[Any]:
        """The sign-in form; one signed in already goes to the dashboard."""
        if holder is not None:
            return Redirect("/", status_code=303)
        return sign_in_form(request)

    @get(f"{SIGN_IN_PATH}/eve", dependencies={"holder": Provide(session_holder)})
    async def sign_in_with_eve(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder | None],
    ) -> Response[Any]:
        """Log in with EVE Online: on to EVE's login page, which sends the browser back to the
        API's callback (``/v1/eve/callback``); that signs in the user who linked the character."""
        if holder is not None:
            return Redirect("/", status_code=303)
        try:
            url = await anyio.to_thread.run_sync(system.eve.start_sign_in)
        except (DomainError, SsoUnavailable) as failure:
            detail = failure.detail if isinstance(failure, DomainError) else str(failure)
            return sign_in_form(
                request, sentence(detail), status_code=503 if isinstance(failure, SsoUnavailable) else 422
            )
        return Redirect(url, status_code=303)

    @post(SIGN_IN_PATH, guards=[csrf_checked], status_code=303)
    async def sign_in(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Checks the token as the API does; a good one goes into the session cookie, a wrong
        one shows the form again with the reason next to the field."""
        token = (await request.form()).get("token")
        token = token.strip() if isinstance(token, str) else ""
        if not token:
            return sign_in_form(request, "Paste your API token.", status_code=400)
        try:
            await token_holder_of(request, token)
        except NotAuthorizedException as refused:
            return sign_in_form(request, sentence(refused.detail), status_code=400)
        return Redirect("/", status_code=303, cookies=[session_cookie(request, token)])

    @post("/sign-out", guards=[csrf_checked], status_code=303)
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Forgets the session (the token itself stays valid for the API: revoke it there)."""
        cookies: list[Cookie] = [cleared_session(request)]
        return Redirect(SIGN_IN_PATH, status_code=303, cookies=cookies)


def sentence(detail: str) -> str:
    return detail[:1].upper() + detail[1:] + ("" if detail.endswith(".") else ".")
