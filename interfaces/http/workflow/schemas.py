"""Request and response bodies of the workflow's jobs (the spec's production_jobs fields)."""

from __future__ import annotations

from typing import Literal

from msgspec import UNSET, UnsetType

from domain.economics.market import Missing
from domain.industry import workflow
from domain.limits import Amount
from interfaces.http.bodies import Request
from interfaces.http.industry.schemas import JobChanged
from interfaces.http.wire import wire


@wire
class OrderJob(workflow.JobOrder, frozen=True):
    pass


class JobOrdered(JobChanged):
    missing: list[Missing]  # the prices the job's cost lacked (with regionId): never read as 0


class PatchJob(Request):
    status: Literal["active", "completed", "cancelled"] | UnsetType = UNSET
    actual_revenue: Amount | UnsetType = UNSET  # what the output sold for (completed jobs)
