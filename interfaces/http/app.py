"""The Litestar application: command and query routers wired separately, one error shape,
OpenAPI at /schema, and the projection runner living alongside the server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from litestar import Controller, Litestar
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from application.duties import DutyElection
from application.system import Manufactory
from domain.catalog.chains import CatalogSnapshot
from interfaces.http.audit.queries import AuditQueries
from interfaces.http.blueprints import BlueprintController
from interfaces.http.bodies import StrictRequest
from interfaces.http.catalog import CatalogController
from interfaces.http.context import (
    CONSISTENCY_PARAMETER,
    BearerAuthentication,
    TokenCache,
    current_user,
    read_consistency,
    service_dependencies,
    system_of,
)
from interfaces.http.crafting import CraftingController
from interfaces.http.dependencies_in_turn import resolve_dependencies_in_turn
from interfaces.http.docs import ShippedScalar
from interfaces.http.economics.queries import EconomicsQueries
from interfaces.http.errors import EXCEPTION_HANDLERS
from interfaces.http.eve import EveController
from interfaces.http.health.queries import HealthQueries
from interfaces.http.idempotency import IdempotencyKeys, IdempotencyMiddleware
from interfaces.http.incomplete import incomplete_reads_header
from interfaces.http.industry import IndustryController
from interfaces.http.manufacturing import ManufacturingController
from interfaces.http.market import MarketController
from interfaces.http.me import MeController
from interfaces.http.notifications import NotificationController
from interfaces.http.openapi import document_errors, publish_exact_bounds
from interfaces.http.security_headers import security_headers
from interfaces.http.stages import in_stages
from interfaces.http.stock import StockController
from interfaces.http.transport import TransportController
from interfaces.http.universe import UniverseController
from interfaces.http.workflow import WorkflowController
from interfaces.web import STATIC_DIRECTORY, STATIC_PATH
from interfaces.web.audit import AuditPages
from interfaces.web.catalog import CatalogPages
from interfaces.web.chains import ChainPages
from interfaces.web.coordinators import CoordinatorPages
from interfaces.web.crafting import CraftingPages
from interfaces.web.economics import EconomicsPages
from interfaces.web.jobs import JobPages
from interfaces.web.operations import OperationPages, Operations
from interfaces.web.pages import ConsolePages, template_config
from interfaces.web.plans import PlanPages
from interfaces.web.read_models import ReadModelPages
from interfaces.web.runs import RunPages
from interfaces.web.session import CsrfTokens
from interfaces.web.stockpiles import StockpilePages
from projections.cache import ReadCache
from projections.manufacturing import ContainerView

SCHEMA_PATH = "/schema"
CONTROLLERS: list[type[Controller]] = [
    ManufacturingController,
    IndustryController,
    StockController,
    WorkflowController,
    CraftingController,
    MarketController,
    MeController,
    CatalogController,
    UniverseController,
    HealthQueries,
    AuditQueries,
    EconomicsQueries,
    EveController,
    BlueprintController,
    NotificationController,
    TransportController,
]


def create_app(system: Manufactory, *, run_projections: bool = True) -> Litestar:
    """``run_projections=False`` leaves the read models to a standalone ``projections run``."""
    resolve_dependencies_in_turn()
    app = Litestar(
        # One controller per capability, straight on the app: each handler is copied
        # once (a router around them would copy every handler again and double the app's
        # construction time). Every route takes the read ``consistency``; only queries read it,
        # and the schema shows it on them alone.
        route_handlers=[
            *document_errors(CONTROLLERS),
            ConsolePages,  # the console's pages: not in the schema, signed in by their own cookie
            PlanPages,
            RunPages,
            StockpilePages,
            EconomicsPages,
            AuditPages,
            CoordinatorPages,
            CraftingPages,
            JobPages,
            ChainPages,
            CatalogPages,
            ReadModelPages,
            OperationPages,
            create_static_files_router(
                STATIC_PATH, [STATIC_DIRECTORY], include_in_schema=False, cache_control=CacheControlHeader(max_age=3600)
            ),
        ],
        parameters={"consistency": CONSISTENCY_PARAMETER},
        dependencies={"user_id": Provide(current_user), **service_dependencies()},
        # Authentication comes before any body or parameter is parsed (/health, /v1/version and
        # the schema are public); idempotency after it, since a key belongs to a user.
        middleware=[
            security_headers,
            incomplete_reads_header,
            DefineMiddleware(BearerAuthentication, exclude=[f"^{SCHEMA_PATH}", f"^{STATIC_PATH}/"]),
            IdempotencyMiddleware,
            read_consistency,
            in_stages,  # see interfaces.http.stages
        ],
        request_class=StrictRequest,
        template_config=template_config(),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[_handler_threads, _background_duties],
        openapi_config=OpenAPIConfig(
            title="Manufactory",
            version="0.1.0",
            path=SCHEMA_PATH,
            render_plugins=[ShippedScalar()],
        ),
        logging_config=None,
    )
    publish_exact_bounds(app)
    bind(app, system, run_projections=run_projections)
    return app


def bind(app: Litestar, system: Manufactory, *, run_projections: bool = True) -> None:
    """Point ``app`` at ``system``. Handlers, middleware and the lifespan find the system and
    what belongs to it in ``app.state`` only, so an app (costly to build: Litestar copies and
    inspects every handler) can serve one system after another, as the tests' app does."""
    app.state.update(
        {
            "system": system,
            "token_cache": TokenCache(ttl_sec=system.settings.token_cache_ttl_sec),
            "idempotency": IdempotencyKeys(system.read_engine, system.settings, time.time),
            "container_cache": ReadCache[ContainerView | None](system.read_signal, "manufacturing"),
            "catalog_cache": ReadCache[CatalogSnapshot](system.read_signal, "catalog", size=64),
            "route_cache": system.route_cache,
            "csrf": CsrfTokens(),
            "operations": Operations(),
            "duties": system.duty_election(run_projections=run_projections),
        }
    )


@asynccontextmanager
async def _handler_threads(app: Litestar) -> AsyncIterator[None]:
    """The threads that run the blocking (``sync_to_thread``) handlers: the event loop's default
    executor, which Litestar uses. asyncio's default has 2 + 4 threads on this machine, and a
    command's thread waits for its group commit, so at most six commands could share one
    transaction: under load the server spent its time on commits of six. A thread waiting is
    cheap; ``handler_threads`` of them let a group take in every command that arrived."""
    executor = ThreadPoolExecutor(system_of(app.state).settings.handler_threads, thread_name_prefix="handler")
    asyncio.get_running_loop().set_default_executor(executor)
    yield  # the loop shuts its default executor down when it closes


@asynccontextmanager
async def _background_duties(app: Litestar) -> AsyncIterator[None]:
    """The duties that run beside the server, started and stopped with it: each in one of the
    processes sharing the database (``application.duties``); the others follow the projections'
    positions for their waiting queries and streams."""
    system = system_of(app.state)
    duties: DutyElection = app.state.duties
    system.projections.start(apply=False)
    if system.replica is not None:
        system.replica.start()  # the replica's positions, for the waits' fast path, caches and streams
    system.crafting.start()  # in every process: the crafting worlds this one holds
    duties.start()
    try:
        yield
    finally:
        duties.stop()
        system.crafting.stop()
        if system.replica is not None:
            system.replica.stop()
        system.projections.stop()


logging.getLogger("eventsourcing").setLevel(logging.WARNING)
