"""Query routes of the market read model: your regions, and one item's latest quote with its
price history (each with its observation time, so stale data shows)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.system import Manufactory
from domain.errors import NotFound
from domain.limits import INT64_MAX
from interfaces.http.catalog.queries import TypeIdPath
from interfaces.http.context import MinPosition, query_projection
from interfaces.http.market.schemas import ItemPricesView, RegionView
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset
from projections.market import item_prices, list_regions


class MarketQueries(Controller):
    @get("/v1/market/regions", tags=["queries"])
    async def get_regions(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[RegionView]:
        """The regions you have market data for, by id: batches, items quoted, newest observation, job site."""
        regions = await query_projection(system, "market", min_position, list_regions, user_id, limit, offset)
        return msgspec.convert(regions, list[RegionView], from_attributes=True)

    @get("/v1/market/prices/{type_id:int}", tags=["queries"])
    async def get_item_prices(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        region_id: Annotated[int, QueryParameter(ge=1, le=INT64_MAX, description="The market region")],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> ItemPricesView:
        """The item's latest quote and adjusted price, and its history within the retention
        (``MANUFACTORY_MARKET_HISTORY_DAYS``), oldest first: of its points, the newest ``limit``
        after skipping the ``offset`` newest (the next page, ``offset + limit``, is older)."""
        found = await query_projection(
            system, "market", min_position, item_prices, user_id, region_id, type_id, limit, offset
        )
        if found is None:
            raise NotFound(f"you have no market data for region {region_id}", "region_id")
        return msgspec.convert(found, ItemPricesView, from_attributes=True)
