"""Users of Manufactory, their API tokens, and the claims that keep their names unique.

A token is shown once when issued and stored only as its SHA-256 hash, so a leaked
database does not leak working credentials. The hash is still a secret of the user's: the
events carry it (a rebuilt read model must authenticate with it) but name it in
``redacted``, so audit never shows it, and ``state()`` lists tokens by id only. A token may
expire, and can be revoked by its id.

User ids are random. They used to derive from the name, so anyone could compute alice's id
and, through it, the ids of everything derived from it (her catalog, containers, markers...).
Names stay unique, also under concurrent creates in several processes, through a name claim:
an aggregate at the id the (lower-cased) name derives to, saved in the same transaction as
the user, so a second user of the same name collides on it in the event store. That id is
the one users had before ids were random, so an existing user's own aggregate is the claim
on its name: it keeps its id, and nobody can register its name again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.errors import InvalidInput, NotFound
from domain.events import CommandMeta, Event, utcnow

USER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_NAME_NAMESPACE = UUID("0b6c2f0e-3f7a-4f57-8a53-2d1c7e9f4b21")
_LEGACY_TOKEN_NAMESPACE = UUID("c5a0e1f2-7b3d-4c69-9e84-1d2f3a4b5c6e")


def name_claim_id(name: str) -> UUID:
    """Where the claim on ``name`` lives (case-insensitive): a user's id before ids were random."""
    return uuid.uuid5(_NAME_NAMESPACE, name.lower())


def legacy_token_id(token_hash: str) -> UUID:
    """The id of a token issued before tokens had ids: derived from its hash, so a rebuild
    gives it the same id, and one-way, so the id does not reveal the hash."""
    return uuid.uuid5(_LEGACY_TOKEN_NAMESPACE, token_hash)


def new_token() -> str:
    return "mf_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Token(msgspec.Struct, frozen=True, kw_only=True):
    token_id: UUID
    token_hash: str
    issued_at: datetime
    expires_at: datetime | None


class TokenState(msgspec.Struct, frozen=True, kw_only=True):
    token_id: UUID
    issued_at: datetime
    expires_at: datetime | None


class User(Aggregate):
    name: str
    admin: bool
    tokens: dict[UUID, Token]

    @classmethod
    def register(
        cls,
        name: str,
        token: str,
        *,
        admin: bool = False,
        expires_in: timedelta | None = None,
        meta: CommandMeta | None = None,
    ) -> tuple[User, UserNameClaim]:
        """A new user holding ``token``, and the claim on its name, to be saved together; a
        user registering itself is its own causer."""
        if not USER_NAME_PATTERN.match(name):
            raise InvalidInput("a user name is 1-64 letters, digits, '_', '.', '@' or '-'", "name")
        user_id = uuid.uuid4()
        now = utcnow()
        meta = meta or CommandMeta(user_id=user_id, correlation_id=str(uuid.uuid4()))
        user = cls._create(
            UserRegistered,
            user_id,
            timestamp=now,
            meta=meta,
            name=name,
            token_id=uuid.uuid4(),
            token_hash=hash_token(token),
            expires_at=_expiry(now, expires_in),
            admin=admin,
        )
        claim = UserNameClaim._create(UserNameClaimed, name_claim_id(name), timestamp=now, meta=meta, user_id=user_id)
        return user, claim

    def issue_token(self, token: str, meta: CommandMeta, expires_in: timedelta | None = None) -> UUID:
        token_id = uuid.uuid4()
        expires_at = _expiry(utcnow(), expires_in)
        self._record(TokenIssued, meta=meta, token_id=token_id, token_hash=hash_token(token), expires_at=expires_at)
        return token_id

    def revoke_token(self, token_id: UUID, meta: CommandMeta) -> None:
        if token_id not in self.tokens:
            raise NotFound("token not found", "token_id")
        self._record(TokenRevoked, meta=meta, token_id=token_id)

    def set_admin(self, admin: bool, meta: CommandMeta) -> None:
        """Admins see the server's internals (per-projection health); unchanged is a no-op."""
        if admin != self.admin:
            self._record(AdminGranted if admin else AdminRevoked, meta=meta)

    def state(self) -> UserState:
        return UserState(
            user_id=self.id,
            name=self.name,
            admin=self.admin,
            tokens=[
                TokenState(token_id=t.token_id, issued_at=t.issued_at, expires_at=t.expires_at)
                for t in self.tokens.values()
            ],
            version=self.version,
            created_on=self.created_on,
            modified_on=self.modified_on,
        )


def _expiry(now: datetime, expires_in: timedelta | None) -> datetime | None:
    if expires_in is None:
        return None
    if expires_in <= timedelta(0):
        raise InvalidInput("a token's lifetime must be positive", "expires_in")
    return now + expires_in


class UserState(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    name: str
    admin: bool
    tokens: list[TokenState]
    version: int
    created_on: datetime
    modified_on: datetime


class UserRegistered(Event, frozen=True, tag=2):
    redacted: ClassVar[frozenset[str]] = frozenset({"token_hash"})
    name: str
    token_id: UUID
    token_hash: str
    expires_at: datetime | None = None
    admin: bool = False

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["token_id"] = str(legacy_token_id(state["token_hash"]))

    def apply(self, aggregate: Any) -> User:
        user = User(self.originator_id, self.originator_id, self.timestamp)
        user.name = self.name
        user.admin = self.admin
        user.tokens = {}
        _add_token(user, self, self.token_id, self.token_hash, self.expires_at)
        return user


class TokenIssued(Event, frozen=True, tag=2):
    redacted: ClassVar[frozenset[str]] = frozenset({"token_hash"})
    token_id: UUID
    token_hash: str
    expires_at: datetime | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["token_id"] = str(legacy_token_id(state["token_hash"]))

    def apply(self, aggregate: User) -> User:
        _add_token(aggregate, self, self.token_id, self.token_hash, self.expires_at)
        return aggregate


def _add_token(user: User, event: Event, token_id: UUID, token_hash: str, expires_at: datetime | None) -> None:
    user.tokens[token_id] = Token(
        token_id=token_id, token_hash=token_hash, issued_at=event.timestamp, expires_at=expires_at
    )


class TokenRevoked(Event, frozen=True):
    token_id: UUID

    def apply(self, aggregate: User) -> User:
        del aggregate.tokens[self.token_id]
        return aggregate


class AdminGranted(Event, frozen=True):
    def apply(self, aggregate: User) -> User:
        aggregate.admin = True
        return aggregate


class AdminRevoked(Event, frozen=True):
    def apply(self, aggregate: User) -> User:
        aggregate.admin = False
        return aggregate


class UserNameClaim(Aggregate):
    """The claim on a user's name: its id derives from the name, it holds the user's id."""

    user_id: UUID

    def state(self) -> UserNameClaimState:
        return UserNameClaimState(user_id=self.user_id, version=self.version)


class UserNameClaimState(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    version: int


class UserNameClaimed(Event, frozen=True):
    user_id: UUID

    def apply(self, aggregate: Any) -> UserNameClaim:
        claim = UserNameClaim(self.originator_id, self.user_id, self.timestamp)
        claim.user_id = self.user_id
        return claim
