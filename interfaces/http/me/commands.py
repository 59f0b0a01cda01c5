"""Command routes about the caller themself: revoking one of their API tokens."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
from litestar import Controller, delete
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import PathParameter

from application.system import Manufactory
from domain.events import CommandMeta
from interfaces.http.context import COMMAND_DEPENDENCIES, TokenCache, await_projection
from interfaces.http.me.schemas import TokenRevokedOut


class MeCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @delete("/v1/me/tokens/{token_id:uuid}", tags=["commands"], status_code=200)
    async def revoke_my_token(
        self,
        system: NamedDependency[Manufactory],
        state: State,
        token_id: Annotated[UUID, PathParameter(description="The token's id (GET /v1/me/tokens)")],
        meta: NamedDependency[CommandMeta],
    ) -> TokenRevokedOut:
        """Revoke one of your tokens (also the one sending this). It stops working at once on this
        server, and on others within their token cache's lifetime (MANUFACTORY_TOKEN_CACHE_TTL_SEC)."""
        result = await anyio.to_thread.run_sync(system.users.revoke_token, meta.user_id, token_id, meta)
        # Once the read model has dropped it, no lookup finds it; cached holders go with the cache.
        await await_projection(system, "users", result.position)
        cache: TokenCache = state.token_cache
        cache.clear()
        return TokenRevokedOut(token_id=token_id, status="revoked", position=result.position)
