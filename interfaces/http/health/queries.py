"""Public service routes: whether the service is up, and its version."""

from __future__ import annotations

import os
from importlib.metadata import version as package_version
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.response import Response

from application.system import Manufactory
from interfaces.http.context import (
    caller_is_admin,
)
from interfaces.http.errors import DATABASE_RETRY_AFTER_SEC
from interfaces.http.health.schemas import (
    Health,
    HealthSummary,
    ProcessHealth,
    ProjectionHealth,
    ReplicaHealth,
    VersionOut,
)
from projections.replica import ReplicaStatus

VERSION = VersionOut(name="manufactory", version=package_version("manufactory"))


async def _health_for(
    request: Request[Any, Any, Any], body: Health, status_code: int
) -> Response[Health | HealthSummary]:
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SEC)} if status_code == 503 else None
    if await caller_is_admin(request):
        return Response(body, status_code=status_code, headers=headers)
    return Response(HealthSummary(status=body.status), status_code=status_code, headers=headers)


async def _replica_health(
    system: Manufactory, on_primary: dict[str, int]
) -> tuple[ReplicaHealth | None, dict[str, int]]:
    """The replica's lag and its projections' positions (None and none without a replica);
    a replica that cannot be read is an error in the answer, not a failed health check."""
    if system.replica is None:
        return None, {}
    try:
        status: ReplicaStatus = await anyio.to_thread.run_sync(system.replica.status)
    except Exception as error:
        return ReplicaHealth(error=f"{type(error).__name__}: {error}"[:500]), {}
    behind = max((position - status.positions.get(name, 0) for name, position in on_primary.items()), default=0)
    health = ReplicaHealth(
        lag_bytes=status.lag_bytes,
        lag_seconds=status.lag_seconds,
        replay_paused=status.replay_paused,
        behind=max(behind, 0),
    )
    return health, status.positions


class HealthQueries(Controller):
    @get(
        "/health",
        exclude_from_auth=True,
        responses={503: ResponseSpec(data_container=HealthSummary, description="The database is unreachable")},
    )
    async def health(
        self, request: Request[Any, Any, Any], system: NamedDependency[Manufactory]
    ) -> Response[Health | HealthSummary]:
        """Whether the service and its database are up: ``{status}`` for anyone; with an admin's
        token also the database error and each projection's position, lag, dead letters and last
        error, which can hold other users' data (``manufactory projections status`` shows them
        too); ``degraded`` names the projections with dead letters or a last error; ``process``
        the answering process and the background duties it runs."""
        process = ProcessHealth(pid=os.getpid(), duties=request.app.state.duties.held)
        try:
            statuses = await anyio.to_thread.run_sync(system.projections.status)
        except Exception as error:  # the answer *is* the error
            body = Health(
                status="unavailable",
                database=f"{type(error).__name__}: {error}"[:500],
                head=0,
                projections=[],
                process=process,
            )
            return await _health_for(request, body, 503)
        replica, on_replica = await _replica_health(system, {s.name: s.position for s in statuses})
        projections = [
            ProjectionHealth(
                name=s.name,
                generation=s.generation,
                position=s.position,
                lag=s.lag,
                last_error=s.last_error,
                dead_letters=s.dead_letters,
                replica_position=on_replica.get(s.name),
            )
            for s in statuses
        ]
        degraded = [s.name for s in statuses if s.dead_letters or s.last_error]
        if replica is not None and replica.error is not None:
            degraded.append("replica")
        head = statuses[0].head if statuses else 0
        body = Health(
            status="degraded" if degraded else "ok",
            database="ok",
            head=head,
            projections=projections,
            degraded=degraded,
            process=process,
            replica=replica,
        )
        return await _health_for(request, body, 200)

    @get("/v1/version", exclude_from_auth=True)
    async def version(self) -> VersionOut:
        return VERSION
