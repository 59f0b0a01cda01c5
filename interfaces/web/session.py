"""The console's session: the API token in a cookie, and the forms' CSRF tokens.

Signing in stores the user's API token in an HttpOnly, SameSite=Strict cookie (Secure over
https): script on a page can never read it, and no other site's page can send it. The token is
checked exactly as the API checks its bearer token (``token_holder_of``): one lookup, one
expiry rule. Only the console's pages read the cookie; the API reads the Authorization header
alone, so a cookie the browser attaches by itself can never act on ``/v1`` (that would open the
API to cross-site requests).

Forms carry a double-submit token: the value of the ``manufactory_csrf`` cookie, signed with a
secret of this process, repeated in a hidden field. A page on another site can neither read
the cookie nor set it, so it cannot forge the field. A cookie signed by an earlier process (the
server restarted) fails the check and is replaced by the next page, so a reload heals a form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from interfaces.http.context import token_holder_of
from projections.users import TokenHolder

SESSION_COOKIE = "manufactory_session"
CSRF_COOKIE = "manufactory_csrf"
CSRF_FIELD = "csrf_token"
SIGN_IN_PATH = "/sign-in"


class SignInRequired(Exception):
    """A page asked for without a valid session: the console answers with the sign-in page."""


class CsrfTokens:
    """Issues and checks the forms' tokens: ``<random>.<HMAC-SHA256 of it>``."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._signature(nonce)}"

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        nonce, _, signature = token.partition(".")
        return bool(nonce) and hmac.compare_digest(signature, self._signature(nonce))

    def _signature(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()


def csrf_tokens(request: ASGIConnection[Any, Any, Any, Any]) -> CsrfTokens:
    return request.app.state.csrf  # type: ignore[no-any-return]  # put there by interfaces.http.app.bind


def is_https(request: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def form_token(request: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, Cookie | None]:
    """The token a page's forms carry: the request's cookie while it is valid, else a new one
    with the cookie that sets it."""
    current = request.cookies.get(CSRF_COOKIE)
    if csrf_tokens(request).valid(current):
        return current or "", None
    token = csrf_tokens(request).issue()
    return token, _cookie(request, CSRF_COOKIE, token)


async def csrf_checked(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of every form's POST: the hidden field must repeat the valid cookie (403 otherwise)."""
    request: Request[Any, Any, Any] = connection  # type: ignore[assignment]  # guards of HTTP routes get the request
    cookie = request.cookies.get(CSRF_COOKIE)
    field = (await request.form()).get(CSRF_FIELD)
    if not (
        isinstance(field, str) and cookie and csrf_tokens(request).valid(cookie) and hmac.compare_digest(field, cookie)
    ):
        raise PermissionDeniedException("the form's security token is missing or stale: reload the page and retry")


async def session_holder(request: ASGIConnection[Any, Any, Any, Any]) -> TokenHolder | None:
    """Whom the session cookie signs in (None: no cookie, or a token no longer valid)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return await token_holder_of(request, token)
    except NotAuthorizedException:
        return None


async def signed_in(request: Request[Any, Any, Any]) -> TokenHolder:
    """The ``holder`` dependency of the console's pages: the signed-in user, or the sign-in page."""
    holder = await session_holder(request)
    if holder is None:
        raise SignInRequired
    return holder


def session_cookie(request: ASGIConnection[Any, Any, Any, Any], token: str) -> Cookie:
    return _cookie(request, SESSION_COOKIE, token)


def cleared_session(request: ASGIConnection[Any, Any, Any, Any]) -> Cookie:
    """The session cookie expired at once: the browser forgets the token."""
    return Cookie(
        key=SESSION_COOKIE, value="", path="/", max_age=0, httponly=True, samesite="strict", secure=is_https(request)
    )


def _cookie(request: ASGIConnection[Any, Any, Any, Any], name: str, value: str) -> Cookie:
    """A browser-session cookie no script can read and no other site's page can send."""
    return Cookie(key=name, value=value, path="/", httponly=True, samesite="strict", secure=is_https(request))
