"""A stand-in for EVE's SSO (v2): metadata, signing keys, authorize and token, with CCP's
claim shapes (``application/eve/sso.py`` cites the source), for tests and demos.

``/v2/oauth/authorize`` approves at once for the configured character (no login page) and
sends the browser back to ``redirect_uri`` with the code and state. ``/v2/oauth/token`` checks
PKCE (S256) on codes, rotates refresh tokens (the old one stops working), and answers 400
``invalid_grant`` to a revoked, used or unknown one. Tokens are RS256 JWTs signed by an RSA key
generated at start; ``rotate_key`` replaces it (the old one leaves the published set).

``sso_router(sso)`` gives the routes that ``interfaces.eve_standin.app.fake_eve`` serves beside
the stand-in ESI, and ``StandInSso.verify`` tells that ESI whose bearer token it got.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from typing import Any, NamedTuple
from urllib.parse import urlencode

import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from application.eve.sso import EVE_AUDIENCE, SUBJECT_PREFIX
from interfaces.eve_standin.world import ANN

DEFAULT_CHARACTER_ID = ANN.character_id  # who approves every login: the seeded world's Ann
DEFAULT_CHARACTER_NAME = ANN.name
CODE_TTL_SEC = 300


class TokenHolder(NamedTuple):
    """Whom a valid access token speaks for, and what its login granted."""

    character_id: int
    scopes: frozenset[str]


class _Grant(msgspec.Struct, kw_only=True):
    client_id: str
    character_id: int
    name: str
    scopes: tuple[str, ...]
    redirect_uri: str = ""
    code_challenge: str = ""
    issued_at: float = 0.0


class _SigningKey:
    def __init__(self) -> None:
        self.kid = f"JWT-Signature-Key-{uuid.uuid4()}"
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}


class StandInSso:
    """The stand-in's state: one character approving every login, codes and refresh tokens
    in memory. ``client_id`` None accepts any client."""

    def __init__(
        self,
        *,
        character_id: int = DEFAULT_CHARACTER_ID,
        name: str = DEFAULT_CHARACTER_NAME,
        client_id: str | None = None,
        access_ttl_sec: int = 1200,
    ) -> None:
        self.character_id = character_id
        self.name = name
        self.client_id = client_id
        self.access_ttl_sec = access_ttl_sec
        self.issuer = "http://localhost"  # set to the served address by the first request
        self._key = _SigningKey()
        self._codes: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, _Grant] = {}
        self._sales: dict[int, int] = {}  # times each character changed hands: its owner hash follows
        self._lock = threading.Lock()

    def rotate_key(self) -> None:
        """Sign with a new key from now on; the old one leaves the published set."""
        self._key = _SigningKey()

    def revoke(self, character_id: int | None = None) -> None:
        """Revoke every refresh token (of one character), as a player revoking access would."""
        with self._lock:
            for token, grant in list(self._refresh_tokens.items()):
                if character_id is None or grant.character_id == character_id:
                    del self._refresh_tokens[token]

    def sell(self, character_id: int) -> None:
        """The character changes hands: its ``owner`` claim changes, as CCP's does on a transfer,
        and its refresh tokens stop working."""
        self.revoke(character_id)
        with self._lock:
            self._sales[character_id] = self._sales.get(character_id, 0) + 1

    def owner_hash(self, character_id: int) -> str:
        sales = self._sales.get(character_id, 0)
        owner = f"{character_id}" if not sales else f"{character_id}#{sales}"
        return base64.b64encode(hashlib.sha1(owner.encode()).digest()).decode()

    def access_token(
        self,
        character_id: int,
        name: str,
        scopes: tuple[str, ...],
        *,
        client_id: str = "",
        audience: list[str] | None = None,
        expires_in: int | None = None,
        key: Any = None,
        kid: str | None = None,
        issuer: str | None = None,
    ) -> str:
        """An access token in CCP's shape; the keyword arguments make wrong ones for tests
        (another audience, an expired one, one signed by a key nobody published, another issuer)."""
        now = int(time.time())
        claims = {
            "scp": scopes[0] if len(scopes) == 1 else list(scopes),
            "jti": str(uuid.uuid4()),
            "kid": kid or self._key.kid,
            "sub": f"{SUBJECT_PREFIX}{character_id}",
            "azp": client_id,
            "tenant": "tranquility",
            "tier": "live",
            "region": "world",
            "aud": audience if audience is not None else [client_id, EVE_AUDIENCE],
            "name": name,
            "owner": self.owner_hash(character_id),
            "exp": now + (self.access_ttl_sec if expires_in is None else expires_in),
            "iat": now,
            "iss": issuer or self.issuer,
        }
        return jwt.encode(
            claims, key or self._key.private, algorithm="RS256", headers={"kid": kid or self._key.kid, "typ": "JWT"}
        )

    def verify(self, token: str) -> TokenHolder | None:
        """The character a bearer token of this stand-in speaks for and the scopes it grants,
        or None (bad signature, expired, not meant for EVE)."""
        try:
            claims = jwt.decode(
                token,
                self._key.private.public_key(),
                algorithms=["RS256"],
                audience=EVE_AUDIENCE,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError:
            return None
        subject = str(claims["sub"]).removeprefix(SUBJECT_PREFIX)
        if not subject.isdigit():
            return None
        granted = claims.get("scp", [])
        return TokenHolder(int(subject), frozenset([granted] if isinstance(granted, str) else granted))

    def _approve(self, query: dict[str, str]) -> str:
        """The redirect for an authorization request (auto-approved for the configured character)."""
        if query.get("response_type") != "code" or not query.get("redirect_uri") or not query.get("state"):
            raise _OAuthError("invalid_request", "response_type=code, redirect_uri and state are required")
        if self.client_id is not None and query.get("client_id") != self.client_id:
            raise _OAuthError("invalid_client", "unknown client_id")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise _OAuthError("invalid_request", "this stand-in requires PKCE with S256")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(
                client_id=query.get("client_id", ""),
                character_id=self.character_id,
                name=self.name,
                scopes=tuple(query.get("scope", "").split()),
                redirect_uri=query["redirect_uri"],
                code_challenge=query["code_challenge"],
                issued_at=time.time(),
            )
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                grant = self._codes.pop(form.get("code", ""), None)  # a code is used once
                if grant is None or time.time() - grant.issued_at > CODE_TTL_SEC:
                    raise _OAuthError("invalid_grant", "Authorization code is invalid or expired")
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if challenge != grant.code_challenge:
                    raise _OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
            elif grant_type == "refresh_token":
                grant = self._refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotated: used once
                if grant is None:
                    raise _OAuthError("invalid_grant", "Invalid refresh token. Token missing/expired.")
            else:
                raise _OAuthError("unsupported_grant_type", f"grant_type {grant_type!r}")
            if form.get("client_id", grant.client_id) != grant.client_id:
                raise _OAuthError("invalid_client", "the grant belongs to another client")
            refresh_token = secrets.token_urlsafe(32)
            self._refresh_tokens[refresh_token] = grant
        access = self.access_token(grant.character_id, grant.name, grant.scopes, client_id=grant.client_id)
        return {
            "access_token": access,
            "expires_in": self.access_ttl_sec,
            "token_type": "Bearer",
            "refresh_token": refresh_token,
        }

    def _served_at(self, request: Request[Any, Any, Any]) -> None:
        self.issuer = str(request.base_url).rstrip("/")


class _OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _oauth_error(_: Request[Any, Any, Any], exc: _OAuthError) -> Response[dict[str, str]]:
    return Response({"error": exc.error, "error_description": exc.description}, status_code=400)


def sso_router(sso: StandInSso) -> Router:
    """The SSO's routes on ``sso``'s state, to serve alone or beside an ESI stand-in."""

    @get("/.well-known/oauth-authorization-server", sync_to_thread=False)
    def metadata(request: Request[Any, Any, Any]) -> dict[str, Any]:
        sso._served_at(request)
        base = sso.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/v2/oauth/authorize",
            "token_endpoint": f"{base}/v2/oauth/token",
            "jwks_uri": f"{base}/oauth/jwks",
            "response_types_supported": ["code", "token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "token_endpoint_auth_signing_alg_values_supported": ["HS256"],
        }

    @get("/oauth/jwks", sync_to_thread=False)
    def jwks() -> dict[str, Any]:
        return {"keys": [sso._key.jwk()], "SkipUnresolvedJsonWebKeys": True}

    @get("/v2/oauth/authorize", sync_to_thread=False)
    def authorize(request: Request[Any, Any, Any]) -> Redirect:
        sso._served_at(request)
        return Redirect(path=sso._approve(dict(request.query_params)), status_code=302)

    @post("/v2/oauth/token", status_code=200)
    async def token(request: Request[Any, Any, Any]) -> dict[str, Any]:
        sso._served_at(request)
        form = {key: str(value) for key, value in (await request.form()).items()}
        if "client_id" not in form and request.headers.get("authorization", "").startswith("Basic "):
            decoded = base64.b64decode(request.headers["authorization"][6:]).decode()
            form["client_id"] = decoded.partition(":")[0]
        return sso._token(form)

    return Router(
        path="/", route_handlers=[metadata, jwks, authorize, token], exception_handlers={_OAuthError: _oauth_error}
    )
