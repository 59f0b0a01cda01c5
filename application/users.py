"""Registering users, finding them by name, and issuing, revoking and expiring their API tokens."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import msgspec

from application.command_runner import CommandResult, create_aggregate, update_aggregate
from application.event_store import EventStore
from domain.aggregate import Aggregate
from domain.errors import Forbidden, NotFound
from domain.events import CommandMeta
from domain.users import User, UserNameClaim, name_claim_id, new_token


def ensure_admin(store: EventStore, user_id: UUID, refusal: str, field: str) -> None:
    """Only an admin writes what everyone shares (the shared catalog, the public market data):
    anyone else, or an unknown user, gets a Forbidden saying ``refusal`` and naming ``field``."""
    try:
        admin = store.load(user_id, User).admin
    except NotFound:
        admin = False
    if not admin:
        raise Forbidden(refusal, field)


class IssuedToken(msgspec.Struct, frozen=True):
    user_id: UUID
    name: str
    token: str  # shown once; only its hash is stored
    position: int
    token_id: UUID


class UserService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def create_user(
        self,
        name: str,
        meta: CommandMeta | None = None,
        *,
        admin: bool = False,
        expires_in: timedelta | None = None,
    ) -> IssuedToken:
        """A user of a name nobody holds yet (in any letter case): the user and the claim on
        its name are saved together, so of two concurrent creates one is a 409."""
        token = new_token()
        user, claim = User.register(name, token, admin=admin, expires_in=expires_in, meta=meta)
        result = create_aggregate(self.store, user, f"user {name!r}", claim)
        (token_id,) = user.tokens
        return IssuedToken(user.id, name, token, result.position, token_id)

    def user_id(self, name: str) -> UUID:
        """The id of the user called ``name``, through the claim on it (an existing user's
        own aggregate, for users created while ids derived from names)."""
        try:
            claim = self.store.load(name_claim_id(name), Aggregate)
        except NotFound:
            raise NotFound(f"no user named {name!r}", "name") from None
        if isinstance(claim, UserNameClaim):
            return claim.user_id
        if isinstance(claim, User):
            return claim.id
        raise NotFound(f"no user named {name!r}", "name")

    def issue_token(self, user_id: UUID, meta: CommandMeta, expires_in: timedelta | None = None) -> IssuedToken:
        token = new_token()
        issued: list[UUID] = []  # the id of the token issued by the attempt that was saved

        def issue(user: User) -> None:
            issued.append(user.issue_token(token, meta, expires_in))

        result = update_aggregate(self.store, User, user_id, meta.user_id, issue)
        return IssuedToken(user_id, result.aggregate.name, token, result.position, issued[-1])

    def revoke_token(self, user_id: UUID, token_id: UUID, meta: CommandMeta) -> CommandResult[User]:
        """Another user's token is as unknown as one that never existed."""
        return update_aggregate(self.store, User, user_id, meta.user_id, lambda user: user.revoke_token(token_id, meta))

    def set_admin(self, user_id: UUID, admin: bool, meta: CommandMeta) -> CommandResult[User]:
        return update_aggregate(self.store, User, user_id, meta.user_id, lambda user: user.set_admin(admin, meta))
