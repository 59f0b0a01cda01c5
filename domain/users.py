"""Users of Manufactory and their API tokens.

A token is shown once when issued and stored only as its SHA-256 hash, so a leaked
database does not leak working credentials.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.errors import InvalidInput
from domain.events import CommandMeta, Event, utcnow

USER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_USER_NAMESPACE = UUID("0b6c2f0e-3f7a-4f57-8a53-2d1c7e9f4b21")


def user_aggregate_id(name: str) -> UUID:
    """Names are unique: the id derives from the name, so a duplicate collides on save."""
    return uuid.uuid5(_USER_NAMESPACE, name.lower())


def new_token() -> str:
    return "mf_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class User(Aggregate):
    name: str
    token_hashes: list[str]

    @classmethod
    def register(cls, name: str, token: str, meta: CommandMeta | None = None) -> User:
        """Register a user holding ``token``; a user registering itself is its own causer."""
        if not USER_NAME_PATTERN.match(name):
            raise InvalidInput("a user name is 1-64 letters, digits, '_', '.', '@' or '-'", "name")
        user_id = user_aggregate_id(name)
        return cls._create(
            UserRegistered(
                originator_id=user_id,
                originator_version=1,
                timestamp=utcnow(),
                meta=meta or CommandMeta(user_id=user_id, correlation_id=str(uuid.uuid4())),
                name=name,
                token_hash=hash_token(token),
            )
        )

    def issue_token(self, token: str, meta: CommandMeta) -> None:
        self._record(TokenIssued, meta=meta, token_hash=hash_token(token))

    def state(self) -> UserState:
        return UserState(
            user_id=self.id,
            name=self.name,
            tokens=len(self.token_hashes),
            version=self.version,
            created_on=self.created_on,
            modified_on=self.modified_on,
        )


class UserState(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    name: str
    tokens: int
    version: int
    created_on: datetime
    modified_on: datetime


class UserRegistered(Event):
    name: str
    token_hash: str

    def apply(self, aggregate: Any) -> User:
        user = User(self.originator_id, self.originator_id, self.timestamp)
        user.name = self.name
        user.token_hashes = [self.token_hash]
        return user


class TokenIssued(Event):
    token_hash: str

    def apply(self, aggregate: User) -> User:
        aggregate.token_hashes.append(self.token_hash)
        return aggregate
