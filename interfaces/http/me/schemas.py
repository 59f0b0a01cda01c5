"""Bodies of the routes about the caller themself: their API tokens (never their hashes)."""

from __future__ import annotations

from uuid import UUID

from interfaces.http.bodies import Response
from interfaces.http.wire import wire
from projections.users import TokenSummary


@wire
class TokenOut(TokenSummary, frozen=True):
    pass


class TokenList(Response):
    tokens: list[TokenOut]


class TokenRevokedOut(Response):
    token_id: UUID
    status: str
    position: int
