"""Query routes about the caller themself."""

from __future__ import annotations

from uuid import UUID

from litestar import get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler

from interfaces.http.context import MinPosition, await_projection, read_model, system_of
from interfaces.http.me_schemas import TokenList, TokenOut
from projections.users import list_tokens


@get("/v1/me/tokens", tags=["queries"])
async def get_my_tokens(state: State, user_id: NamedDependency[UUID], min_position: MinPosition = None) -> TokenList:
    """Your live API tokens (revoked ones are gone; expired ones stay until revoked), oldest first."""
    system = system_of(state)
    await await_projection(system, "users", min_position)
    return TokenList(tokens=[TokenOut.of(token) for token in await read_model(system, list_tokens, user_id)])


def me_query_routes() -> list[HTTPRouteHandler]:
    return [get_my_tokens]
