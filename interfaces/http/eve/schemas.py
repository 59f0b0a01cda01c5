"""Bodies of the EVE routes: linked characters, never an EVE token (a sign-in answers the
user's own new API token, once)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.eve.links import SignedIn
from domain.eve.links import LinkedCharacter, TokenState
from interfaces.http.bodies import Response


class LinkedCharacterOut(Response):
    character_id: int
    name: str
    scopes: list[str]
    # ok, or reauthorize: the SSO refused the refresh token; log in again at /v1/eve/login.
    token_state: TokenState
    reason: str | None
    # Its corporation as the sync last saw it in the game (null until then).
    corporation_id: int | None
    # The character's last successful sync step (null until one succeeded).
    last_sync: datetime | None

    @classmethod
    def of(cls, character: LinkedCharacter, last_sync: datetime | None = None) -> LinkedCharacterOut:
        return cls(
            character_id=character.character_id,
            name=character.name,
            scopes=list(character.scopes),
            token_state=character.token_state,
            reason=character.reason,
            corporation_id=character.corporation_id,
            last_sync=last_sync,
        )


class LinkedCharacterList(Response):
    characters: list[LinkedCharacterOut]


class CharacterLinkedOut(Response):
    character: LinkedCharacterOut
    position: int


class SignedInOut(Response):
    """A sign-in with a linked character: the user's new API token, shown once, and when it expires."""

    character: LinkedCharacterOut
    user_id: UUID
    name: str
    token: str
    expires_at: datetime

    @classmethod
    def of(cls, outcome: SignedIn) -> SignedInOut:
        return cls(
            character=LinkedCharacterOut.of(outcome.character),
            user_id=outcome.token.user_id,
            name=outcome.token.name,
            token=outcome.token.token,
            expires_at=outcome.expires_at,
        )


class CharacterUnlinkedOut(Response):
    character_id: int
    status: str
    position: int
