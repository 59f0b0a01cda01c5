"""Users, whether they are admins, and their live tokens (by hash, for authenticating
requests; by id, for listing and revoking). A revoked token's row is deleted.

When each token was last used is not an event (it would be a write per request): the
authentication path records it in ``user_token_usage`` at most once a minute per token. That
table is operational state beside the read models, not one of them, so it outlives rebuilds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import msgspec
from sqlalchemy import Boolean, Column, Connection, MetaData, String, Table, Uuid, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from domain.users import AdminGranted, AdminRevoked, TokenIssued, TokenRevoked, UserRegistered
from projections.readmodel import BatchWriter, ReadModelTable
from projections.runtime import Projection, handles
from projections.types import UtcDateTime

USERS = ReadModelTable(
    "users",
    lambda: [
        Column("user_id", Uuid, primary_key=True),
        Column("name", String(64), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("admin", Boolean, nullable=False),
    ],
    indexes=[("name", ["name"], True)],
)

USER_TOKENS = ReadModelTable(
    "user_tokens",
    lambda: [
        Column("token_hash", String(64), primary_key=True),
        Column("user_id", Uuid, nullable=False),
        Column("issued_at", UtcDateTime, nullable=False),
        Column("token_id", Uuid, nullable=False),
        Column("expires_at", UtcDateTime, nullable=True),
    ],
    indexes=[("token_id", ["token_id"], True), ("user", ["user_id"], False)],
)

TOKEN_USAGE = Table(
    "user_token_usage",
    MetaData(),
    Column("token_id", Uuid, primary_key=True),
    Column("last_used_at", UtcDateTime, nullable=False),
)


class UsersProjection(Projection):
    name = "users"
    tables = (USERS, USER_TOKENS)

    @handles(UserRegistered)
    def _registered(self, writer: BatchWriter, event: UserRegistered) -> None:
        row = {"user_id": event.originator_id, "name": event.name, "created_at": event.timestamp, "admin": event.admin}
        writer.insert("users", row)
        self._issued(writer, event)

    @handles(TokenIssued)
    def _issued(self, writer: BatchWriter, event: UserRegistered | TokenIssued) -> None:
        writer.insert(
            "user_tokens",
            {
                "token_hash": event.token_hash,
                "user_id": event.originator_id,
                "issued_at": event.timestamp,
                "token_id": event.token_id,
                "expires_at": event.expires_at,
            },
        )

    @handles(TokenRevoked)
    def _revoked(self, writer: BatchWriter, event: TokenRevoked) -> None:
        tokens = writer.tables["user_tokens"]
        writer.execute(delete(tokens).where(tokens.c.token_id == event.token_id))

    @handles(AdminGranted)
    def _admin_granted(self, writer: BatchWriter, event: AdminGranted) -> None:
        _set_admin(writer, event.originator_id, True)

    @handles(AdminRevoked)
    def _admin_revoked(self, writer: BatchWriter, event: AdminRevoked) -> None:
        _set_admin(writer, event.originator_id, False)


def _set_admin(writer: BatchWriter, user_id: UUID, admin: bool) -> None:
    users = writer.tables["users"]
    writer.execute(update(users).where(users.c.user_id == user_id).values(admin=admin))


class UserSummary(msgspec.Struct, frozen=True):
    user_id: UUID
    name: str
    created_at: datetime
    admin: bool


class TokenHolder(msgspec.Struct, frozen=True):
    """Who a token authenticates, until when, and whether they are an admin."""

    user_id: UUID
    token_id: UUID
    expires_at: datetime | None
    admin: bool


class TokenSummary(msgspec.Struct, frozen=True):
    token_id: UUID
    issued_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None  # recorded at most once a minute per token, so up to a minute behind


def token_holder(connection: Connection, token_hash: str) -> TokenHolder | None:
    tokens, users = USER_TOKENS.view, USERS.view
    row = connection.execute(
        select(tokens.c.user_id, tokens.c.token_id, tokens.c.expires_at, users.c.admin)
        .join(users, users.c.user_id == tokens.c.user_id)
        .where(tokens.c.token_hash == token_hash)
    ).first()
    return TokenHolder(*row) if row else None


def list_tokens(connection: Connection, user_id: UUID, limit: int | None = None, offset: int = 0) -> list[TokenSummary]:
    """A page of a user's live tokens (never their hashes), newest first: every EVE sign-in
    issues one and expired ones stay until revoked, so the ones in use come first."""
    tokens = USER_TOKENS.view
    rows = connection.execute(
        select(tokens.c.token_id, tokens.c.issued_at, tokens.c.expires_at, TOKEN_USAGE.c.last_used_at)
        .outerjoin(TOKEN_USAGE, TOKEN_USAGE.c.token_id == tokens.c.token_id)
        .where(tokens.c.user_id == user_id)
        .order_by(tokens.c.issued_at.desc(), tokens.c.token_id)
        .limit(limit)
        .offset(offset)
    )
    return [TokenSummary(*row) for row in rows]


def record_token_use(connection: Connection, token_id: UUID, at: datetime) -> None:
    """Remember when a token was last used (an upsert; the caller limits how often)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(TOKEN_USAGE).values(token_id=token_id, last_used_at=at)
    latest = {"last_used_at": statement.excluded.last_used_at}
    connection.execute(statement.on_conflict_do_update(index_elements=["token_id"], set_=latest))


def user_names(connection: Connection, user_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The names of these users (those that exist), by id."""
    users = USERS.view
    rows = connection.execute(select(users.c.user_id, users.c.name).where(users.c.user_id.in_(list(user_ids))))
    return {user_id: name for user_id, name in rows}


def list_users(connection: Connection) -> list[UserSummary]:
    users = USERS.view
    rows = connection.execute(
        select(users.c.user_id, users.c.name, users.c.created_at, users.c.admin).order_by(users.c.name)
    )
    return [UserSummary(*row) for row in rows]
