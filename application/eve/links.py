"""Linking EVE characters to a user: the login through the SSO, the list, the unlink.

A login's state is bound to the user who asked for it, used once and expires
(``eve_login_ttl_sec``): the browser coming back from the SSO carries no bearer token, so the
state is what says whose character it is.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from application.command_runner import save_atomically
from application.eve.esi import ResponseCache
from application.eve.sso import SsoClient
from application.eve.vault import TokenVault
from application.event_store import EventStore
from application.settings import Settings
from domain.aggregate import Aggregate
from domain.errors import InvalidInput, NotFound
from domain.eve.links import EveLinks, LinkedCharacter, links_id
from domain.events import CommandMeta


def code_challenge(verifier: str) -> str:
    """PKCE's S256: the unpadded base64url of the verifier's SHA-256 (RFC 7636, 4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class LoginDeclined(InvalidInput):
    """The SSO sent the browser back with an error instead of a code (``access_denied``: the
    player declined); nothing is linked."""

    def __init__(self, error: str | None, description: str | None) -> None:
        answered = f"EVE's SSO answered {error}" if error else "EVE's SSO sent back no code"
        detail = f"{answered}: {description}" if description else answered
        super().__init__(f"{detail}; start again at /v1/eve/login", "code")
        self.error = error


class EveLinkService:
    def __init__(
        self, store: EventStore, sso: SsoClient, vault: TokenVault, esi_cache: ResponseCache, settings: Settings
    ) -> None:
        self.store = store
        self.sso = sso
        self._vault = vault
        self._esi_cache = esi_cache
        self._login_ttl = timedelta(seconds=settings.eve_login_ttl_sec)

    def start_login(self, user_id: UUID) -> str:
        """The SSO's authorization URL for a new login of ``user_id``."""
        self.sso.client_id  # noqa: B018 - not configured: refused before anything is stored
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters (RFC 7636: 43-128)
        self._vault.put_login(state, user_id, verifier, datetime.now(UTC) + self._login_ttl)
        return self.sso.authorize_url(state, code_challenge(verifier))

    def finish_login(self, code: str, state: str) -> tuple[LinkedCharacter, int]:
        """Exchange the code, keep the tokens and link the character to the state's user."""
        pending = self._vault.take_login(state, datetime.now(UTC))
        if pending is None:
            raise InvalidInput("unknown, used or expired login: start again at /v1/eve/login", "state")
        issued = self.sso.exchange(code, pending.verifier)
        character = issued.character
        owner = pending.user_id
        self._vault.store(
            owner, character.character_id, issued.refresh_token, issued.access_token, character.expires_at
        )
        meta = CommandMeta(user_id=owner, correlation_id=str(uuid.uuid4()))

        def decide() -> tuple[list[Aggregate], LinkedCharacter]:
            links = self._links(owner) or EveLinks.open(owner, meta)
            links.link(character.character_id, character.name, character.scopes, meta)
            return [links], links.linked(character.character_id)

        return save_atomically(self.store, [links_id(owner)], decide)

    def characters(self, user_id: UUID) -> tuple[LinkedCharacter, ...]:
        links = self._links(user_id)
        return links.state() if links else ()

    def unlink(self, user_id: UUID, character_id: int, meta: CommandMeta) -> int:
        """Unlink a character and erase its tokens (erased first: a failure after that leaves
        a link without tokens, never tokens without a link), then the answers its token
        fetched from ESI (nobody asks for them again; a sync of it still under way may put a
        last page, which the cache drops as unused)."""

        def decide() -> tuple[list[Aggregate], None]:
            links = self._links(user_id)
            if links is None:
                raise NotFound(f"character {character_id} is not linked", "characterId")
            links.unlink(character_id, meta)
            self._vault.erase(user_id, character_id)
            return [links], None

        position = save_atomically(self.store, [links_id(user_id)], decide)[1]
        self._esi_cache.forget_character(character_id)
        return position

    def _links(self, user_id: UUID) -> EveLinks | None:
        try:
            return self.store.load(links_id(user_id), EveLinks)
        except NotFound:
            return None
