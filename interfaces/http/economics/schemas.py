"""Answers of the economics queries that wrap the read model's rows."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from interfaces.http.bodies import Response
from projections.economics import Basis, EconomicsView, Scenario, Sort


class OpportunityOut(Response):
    """One item of a ranking, at the ranking's price basis: the figures to choose by, with the
    observation time of the oldest price behind them (details: the item's own route)."""

    type_id: int
    name: str | None
    me: int
    te: int
    strategy: str
    plan_id: UUID | None
    scenario: Scenario
    total_cost: float | None
    price: float | None  # per unit, at the lowest sell ("sell") or the highest buy ("buy")
    profit: float
    roi: float | None  # None where the build costs nothing
    profit_per_hour: float | None
    daily_volume: float | None
    as_of: datetime | None  # of the oldest price behind the profit
    version: int | None
    updated_at: datetime | None

    @classmethod
    def of(cls, view: EconomicsView, basis: Basis) -> OpportunityOut:
        profit = getattr(view, f"profit_{basis}")
        assert profit.value is not None  # rankings list known profits only
        return cls(
            type_id=view.type_id,
            name=view.name,
            me=view.me,
            te=view.te,
            strategy=view.strategy,
            plan_id=view.plan_id,
            scenario=view.scenario,
            total_cost=view.total_cost.value,
            price=getattr(view, f"{basis}_price").value,
            profit=profit.value,
            roi=getattr(view, f"roi_{basis}").value,
            profit_per_hour=getattr(view, f"profit_per_hour_{basis}").value,
            daily_volume=view.daily_volume,
            as_of=profit.as_of,
            version=view.version,
            updated_at=view.updated_at,
        )


class OpportunitiesOut(Response):
    region_id: int
    sort: Sort
    price: Basis  # profit and ROI at the lowest sell ("sell") or the highest buy ("buy")
    scenario: Scenario  # the rows ranked: "base" (ME 0 / TE 0) or "plan" (your plans')
    items: list[OpportunityOut]  # best first, at most ``limit``
    unpriced: int  # items of the region whose profit is unknown (a price is missing): never listed
    total: int  # items matching the filters, however many ``limit`` let into ``items``


class RegionEconomics(EconomicsView, frozen=True, kw_only=True, rename="camel"):
    """One region's economics of the item, with the region's name.

    ``regionName`` comes from the map imported with the catalog (market batches and the ESI
    sync carry region ids only): null where the catalog has no map or the map not that region."""

    region_name: str | None = None

    @classmethod
    def of(cls, view: EconomicsView, region_name: str | None = None) -> RegionEconomics:
        return cls(**msgspec.structs.asdict(view), region_name=region_name)


class RegionsOut(Response):
    type_id: int
    name: str | None
    sort: Sort
    price: Basis
    regions: list[RegionEconomics]  # best region first; unknown profits last
    # the first region of ``regions`` if its figure (``sort`` at ``price``) is known; else null
    best_region_id: int | None = None
    best_region_name: str | None = None
