"""Command routes of EVE: the SSO login and its callback, and unlinking a character."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect

from application.eve.links import EveLinkService, LoginDeclined, SignedIn
from application.eve.sso import SsoUnavailable
from domain.errors import DomainError
from domain.events import CommandMeta
from domain.limits import INT64_MAX
from interfaces.http.bodies import ErrorBody
from interfaces.http.context import COMMAND_DEPENDENCIES, await_projection, system_of
from interfaces.http.eve import callback_page
from interfaces.http.eve.schemas import CharacterLinkedOut, CharacterUnlinkedOut, LinkedCharacterOut, SignedInOut
from interfaces.web.session import session_cookie

# What the SSO sends back is opaque to us; bounded so nothing unbounded reaches the database.
# No code but an ``error`` is the SSO saying the login did not happen (RFC 6749, 4.1.2.1).
AuthorizationCode = Annotated[str | None, QueryParameter(min_length=1, max_length=4096)]
SsoError = Annotated[str | None, QueryParameter(min_length=1, max_length=256)]
SsoErrorDescription = Annotated[str | None, QueryParameter(min_length=1, max_length=4096)]
# ``state`` is a name Litestar reserves for its own state: the handler calls it ``login_state``.
LoginState = Annotated[str, QueryParameter(name="state", min_length=1, max_length=4096)]


class EveCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @get(
        "/v1/eve/login",
        tags=["commands"],
        status_code=302,
        responses={302: ResponseSpec(data_container=None, description="To the EVE SSO's authorization page")},
    )
    async def start_eve_login(self, eve: NamedDependency[EveLinkService], user_id: NamedDependency[UUID]) -> Redirect:
        """Start linking a character: a redirect to EVE's SSO (PKCE), whose answer comes back
        to /v1/eve/callback. The login is yours, usable once, for MANUFACTORY_EVE_LOGIN_TTL_SEC."""
        url = await anyio.to_thread.run_sync(eve.start_login, user_id)
        return Redirect(path=url, status_code=302)

    @get(
        "/v1/eve/callback",
        tags=["commands"],
        exclude_from_auth=True,
        responses={
            200: ResponseSpec(
                CharacterLinkedOut | SignedInOut,
                description="The character linked, or the user signed in (to a browser: a page saying so)",
            ),
            400: ResponseSpec(
                ErrorBody, description="Unknown, used or expired login, a login declined, or a refused code or token"
            ),
            503: ResponseSpec(ErrorBody, description="The SSO (or the database) cannot be reached: retry the login"),
        },
    )
    async def finish_eve_login(
        self,
        request: Request[Any, Any, Any],
        eve: NamedDependency[EveLinkService],
        login_state: LoginState,
        code: AuthorizationCode = None,
        error: SsoError = None,
        error_description: SsoErrorDescription = None,
    ) -> CharacterLinkedOut | SignedInOut | Response[str]:
        """Where EVE's SSO sends the browser back: the code is exchanged, the token verified and
        the character linked to the user who started the login (the ``state`` says who). An
        ``error`` instead of a code (``access_denied``: the player declined) links nothing. A
        request preferring HTML (a browser) gets a page saying what happened, the same status.

        A sign-in (started at the console's ``/sign-in/eve``) signs in the user who linked the
        character, if exactly one did while it had the same owner: a browser gets the console's
        session cookie and goes on to the console, a program an API token that expires."""
        html = callback_page.wants_html(request)
        try:
            if code is None:
                raise LoginDeclined(error, error_description)
            outcome = await anyio.to_thread.run_sync(eve.finish_login, code, login_state)
        except (DomainError, SsoUnavailable) as failure:
            if not html:
                raise
            return callback_page.failed(failure)
        if isinstance(outcome, SignedIn):
            await await_projection(system_of(request.app.state), "users", outcome.token.position)  # usable at once
            if html:
                return callback_page.signed_in(outcome, session_cookie(request, outcome.token.token))
            return SignedInOut.of(outcome)
        if html:
            return callback_page.linked(outcome.character)
        return CharacterLinkedOut(character=LinkedCharacterOut.of(outcome.character), position=outcome.position)

    @delete("/v1/eve/characters/{character_id:int}", tags=["commands"], status_code=200)
    async def unlink_eve_character(
        self,
        eve: NamedDependency[EveLinkService],
        character_id: Annotated[int, PathParameter(description="The character's id", ge=1, le=INT64_MAX)],
        meta: NamedDependency[CommandMeta],
    ) -> CharacterUnlinkedOut:
        """Unlink one of your characters and erase its tokens."""
        position = await anyio.to_thread.run_sync(eve.unlink, meta.user_id, character_id, meta)
        return CharacterUnlinkedOut(character_id=character_id, status="unlinked", position=position)
