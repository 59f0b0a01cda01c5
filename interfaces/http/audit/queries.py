"""The audit route: an aggregate's own events, read from the event store (not a projection)."""

from __future__ import annotations

from functools import partial
from typing import Annotated
from uuid import UUID

import anyio.to_thread
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from application.audit import AuditState, AuditTrail, audit
from application.system import Manufactory
from domain.limits import INT32_MAX
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset

Version = Annotated[
    int | None, QueryParameter(name="version", ge=1, le=INT32_MAX, description="State as of this version")
]


class AuditQueries(Controller):
    @get("/v1/audit/{aggregate_id:uuid}", tags=["queries"])
    async def get_audit(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        aggregate_id: FromPath[UUID],
        version: Version = None,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> AuditTrail | AuditState:
        """A page of an aggregate's events (who, when, why, what), oldest first: those after
        version ``offset`` (versions run from 1), at most ``limit``; the trail's ``version`` is
        its newest. With ``version``, its state then instead."""
        trail = partial(audit, after=offset, limit=limit)
        return await anyio.to_thread.run_sync(trail, system.store, user_id, aggregate_id, version)
