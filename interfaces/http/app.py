"""The Litestar application: command and query routers wired separately, one error shape,
OpenAPI at /schema, and the projection runner living alongside the server."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from application.system import Manufactory
from interfaces.http.bodies import StrictRequest
from interfaces.http.catalog_queries import catalog_query_routes
from interfaces.http.commands import command_routes
from interfaces.http.context import (
    CONSISTENCY_PARAMETER,
    BearerAuthentication,
    TokenCache,
    current_user,
    read_consistency,
)
from interfaces.http.crafting_commands import crafting_command_routes
from interfaces.http.crafting_queries import crafting_query_routes
from interfaces.http.economics_queries import economics_query_routes
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.idempotency import IdempotencyKeys, IdempotencyMiddleware
from interfaces.http.incomplete import incomplete_reads_header
from interfaces.http.industry_commands import industry_command_routes
from interfaces.http.industry_queries import industry_query_routes
from interfaces.http.market_commands import market_command_routes
from interfaces.http.market_queries import market_query_routes
from interfaces.http.me_commands import me_command_routes
from interfaces.http.me_queries import me_query_routes
from interfaces.http.openapi import document_errors, publish_exact_bounds
from interfaces.http.queries import query_routes, service_routes
from interfaces.http.stock_commands import stock_command_routes
from interfaces.http.stock_queries import stock_query_routes
from projections.cache import ReadCache

SCHEMA_PATH = "/schema"


def create_app(system: Manufactory, *, run_projections: bool = True) -> Litestar:
    """``run_projections=False`` leaves the read models to a standalone ``projections run``."""

    @asynccontextmanager
    async def projections_alongside(_: Litestar) -> AsyncIterator[None]:
        system.projections.start(apply=run_projections)
        system.auto_production.start()  # its first tick is one interval away, never at start-up
        system.crafting.start()  # completes due crafting jobs; after a restart, what ended meanwhile
        if run_projections:  # else `manufactory economics run` beside `projections run`
            system.economics_updater.start()
        try:
            yield
        finally:
            system.economics_updater.stop()
            system.crafting.stop()
            system.auto_production.stop()
            system.projections.stop()

    app = Litestar(
        # One router for every handler: registered on the app one by one, handlers sharing a
        # path would be registered (and a sync one wrapped for its thread) once per neighbour
        # (and each router a handler passes through deep-copies it: a router inside it would
        # double the app's construction time). Every route takes the read ``consistency``;
        # only queries read it, and the schema shows it on them alone.
        route_handlers=[
            Router(
                path="/",
                route_handlers=document_errors(
                    [
                        *command_routes(),
                        *industry_command_routes(),
                        *stock_command_routes(),
                        *crafting_command_routes(),
                        *market_command_routes(),
                        *me_command_routes(),
                        *service_routes(),
                        *query_routes(),
                        *catalog_query_routes(),
                        *industry_query_routes(),
                        *stock_query_routes(),
                        *crafting_query_routes(),
                        *market_query_routes(),
                        *economics_query_routes(),
                        *me_query_routes(),
                    ]
                ),
                parameters={"consistency": CONSISTENCY_PARAMETER},
                middleware=[read_consistency],
            )
        ],
        dependencies={"user_id": Provide(current_user)},
        # Authentication comes before any body or parameter is parsed (/health, /v1/version and
        # the schema are public); idempotency after it, since a key belongs to a user.
        middleware=[
            incomplete_reads_header(system.projections.incomplete),
            DefineMiddleware(BearerAuthentication, exclude=[f"^{SCHEMA_PATH}"]),
            IdempotencyMiddleware,
        ],
        request_class=StrictRequest,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[projections_alongside],
        state=State(
            {
                "system": system,
                "token_cache": TokenCache(ttl_sec=system.settings.token_cache_ttl_sec),
                "idempotency": IdempotencyKeys(system.read_engine, system.settings, time.time),
                "container_cache": ReadCache(system.signal, "manufacturing"),
                "catalog_cache": ReadCache(system.signal, "catalog", size=64),
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Manufactory",
            version="0.1.0",
            path=SCHEMA_PATH,
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        logging_config=None,
    )
    publish_exact_bounds(app)
    return app


logging.getLogger("eventsourcing").setLevel(logging.WARNING)
