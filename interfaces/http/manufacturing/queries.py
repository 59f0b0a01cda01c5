"""Query routes of manufacturing containers: they read the manufacturing projection, first
waiting until it has applied every write acknowledged before the request (``await_projection``;
``consistency=eventual`` opts out) and the ``minPosition`` a client passes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Response, ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from application.system import Manufactory
from domain.errors import NotFound
from interfaces.http.context import (
    STREAM_KEEPALIVE_SEC,
    STREAM_POLL_SEC,
    LastEventId,
    MinPosition,
    await_projection,
    query_projection,
    read_cached,
    read_model,
)
from interfaces.http.manufacturing.schemas import (
    ConfigHistoryOut,
    ConfigOut,
    ContainerConfigOut,
    ContainerIdPath,
    ContainerList,
    ContainerOut,
    HistoryEntryOut,
)
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset
from projections.cache import ReadCache
from projections.manufacturing import ContainerView, config_history, find_container, list_containers


async def _find_container(
    system: Manufactory,
    container_cache: ReadCache[ContainerView | None],
    user_id: UUID,
    container_id: str,
    min_position: int | None = None,
) -> ContainerView | None:
    """The container's read model once it has reached ``min_position``, from the read cache
    while the projection has not moved since it was read."""
    floor = await await_projection(system, "manufacturing", min_position)
    key = (user_id, container_id)
    return await read_cached(system, container_cache, key, floor, find_container, user_id, container_id)


async def _container(
    system: Manufactory,
    container_cache: ReadCache[ContainerView | None],
    user_id: UUID,
    container_id: str,
    min_position: int | None,
) -> ContainerView:
    view = await _find_container(system, container_cache, user_id, container_id, min_position)
    if view is None:
        raise NotFound(f"container {container_id!r} not found", "container_id")
    return view


class ManufacturingQueries(Controller):
    @get("/v1/manufacturing/containers", tags=["queries"])
    async def get_containers(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> ContainerList:
        views = await query_projection(system, "manufacturing", min_position, list_containers, user_id, limit, offset)
        return ContainerList(containers=[ContainerOut.of(view) for view in views])

    @get("/v1/manufacturing/containers/{container_id:str}", tags=["queries"])
    async def get_container(
        self,
        system: NamedDependency[Manufactory],
        container_cache: NamedDependency[ReadCache[ContainerView | None]],
        user_id: NamedDependency[UUID],
        container_id: ContainerIdPath,
        min_position: MinPosition = None,
    ) -> ContainerOut:
        return ContainerOut.of(await _container(system, container_cache, user_id, container_id, min_position))

    @get("/v1/manufacturing/containers/{container_id:str}/config", tags=["queries"])
    async def get_config(
        self,
        system: NamedDependency[Manufactory],
        container_cache: NamedDependency[ReadCache[ContainerView | None]],
        user_id: NamedDependency[UUID],
        container_id: ContainerIdPath,
        min_position: MinPosition = None,
    ) -> Response[ContainerConfigOut]:
        view = await _container(system, container_cache, user_id, container_id, min_position)
        body = ContainerConfigOut(
            container_id=view.container_id,
            container_status=view.status,
            version=view.version,
            config=ConfigOut.of(view.config),
        )
        return Response(body, headers={"ETag": f'"{view.version}"'})

    @get("/v1/manufacturing/containers/{container_id:str}/config/history", tags=["queries"])
    async def get_config_history(
        self,
        system: NamedDependency[Manufactory],
        container_cache: NamedDependency[ReadCache[ContainerView | None]],
        user_id: NamedDependency[UUID],
        container_id: ContainerIdPath,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> ConfigHistoryOut:
        """A page of the container's changes, oldest first (next page: ``offset`` + ``limit``)."""
        view = await _container(system, container_cache, user_id, container_id, min_position)
        entries = await read_model(system, config_history, view.aggregate_id, limit, offset)
        return ConfigHistoryOut(container_id=container_id, entries=[HistoryEntryOut.of(entry) for entry in entries])

    @get("/v1/manufacturing/containers/{container_id:str}/config/stream", tags=["queries"])
    async def stream_config(
        self,
        system: NamedDependency[Manufactory],
        container_cache: NamedDependency[ReadCache[ContainerView | None]],
        user_id: NamedDependency[UUID],
        container_id: ContainerIdPath,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: the current config on connect, then every new config within a
        second of its change (at once when the change was made through this server). Each
        carries its container's version as its ``id``: a reconnect with ``Last-Event-ID`` gets
        the config only if it changed since that version."""
        return await config_events(system, container_cache, user_id, container_id, last_event_id)


async def config_events(
    system: Manufactory,
    container_cache: ReadCache[ContainerView | None],
    user_id: UUID,
    container_id: str,
    last_event_id: int | None,
) -> ServerSentEvent:
    """The container's config events as its stream sends them (the console's page watches it so too)."""
    first = await _container(system, container_cache, user_id, container_id, None)

    async def messages() -> AsyncIterator[ServerSentEventMessage]:
        view: ContainerView | None = first
        sent: ConfigOut | None = None
        sent_version = -1 if last_event_id is None else last_event_id
        last_message = time.monotonic()
        while view is not None:
            config = ConfigOut.of(view.config)
            if view.version <= sent_version:
                sent = config  # the client has it already
            if config != sent:
                body = ContainerConfigOut(
                    container_id=view.container_id,
                    container_status=view.status,
                    version=view.version,
                    config=config,
                )
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(body).decode(), event="config", id=str(view.version)
                )
                sent, sent_version, last_message = config, view.version, time.monotonic()
            elif time.monotonic() - last_message >= STREAM_KEEPALIVE_SEC:
                yield ServerSentEventMessage(comment="keep-alive")
                last_message = time.monotonic()
            await system.read_signal.changed(timeout=STREAM_POLL_SEC)
            view = await _find_container(system, container_cache, user_id, container_id)

    return ServerSentEvent(messages())
