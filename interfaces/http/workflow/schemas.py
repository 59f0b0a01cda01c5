"""Request and response bodies of the workflow's jobs (the spec's production_jobs fields)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from domain.catalog.industry import NPC_STATION, Facility
from domain.economics.market import Missing
from domain.industry import workflow
from domain.industry.workflow import JobOrder
from domain.limits import MAX_SMALL_LIST, Amount, Count, Fraction, GameId, Note
from interfaces.http.bodies import Request
from interfaces.http.industry.schemas import JobChanged
from interfaces.http.wire import wire


@wire
class MaterialDecision(workflow.MaterialDecision, frozen=True):
    pass


class OrderJob(Request, kw_only=True):
    character_id: GameId | None = None  # times the job with this roster character's skills
    product_type_id: GameId
    blueprint_type_id: GameId
    runs: Count
    me_level: Count = 0
    te_level: Count = 0
    facility: Facility = NPC_STATION
    facility_tax: Fraction = 0.0
    station_id: GameId | None = None
    region_id: GameId | None = None  # price the job (cost, expected revenue) with your market data there
    materials: Annotated[list[MaterialDecision], msgspec.Meta(max_length=MAX_SMALL_LIST)] = msgspec.field(
        default_factory=list
    )
    notes: Note = ""

    def order(self) -> JobOrder:
        fields = msgspec.structs.asdict(self)
        del fields["region_id"]
        return msgspec.convert(fields, JobOrder, from_attributes=True)


class JobOrdered(JobChanged):
    missing: list[Missing]  # the prices the job's cost lacked (with regionId): never read as 0


class PatchJob(Request):
    status: Literal["active", "completed", "cancelled"] | UnsetType = UNSET
    actual_revenue: Amount | UnsetType = UNSET  # what the output sold for (completed jobs)
