"""Bodies of the routes about the caller themself: their API tokens (never their hashes)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from interfaces.http.bodies import Response
from projections.users import TokenSummary


class TokenOut(Response):
    token_id: UUID
    issued_at: datetime
    expires_at: datetime | None
    # Recorded at most once a minute per token, so up to a minute behind.
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: TokenSummary) -> TokenOut:
        return cls(
            token_id=token.token_id,
            issued_at=token.issued_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        )


class TokenList(Response):
    tokens: list[TokenOut]


class TokenRevokedOut(Response):
    token_id: UUID
    status: str
    position: int
