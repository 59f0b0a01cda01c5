"""Bodies of the EVE routes: linked characters, never a token."""

from __future__ import annotations

from datetime import datetime

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


class CharacterUnlinkedOut(Response):
    character_id: int
    status: str
    position: int
