"""Command routes of the workflow: order a job worked out from your catalog, and move a job
on or record what its output sold for. Both go through the job queue's own commands: an
ordered job is queued as ``POST /v1/industry/jobs`` queues one."""

from __future__ import annotations

import msgspec
from litestar import Controller, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.system import Manufactory
from domain.events import CommandMeta
from domain.industry.jobs import JobStatus
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.industry.commands import JobIdPath, job_changed
from interfaces.http.industry.schemas import JobChanged
from interfaces.http.workflow.schemas import JobOrdered, OrderJob, PatchJob


class WorkflowCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/production/workflow/jobs", tags=["commands"], status_code=201, sync_to_thread=True)
    def order_job(
        self, system: NamedDependency[Manufactory], data: JSONBody[OrderJob], meta: NamedDependency[CommandMeta]
    ) -> JobOrdered:
        """Queue a job checked against your catalog: the blueprint must make the product, the
        runs fit in one job of it, each material decided ``make`` or ``buy`` must be one of the
        recipe's (undecided ones are bought). The materials per job (ME, facility bonuses, the
        game's rounding), the output and the duration (whole seconds, with the skills of
        ``characterId`` if it is in your roster, else untrained) are worked out; with
        ``regionId`` so are its cost and its output's expected revenue at the lowest sell."""
        ordered = system.jobs.order(data, meta)
        changed = job_changed(system, ordered.result)
        return JobOrdered(**msgspec.structs.asdict(changed), missing=ordered.missing)

    @patch("/v1/production/workflow/jobs/{job_id:uuid}", tags=["commands"], sync_to_thread=True)
    def patch_job(
        self,
        system: NamedDependency[Manufactory],
        job_id: JobIdPath,
        data: JSONBody[PatchJob],
        meta: NamedDependency[CommandMeta],
        expected: NamedDependency[int | None],
    ) -> JobChanged:
        """Move the job to ``status`` (planned -> active -> completed, or cancelled; what the
        job's status forbids is a 409 naming it; the status it has already changes nothing) and/or
        record ``actualRevenue``, what its output sold for: with the completion, or any time after
        it (again to correct it; the same figure twice records nothing)."""
        status = None if isinstance(data.status, msgspec.UnsetType) else JobStatus(data.status)
        revenue = None if isinstance(data.actual_revenue, msgspec.UnsetType) else data.actual_revenue
        return job_changed(system, system.jobs.update(job_id, status, revenue, meta, expected))
