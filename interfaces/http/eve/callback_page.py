"""The page a player's browser shows when EVE's SSO sends it back to ``/v1/eve/callback``.

A person arrives there, not a program, so a request that prefers HTML (a browser's
``Accept``) gets a small page saying which character was linked with which scopes, or what
went wrong in plain words and how to start again; a client asking for JSON (or anything)
keeps the JSON answer and its status. A sign-in's page sets the console's session cookie and
moves on to the console. The page stands alone: no script, image, font or
stylesheet to fetch, its style inline, so its Content-Security-Policy forbids everything else
(``default-src 'none'``); every value in it is escaped. It is not kept (``no-store``) and
sends no ``Referer`` on (the address it was reached by carries the code and the state).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from application.eve.links import LoginDeclined, SignedIn, SignInRefused
from application.eve.sso import SsoNotConfigured, SsoUnavailable
from domain.errors import DomainError
from domain.eve.links import LinkedCharacter
from interfaces.http.errors import domain_status
from interfaces.web.session import SIGN_IN_PATH

LOGIN = "/v1/eve/login"
CONSOLE = "/"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;line-height:1.5;color:#222}"
    "h1{font-size:1.4em}code{background:#eee;padding:0 .2em}.detail{color:#666;font-size:.9em}"
)


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser's request: HTML preferred to JSON (``*/*`` alone is a program's: JSON)."""
    return request.accept.best_match(["application/json", "text/html"]) == "text/html"


def linked(character: LinkedCharacter) -> Response[str]:
    scopes = "".join(f"<li><code>{escape(scope)}</code></li>" for scope in character.scopes)
    return _page(
        200,
        "Character linked",
        f"<p><strong>{escape(character.name)}</strong> ({character.character_id}) is linked to your "
        "Manufactory account; you can close this page.</p>"
        f"<p>It allows Manufactory to read:</p><ul>{scopes}</ul>",
    )


def signed_in(outcome: SignedIn, session: Cookie) -> Response[str]:
    """The session cookie set, and on to the console by this page itself: a cookie kept for
    same-site requests only is not sent on a redirect that began on EVE's login page."""
    name = escape(outcome.character.name)
    return _page(
        200,
        "Signed in",
        f"<p>Signed in to Manufactory as <strong>{escape(outcome.token.name)}</strong> with {name}.</p>"
        f'<p><a href="{CONSOLE}">Continue to the console</a></p>',
        head=f'<meta http-equiv="refresh" content="0; url={CONSOLE}">',
        cookies=[session],
    )


def failed(error: DomainError | SsoUnavailable) -> Response[str]:
    """What went wrong, in plain words, the error's own text below them, and a way back."""
    status = 503 if isinstance(error, SsoUnavailable) else domain_status(error)
    detail = error.detail if isinstance(error, DomainError) else str(error)
    if isinstance(error, SignInRefused):
        return _page(
            status,
            "Not signed in",
            f"<p>{escape(detail[:1].upper() + detail[1:])}.</p>"
            f'<p><a href="{SIGN_IN_PATH}">Back to the sign-in page</a></p>',
        )
    return _page(
        status,
        "No character was linked",
        f"<p>{_in_plain_words(error)}</p>"
        f'<p>To try again, start a new login: <a href="{LOGIN}">{LOGIN}</a>.</p>'
        f'<p class="detail">{escape(detail)}</p>',
    )


def _in_plain_words(error: DomainError | SsoUnavailable) -> str:
    if isinstance(error, SsoUnavailable):
        return "EVE's login service could not be reached just now. Nothing was changed; try again in a moment."
    if isinstance(error, SsoNotConfigured):
        return "Linking EVE characters is not set up on this server (it has no EVE application registered)."
    if isinstance(error, LoginDeclined):
        if error.error == "access_denied":
            return "You declined the request on EVE's login page, so Manufactory was given no access."
        return "EVE's login page did not approve the request."
    if error.field == "state":
        return "This login expired or was already used: a login has to come back here once, within minutes."
    if error.field == "code":
        return "EVE's login service did not accept this login, so the character could not be verified."
    return "The character could not be linked."


def _page(status: int, title: str, body: str, head: str = "", cookies: Sequence[Cookie] = ()) -> Response[str]:
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
        f"<title>{title} - Manufactory</title><style>{STYLE}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )
    return Response(html, status_code=status, media_type="text/html", headers=HEADERS, cookies=list(cookies))
