"""The Litestar application: command and query routers wired separately, one error shape,
OpenAPI at /schema, and the projection runner living alongside the server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from application.system import Manufactory
from interfaces.http.catalog_queries import catalog_query_routes
from interfaces.http.commands import command_routes
from interfaces.http.context import TokenCache, authenticated_user
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.queries import query_routes, service_routes
from projections.cache import ReadCache


def create_app(system: Manufactory, *, run_projections: bool = True) -> Litestar:
    """``run_projections=False`` leaves the read models to a standalone ``projections run``."""

    @asynccontextmanager
    async def projections_alongside(_: Litestar) -> AsyncIterator[None]:
        system.projections.start(apply=run_projections)
        try:
            yield
        finally:
            system.projections.stop()

    return Litestar(
        route_handlers=[*command_routes(), *query_routes(), *catalog_query_routes(), *service_routes()],
        dependencies={"user_id": Provide(authenticated_user)},
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[projections_alongside],
        state=State(
            {
                "system": system,
                "token_cache": TokenCache(),
                "container_cache": ReadCache(system.signal, "manufacturing"),
                "catalog_cache": ReadCache(system.signal, "catalog", size=64),
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Manufactory",
            version="0.1.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        logging_config=None,
    )


logging.getLogger("eventsourcing").setLevel(logging.WARNING)
