"""The client of EVE Online's SSO (OAuth 2.0 "v2"): the authorization code flow with PKCE,
access tokens verified locally, and each linked character's tokens refreshed and cached.

Facts from CCP's developer documentation (docs.esi.evetech.net, "SSO"): the endpoints and the
signing keys' address come from the metadata document at
``/.well-known/oauth-authorization-server``; the access token is a JWT signed RS256 whose
``iss`` is the login host (seen both with and without ``https://``), whose ``aud`` holds the
client id and ``"EVE Online"``, whose ``sub`` is ``CHARACTER:EVE:<id>``, ``name`` the
character's name and ``scp`` its scopes (a string when one, a list when several); it lives
about 20 minutes. A refresh may hand out a new refresh token, which replaces the old one; a
revoked or expired refresh token is a 400 ``invalid_grant``.

Signing keys are fetched and cached by PyJWT's ``PyJWKClient``; a token naming a key id the
cache lacks re-fetches the set (at most once per ``jwks_refetch_cooldown_sec``), so a rotation
at CCP is followed without a restart.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

import httpx
import jwt
import msgspec

from application.command_runner import update_aggregate
from application.eve.vault import TokenVault
from application.event_store import EventStore
from application.settings import Settings
from application.tls import tls_context
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.eve.links import EveLinks, links_id
from domain.events import CommandMeta

USER_AGENT = "Manufactory/0.1 (self-hosted industry planner; https://github.com/manufactory)"
EVE_AUDIENCE = "EVE Online"
SUBJECT_PREFIX = "CHARACTER:EVE:"
# An access token is used only while it has at least this long to live (ESI calls take time).
ACCESS_TOKEN_MARGIN = timedelta(seconds=60)


class SsoUnavailable(Exception):
    """The SSO could not be reached, failed, or refused this application's credentials."""


class SsoNotConfigured(RuleViolation):
    """No client id: linking characters is off on this server (a 422: retrying will not help)."""


class TokenRejected(InvalidInput):
    """A token from the SSO failed verification (signature, issuer, audience, expiry, subject)."""


class ReauthorizationRequired(RuleViolation):
    """The character's refresh token was revoked or expired: its player must log in again."""


class _InvalidGrant(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class SsoMetadata(msgspec.Struct, frozen=True):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class TokenAnswer(msgspec.Struct, frozen=True):
    access_token: str
    expires_in: int
    refresh_token: str | None = None

    def __repr__(self) -> str:
        return f"TokenAnswer(expires_in={self.expires_in})"


class VerifiedCharacter(msgspec.Struct, frozen=True):
    character_id: int
    name: str
    scopes: tuple[str, ...]
    expires_at: datetime
    owner_hash: str | None = None  # the ``owner`` claim: changes when the character changes hands


class IssuedTokens(msgspec.Struct, frozen=True):
    character: VerifiedCharacter
    access_token: str
    refresh_token: str

    def __repr__(self) -> str:
        return f"IssuedTokens(character={self.character!r})"


class TokenVerifier:
    """Checks an access token against the SSO's published keys, issuer and audience."""

    def __init__(self, jwks_uri: str, issuer: str, client_id: str, *, jwks_refetch_cooldown_sec: float = 30.0) -> None:
        self._keys = jwt.PyJWKClient(
            jwks_uri,
            lifespan=300,
            timeout=10,
            headers={"User-Agent": USER_AGENT},
            cooldown_duration=jwks_refetch_cooldown_sec,
        )
        host = urlsplit(issuer).netloc or issuer
        self._issuers = (issuer, f"https://{host}", host)
        self._client_id = client_id

    def verify(self, token: str) -> VerifiedCharacter:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self._client_id,
                issuer=self._issuers,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as error:
            raise SsoUnavailable(f"the SSO's signing keys could not be fetched: {error}") from None
        except jwt.PyJWTError as error:
            raise TokenRejected(f"the SSO's access token was refused: {error}", "code") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if EVE_AUDIENCE not in audiences:
            raise TokenRejected(f"the SSO's access token is not meant for {EVE_AUDIENCE!r}", "code")
        subject = str(claims["sub"])
        character_id = subject.removeprefix(SUBJECT_PREFIX)
        if not subject.startswith(SUBJECT_PREFIX) or not character_id.isdigit():
            raise TokenRejected(f"the SSO's access token names no character ({subject!r})", "code")
        scopes = claims.get("scp", ())
        return VerifiedCharacter(
            character_id=int(character_id),
            name=str(claims.get("name", "")),
            scopes=(scopes,) if isinstance(scopes, str) else tuple(scopes),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            owner_hash=str(claims["owner"]) if claims.get("owner") else None,
        )


class SsoClient:
    """One per system: the SSO's endpoints (from its metadata, fetched once), the token
    exchanges, and each linked character's tokens in the vault."""

    def __init__(
        self,
        settings: Settings,
        vault: TokenVault,
        store: EventStore,
        *,
        http: httpx.Client | None = None,
        jwks_refetch_cooldown_sec: float = 30.0,
    ) -> None:
        self._settings = settings
        self._vault = vault
        self._store = store
        self._http = http or httpx.Client(timeout=10, headers={"User-Agent": USER_AGENT}, verify=tls_context())
        self._cooldown = jwks_refetch_cooldown_sec
        self._metadata: SsoMetadata | None = None
        self._verifier: TokenVerifier | None = None
        self._guard = threading.Lock()
        self._refreshing: dict[tuple[UUID, int], threading.Lock] = {}

    @property
    def client_id(self) -> str:
        if not self._settings.eve_client_id:
            raise SsoNotConfigured("linking EVE characters is off: the server has no MANUFACTORY_EVE_CLIENT_ID")
        return self._settings.eve_client_id

    def metadata(self) -> SsoMetadata:
        with self._guard:
            if self._metadata is None:
                url = f"{self._settings.eve_sso_url.rstrip('/')}/.well-known/oauth-authorization-server"
                try:
                    answer = self._http.get(url)
                    answer.raise_for_status()
                    self._metadata = msgspec.json.decode(answer.content, type=SsoMetadata)
                except (httpx.HTTPError, msgspec.ValidationError, msgspec.DecodeError) as error:
                    raise SsoUnavailable(f"the SSO's metadata could not be read: {error}") from None
            return self._metadata

    def verifier(self) -> TokenVerifier:
        metadata = self.metadata()
        with self._guard:
            if self._verifier is None:
                self._verifier = TokenVerifier(
                    metadata.jwks_uri, metadata.issuer, self.client_id, jwks_refetch_cooldown_sec=self._cooldown
                )
            return self._verifier

    def authorize_url(self, state: str, code_challenge: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self._settings.eve_callback_url,
            "scope": " ".join(self._settings.eve_scopes),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.metadata().authorization_endpoint}?{urlencode(query)}"

    def exchange(self, code: str, verifier: str) -> IssuedTokens:
        """The tokens for an authorization code, the access token verified."""
        try:
            answer = self._grant({"grant_type": "authorization_code", "code": code, "code_verifier": verifier})
        except _InvalidGrant as refused:
            raise InvalidInput(f"the SSO refused the authorization code: {refused.description}", "code") from None
        if not answer.refresh_token:
            raise TokenRejected("the SSO issued no refresh token", "code")
        return IssuedTokens(self.verifier().verify(answer.access_token), answer.access_token, answer.refresh_token)

    def access_token(self, owner_id: UUID, character_id: int) -> str:
        """A live access token for a linked character: the stored one while it has more than a
        minute to live, else a refreshed one."""
        self._ensure_authorized(owner_id, character_id)
        tokens = self._vault.tokens(owner_id, character_id)
        if tokens is None:
            raise NotFound(f"character {character_id} is not linked", "character_id")
        if tokens.access_token and tokens.access_expires_at and tokens.access_expires_at - ACCESS_TOKEN_MARGIN > _now():
            return tokens.access_token
        return self.refresh(owner_id, character_id)

    def refresh(self, owner_id: UUID, character_id: int) -> str:
        """Refresh a character's tokens and return the new access token. The refresh token
        handed out replaces the old one; a refused one (revoked, expired) marks the character
        ``reauthorize`` and raises ``ReauthorizationRequired``. One refresh per character at a
        time in this process; another process's refresh that rotated the token first is taken
        as this one's result."""
        with self._lock_for(owner_id, character_id):
            stored = self._vault.tokens(owner_id, character_id)
            if stored is None:
                raise NotFound(f"character {character_id} is not linked", "character_id")
            try:
                answer = self._grant({"grant_type": "refresh_token", "refresh_token": stored.refresh_token})
            except _InvalidGrant as refused:
                latest = self._vault.tokens(owner_id, character_id)
                if latest and latest.access_token and latest.refresh_token != stored.refresh_token:
                    return latest.access_token
                self._mark_reauthorize(owner_id, character_id, refused.description)
                raise ReauthorizationRequired(
                    f"character {character_id} needs re-authorization (the SSO said: {refused.description}):"
                    " log in again through /v1/eve/login",
                    "character_id",
                ) from None
            character = self.verifier().verify(answer.access_token)
            if character.character_id != character_id:
                raise TokenRejected(f"the SSO refreshed character {character.character_id}, not {character_id}")
            refresh_token = answer.refresh_token or stored.refresh_token
            self._vault.store(owner_id, character_id, refresh_token, answer.access_token, character.expires_at)
            self._update_links(
                owner_id, lambda links, meta: links.tokens_refreshed(character_id, character.scopes, meta)
            )
            return answer.access_token

    def _grant(self, form: dict[str, str]) -> TokenAnswer:
        """A POST to the token endpoint: the client id in the form (PKCE, a public client), or
        HTTP Basic with the secret when there is one."""
        secret = self._settings.eve_client_secret
        auth = httpx.BasicAuth(self.client_id, secret) if secret else httpx.USE_CLIENT_DEFAULT
        try:
            answer = self._http.post(
                self.metadata().token_endpoint, data={**form, "client_id": self.client_id}, auth=auth
            )
        except httpx.HTTPError as error:
            raise SsoUnavailable(f"the SSO could not be reached: {type(error).__name__}") from None
        if answer.status_code == 400:
            refusal = _refusal(answer)
            if refusal.get("error") == "invalid_grant":
                raise _InvalidGrant(str(refusal.get("error_description") or "invalid_grant"))
        if answer.status_code != 200:
            raise SsoUnavailable(f"the SSO answered {answer.status_code} {_refusal(answer).get('error', '')}".strip())
        try:
            return msgspec.json.decode(answer.content, type=TokenAnswer)
        except (msgspec.ValidationError, msgspec.DecodeError):
            raise SsoUnavailable("the SSO's token answer could not be read") from None

    def _ensure_authorized(self, owner_id: UUID, character_id: int) -> None:
        try:
            linked = self._store.load(links_id(owner_id), EveLinks).linked(character_id)
        except NotFound:
            raise NotFound(f"character {character_id} is not linked", "character_id") from None
        if linked.token_state == "reauthorize":
            raise ReauthorizationRequired(
                f"character {character_id} needs re-authorization ({linked.reason}):"
                " log in again through /v1/eve/login",
                "character_id",
            )

    def _mark_reauthorize(self, owner_id: UUID, character_id: int, reason: str) -> None:
        self._update_links(owner_id, lambda links, meta: links.needs_reauthorization(character_id, reason, meta))

    def _update_links(self, owner_id: UUID, change: Callable[[EveLinks, CommandMeta], None]) -> None:
        meta = CommandMeta(user_id=owner_id, correlation_id=str(uuid.uuid4()))
        update_aggregate(self._store, EveLinks, links_id(owner_id), owner_id, lambda links: change(links, meta))

    def _lock_for(self, owner_id: UUID, character_id: int) -> threading.Lock:
        with self._guard:
            return self._refreshing.setdefault((owner_id, character_id), threading.Lock())

    def close(self) -> None:
        self._http.close()


def _refusal(answer: httpx.Response) -> dict[str, Any]:
    """The OAuth error body (``{"error", "error_description"}``), or nothing readable."""
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _now() -> datetime:
    return datetime.now(UTC)
