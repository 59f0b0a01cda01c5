"""Registering users and issuing their API tokens."""

from __future__ import annotations

from uuid import UUID

import msgspec

from application.commands import create_aggregate, update_aggregate
from application.event_store import EventStore
from domain.events import CommandMeta
from domain.users import User, new_token, user_aggregate_id


class IssuedToken(msgspec.Struct, frozen=True):
    user_id: UUID
    name: str
    token: str  # shown once; only its hash is stored
    position: int


class UserService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def create_user(self, name: str, meta: CommandMeta | None = None) -> IssuedToken:
        token = new_token()
        result = create_aggregate(self.store, User.register(name, token, meta), f"user {name!r}")
        return IssuedToken(result.aggregate.id, name, token, result.position)

    def issue_token(self, name: str, meta: CommandMeta) -> IssuedToken:
        token = new_token()
        user_id = user_aggregate_id(name)
        result = update_aggregate(self.store, User, user_id, user_id, lambda user: user.issue_token(token, meta))
        return IssuedToken(user_id, result.aggregate.name, token, result.position)
