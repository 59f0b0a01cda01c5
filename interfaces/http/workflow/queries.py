"""Query routes of the workflow's jobs (the industry job queue, as the spec's workflow API asks)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.system import Manufactory
from domain.limits import INT64_MAX
from interfaces.http.context import MinPosition
from interfaces.http.industry.queries import JobStatusQuery, job_queue
from interfaces.http.industry.schemas import JobView
from interfaces.http.paging import MAX_PAGE, Limit, Offset


class WorkflowQueries(Controller):
    @get("/v1/production/workflow/jobs", tags=["queries"])
    async def get_workflow_jobs(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        character_id: Annotated[
            int | None, QueryParameter(name="character_id", ge=1, le=INT64_MAX, description="One character's jobs")
        ] = None,
        status: JobStatusQuery = None,
        limit: Limit = MAX_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[JobView]:
        """Your jobs (ordered here, queued by plan runs or by hand), of one character and/or in
        one status, deepest dependencies first, a page at a time."""
        return await job_queue(system, user_id, status, character_id, limit, offset, min_position)
