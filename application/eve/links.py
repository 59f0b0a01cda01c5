"""Linking EVE characters to a user: the login through the SSO, the list, the unlink; and
signing in to the console with a linked character.

A login's state is bound to the user who asked for it, used once and expires
(``eve_login_ttl_sec``): the browser coming back from the SSO carries no bearer token, so the
state is what says whose character it is. A sign-in's state is bound to nobody: the character
the SSO vouches for says who signs in, if exactly one user linked it while it had the same
owner (the SSO's ``owner`` claim changes when a character is sold, so a buyer never signs in
to the seller's account); the user then gets an API token that expires
(``console_session_ttl_sec``), for the console's session cookie.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import msgspec

from application.command_runner import save_atomically
from application.eve.esi import ResponseCache
from application.eve.sso import IssuedTokens, SsoClient
from application.eve.vault import TokenVault
from application.event_store import EventStore
from application.settings import Settings
from application.users import IssuedToken, UserService
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


class Linked(msgspec.Struct, frozen=True):
    """A login finished: the character linked to the user who started it."""

    character: LinkedCharacter
    position: int


class SignedIn(msgspec.Struct, frozen=True):
    """A sign-in finished: the user the character belongs to, and a token for the session."""

    character: LinkedCharacter
    token: IssuedToken
    expires_at: datetime


class SignInRefused(InvalidInput):
    """The character the SSO vouched for signs in nobody: linked to no account, to several, or
    only while it had another owner."""


class EveLinkService:
    def __init__(
        self,
        store: EventStore,
        sso: SsoClient,
        vault: TokenVault,
        esi_cache: ResponseCache,
        settings: Settings,
        users: UserService,
    ) -> None:
        self.store = store
        self.sso = sso
        self._vault = vault
        self._esi_cache = esi_cache
        self._users = users
        self._login_ttl = timedelta(seconds=settings.eve_login_ttl_sec)
        self._session_ttl = timedelta(seconds=settings.console_session_ttl_sec)

    def start_login(self, user_id: UUID) -> str:
        """The SSO's authorization URL for a new login of ``user_id``."""
        return self._start(user_id)

    def start_sign_in(self) -> str:
        """The SSO's authorization URL for signing in to the console with a linked character."""
        return self._start(None)

    def _start(self, user_id: UUID | None) -> str:
        self.sso.client_id  # noqa: B018 - not configured: refused before anything is stored
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters (RFC 7636: 43-128)
        self._vault.put_login(state, user_id, verifier, datetime.now(UTC) + self._login_ttl)
        return self.sso.authorize_url(state, code_challenge(verifier))

    def finish_login(self, code: str, state: str) -> Linked | SignedIn:
        """Exchange the code, then link the character to the state's user, or sign in the
        user it belongs to when the state was a sign-in's."""
        pending = self._vault.take_login(state, datetime.now(UTC))
        if pending is None:
            raise InvalidInput("unknown, used or expired login: start again at /v1/eve/login", "state")
        issued = self.sso.exchange(code, pending.verifier)
        if pending.user_id is None:
            return self._sign_in(issued)
        character, position = self._link(pending.user_id, issued)
        return Linked(character, position)

    def _link(self, owner: UUID, issued: IssuedTokens) -> tuple[LinkedCharacter, int]:
        """Keep the tokens and link the character to ``owner`` (again: new scopes, new owner hash)."""
        character = issued.character
        self._vault.store(
            owner, character.character_id, issued.refresh_token, issued.access_token, character.expires_at
        )
        meta = CommandMeta(user_id=owner, correlation_id=str(uuid.uuid4()))

        def decide() -> tuple[list[Aggregate], LinkedCharacter]:
            links = self._links(owner) or EveLinks.open(owner, meta)
            links.link(character.character_id, character.name, character.scopes, meta, character.owner_hash)
            return [links], links.linked(character.character_id)

        return save_atomically(self.store, [links_id(owner)], decide)

    def _sign_in(self, issued: IssuedTokens) -> SignedIn:
        """The one user who linked the character while its owner was the same signs in; its
        tokens are kept as a login's are. Anyone else is refused, saying what to do instead."""
        character = issued.character
        holders = [
            user_id
            for user_id in self._vault.holders(character.character_id)
            if (links := self._links(user_id)) is not None
            and (linked := links.characters.get(character.character_id)) is not None
            and character.owner_hash is not None
            and linked.owner_hash == character.owner_hash
        ]
        if len(holders) != 1:
            why = "is linked to more than one account" if holders else "is not linked to an account it can sign in to"
            raise SignInRefused(
                f"{character.name or character.character_id} {why}: sign in with your API token and link it "
                "(again) from there",
                "state",
            )
        (user_id,) = holders
        linked, _ = self._link(user_id, issued)
        meta = CommandMeta(user_id=user_id, correlation_id=str(uuid.uuid4()))
        token = self._users.issue_token(user_id, meta, expires_in=self._session_ttl)
        return SignedIn(linked, token, datetime.now(UTC) + self._session_ttl)

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
                raise NotFound(f"character {character_id} is not linked", "character_id")
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
