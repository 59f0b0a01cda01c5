"""Users and their token hashes, for authenticating requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

import msgspec
from sqlalchemy import Column, Connection, String, Table, Uuid, select

from domain.events import Event
from domain.users import TokenIssued, UserRegistered
from projections.readmodel import ReadModelTable, insert_rows
from projections.runtime import Projection
from projections.types import UtcDateTime

USERS = ReadModelTable(
    "users",
    lambda: [
        Column("user_id", Uuid, primary_key=True),
        Column("name", String(64), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
    ],
    indexes=[("name", ["name"], True)],
)

USER_TOKENS = ReadModelTable(
    "user_tokens",
    lambda: [
        Column("token_hash", String(64), primary_key=True),
        Column("user_id", Uuid, nullable=False),
        Column("issued_at", UtcDateTime, nullable=False),
    ],
)


class UsersProjection(Projection):
    name = "users"
    tables = (USERS, USER_TOKENS)
    topics = (UserRegistered, TokenIssued)

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        users, tokens = [], []
        for event in events:
            if isinstance(event, UserRegistered):
                users.append({"user_id": event.originator_id, "name": event.name, "created_at": event.timestamp})
            if isinstance(event, (UserRegistered, TokenIssued)):
                tokens.append(
                    {"token_hash": event.token_hash, "user_id": event.originator_id, "issued_at": event.timestamp}
                )
        insert_rows(connection, tables["users"], users)
        insert_rows(connection, tables["user_tokens"], tokens)


class UserSummary(msgspec.Struct, frozen=True):
    user_id: UUID
    name: str
    created_at: datetime


def user_for_token_hash(connection: Connection, token_hash: str) -> UUID | None:
    tokens = USER_TOKENS.view
    return connection.execute(select(tokens.c.user_id).where(tokens.c.token_hash == token_hash)).scalar()


def list_users(connection: Connection) -> list[UserSummary]:
    users = USERS.view
    rows = connection.execute(select(users.c.user_id, users.c.name, users.c.created_at).order_by(users.c.name))
    return [UserSummary(*row) for row in rows]
