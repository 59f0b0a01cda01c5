"""Query routes about the caller themself."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from application.system import Manufactory
from interfaces.http.context import MinPosition, query_projection
from interfaces.http.me.schemas import TokenList, TokenOut
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset
from projections.users import list_tokens


class MeQueries(Controller):
    @get("/v1/me/tokens", tags=["queries"])
    async def get_my_tokens(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> TokenList:
        """Your live API tokens (revoked ones are gone; expired ones stay until revoked), newest first."""
        tokens = await query_projection(system, "users", min_position, list_tokens, user_id, limit, offset)
        return TokenList(tokens=msgspec.convert(tokens, list[TokenOut], from_attributes=True))
