"""Query routes: they read projections (never the event store), except audit, which reads
an aggregate's own events. A query first waits until its projection has applied every write
acknowledged before it (``await_projection``; ``consistency=eventual`` opts out), and the
``minPosition`` a client passes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from importlib.metadata import version as package_version
from typing import Annotated
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, QueryParameter
from litestar.response import Response, ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from application.audit import AuditState, AuditTrail, audit
from domain.errors import NotFound
from domain.limits import INT32_MAX
from interfaces.http.commands import ContainerIdPath
from interfaces.http.context import (
    MinPosition,
    await_projection,
    caller_is_admin,
    read_cached,
    read_model,
    system_of,
)
from interfaces.http.errors import DATABASE_RETRY_AFTER_SEC
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset
from interfaces.http.schemas import (
    ConfigHistoryOut,
    ConfigOut,
    ContainerConfigOut,
    ContainerList,
    ContainerOut,
    Health,
    HealthSummary,
    HistoryEntryOut,
    ProjectionHealth,
    VersionOut,
)
from projections.manufacturing import ContainerView, config_history, find_container, list_containers

STREAM_POLL_SEC = 0.5
STREAM_KEEPALIVE_SEC = 15.0
VERSION = VersionOut(name="manufactory", version=package_version("manufactory"))


async def _find_container(
    state: State, user_id: UUID, container_id: str, min_position: int | None = None
) -> ContainerView | None:
    """The container's read model once it has reached ``min_position``, from the read cache
    while the projection has not moved since it was read."""
    system = system_of(state)
    floor = await await_projection(system, "manufacturing", min_position)
    key = (user_id, container_id)
    return await read_cached(system, state.container_cache, key, floor, find_container, user_id, container_id)


async def _container(state: State, user_id: UUID, container_id: str, min_position: int | None) -> ContainerView:
    view = await _find_container(state, user_id, container_id, min_position)
    if view is None:
        raise NotFound(f"container {container_id!r} not found", "containerId")
    return view


# ------------------------------------------------------------------ manufacturing


@get("/v1/manufacturing/containers", tags=["queries"])
async def get_containers(
    state: State,
    user_id: NamedDependency[UUID],
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
    min_position: MinPosition = None,
) -> ContainerList:
    system = system_of(state)
    await await_projection(system, "manufacturing", min_position)
    views = await read_model(system, list_containers, user_id, limit, offset)
    return ContainerList(containers=[ContainerOut.of(view) for view in views])


@get("/v1/manufacturing/containers/{container_id:str}", tags=["queries"])
async def get_container(
    state: State, user_id: NamedDependency[UUID], container_id: ContainerIdPath, min_position: MinPosition = None
) -> ContainerOut:
    return ContainerOut.of(await _container(state, user_id, container_id, min_position))


@get("/v1/manufacturing/containers/{container_id:str}/config", tags=["queries"])
async def get_config(
    state: State, user_id: NamedDependency[UUID], container_id: ContainerIdPath, min_position: MinPosition = None
) -> Response[ContainerConfigOut]:
    view = await _container(state, user_id, container_id, min_position)
    body = ContainerConfigOut(
        container_id=view.container_id,
        container_status=view.status,
        version=view.version,
        config=ConfigOut.of(view.config),
    )
    return Response(body, headers={"ETag": f'"{view.version}"'})


@get("/v1/manufacturing/containers/{container_id:str}/config/history", tags=["queries"])
async def get_config_history(
    state: State, user_id: NamedDependency[UUID], container_id: ContainerIdPath, min_position: MinPosition = None
) -> ConfigHistoryOut:
    view = await _container(state, user_id, container_id, min_position)
    entries = await read_model(system_of(state), config_history, view.aggregate_id)
    return ConfigHistoryOut(container_id=container_id, entries=[HistoryEntryOut.of(entry) for entry in entries])


@get("/v1/manufacturing/containers/{container_id:str}/config/stream", tags=["queries"])
async def stream_config(state: State, user_id: NamedDependency[UUID], container_id: ContainerIdPath) -> ServerSentEvent:
    """Server-Sent Events: the current config on connect, then every new config within a
    second of its change (at once when the change was made through this server)."""
    system = system_of(state)
    first = await _container(state, user_id, container_id, None)

    async def messages() -> AsyncIterator[ServerSentEventMessage]:
        view: ContainerView | None = first
        sent: ConfigOut | None = None
        last_message = time.monotonic()
        while view is not None:
            config = ConfigOut.of(view.config)
            if config != sent:
                body = ContainerConfigOut(
                    container_id=view.container_id, container_status=view.status, version=view.version, config=config
                )
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(body).decode(), event="config", id=str(view.version)
                )
                sent, last_message = config, time.monotonic()
            elif time.monotonic() - last_message >= STREAM_KEEPALIVE_SEC:
                yield ServerSentEventMessage(comment="keep-alive")
                last_message = time.monotonic()
            await system.signal.changed(timeout=STREAM_POLL_SEC)
            view = await _find_container(state, user_id, container_id)

    return ServerSentEvent(messages())


# ------------------------------------------------------------------ audit


@get("/v1/audit/{aggregate_id:uuid}", tags=["queries"])
async def get_audit(
    state: State,
    user_id: NamedDependency[UUID],
    aggregate_id: FromPath[UUID],
    version: Annotated[
        int | None, QueryParameter(name="version", ge=1, le=INT32_MAX, description="State as of this version")
    ] = None,
) -> AuditTrail | AuditState:
    """An aggregate's events (who, when, why, what) or, with ``version``, its state then."""
    system = system_of(state)
    return await anyio.to_thread.run_sync(audit, system.store, user_id, aggregate_id, version)


# ------------------------------------------------------------------ service


@get(
    "/health",
    exclude_from_auth=True,
    responses={503: ResponseSpec(data_container=HealthSummary, description="The database is unreachable")},
)
async def health(request: Request, state: State) -> Response[Health | HealthSummary]:
    """Whether the service and its database are up: ``{status}`` for anyone; with an admin's
    token also the database error and each projection's position, lag, dead letters and last
    error, which can hold other users' data (``manufactory projections status`` shows them
    too); ``degraded`` names the projections with dead letters or a last error."""
    system = system_of(state)
    try:
        statuses = await anyio.to_thread.run_sync(system.projections.status)
    except Exception as error:  # the answer *is* the error
        body = Health(status="unavailable", database=f"{type(error).__name__}: {error}"[:500], head=0, projections=[])
        return await _health_for(request, body, 503)
    projections = [
        ProjectionHealth(
            name=s.name,
            generation=s.generation,
            position=s.position,
            lag=s.lag,
            last_error=s.last_error,
            dead_letters=s.dead_letters,
        )
        for s in statuses
    ]
    degraded = [s.name for s in statuses if s.dead_letters or s.last_error]
    head = statuses[0].head if statuses else 0
    body = Health(
        status="degraded" if degraded else "ok", database="ok", head=head, projections=projections, degraded=degraded
    )
    return await _health_for(request, body, 200)


async def _health_for(request: Request, body: Health, status_code: int) -> Response[Health | HealthSummary]:
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SEC)} if status_code == 503 else None
    if await caller_is_admin(request):
        return Response(body, status_code=status_code, headers=headers)
    return Response(HealthSummary(status=body.status), status_code=status_code, headers=headers)


@get("/v1/version", exclude_from_auth=True)
async def version() -> VersionOut:
    return VERSION


def query_routes() -> list[HTTPRouteHandler]:
    return [get_containers, get_container, get_config, get_config_history, stream_config, get_audit]


def service_routes() -> list[HTTPRouteHandler]:
    return [health, version]
