"""Every projection of Manufactory, in the order the runtime feeds them."""

from __future__ import annotations

from projections.blueprints import BlueprintsProjection
from projections.catalog import CatalogProjection
from projections.economics import EconomicsProjection
from projections.industry.projection import IndustryProjection
from projections.manufacturing import ManufacturingProjection
from projections.market import DEFAULT_HISTORY_DAYS, MarketProjection
from projections.runtime import Projection
from projections.stockpiles import StockpilesProjection
from projections.universe import UniverseProjection
from projections.users import UsersProjection


def all_projections(market_history_days: int = DEFAULT_HISTORY_DAYS) -> list[Projection]:
    return [
        UsersProjection(),
        ManufacturingProjection(),
        CatalogProjection(),
        UniverseProjection(),
        IndustryProjection(),
        StockpilesProjection(),
        MarketProjection(market_history_days),
        BlueprintsProjection(),
        EconomicsProjection(),  # after market, catalog and industry: what it marks stale is in them
    ]
