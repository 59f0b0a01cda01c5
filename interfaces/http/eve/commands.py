"""Command routes of EVE: the SSO login and its callback, and unlinking a character."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
from litestar import Controller, delete, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect

from application.eve.links import EveLinkService
from domain.events import CommandMeta
from domain.limits import INT64_MAX
from interfaces.http.bodies import ErrorBody
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.eve.schemas import CharacterLinkedOut, CharacterUnlinkedOut, LinkedCharacterOut

# What the SSO sends back is opaque to us; bounded so nothing unbounded reaches the database.
AuthorizationCode = Annotated[str, QueryParameter(min_length=1, max_length=4096)]
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
            400: ResponseSpec(ErrorBody, description="Unknown, used or expired login, or a refused code or token"),
            503: ResponseSpec(ErrorBody, description="The SSO (or the database) cannot be reached: retry the login"),
        },
    )
    async def finish_eve_login(
        self, eve: NamedDependency[EveLinkService], code: AuthorizationCode, login_state: LoginState
    ) -> CharacterLinkedOut:
        """Where EVE's SSO sends the browser back: the code is exchanged, the token verified and
        the character linked to the user who started the login (the ``state`` says who)."""
        linked, position = await anyio.to_thread.run_sync(eve.finish_login, code, login_state)
        return CharacterLinkedOut(character=LinkedCharacterOut.of(linked), position=position)

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
