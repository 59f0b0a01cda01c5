"""The economics pages: a region's opportunities (what ``GET /v1/production/economics/opportunities``
answers, a page at a time with its ``total``), and an item's page: its cost breakdown (``GET
/v1/production/economics/{typeId}``), its price history as a chart drawn on the server (``GET
/v1/market/prices/{typeId}``) and the region comparison (``.../{typeId}/regions``).

Everything is read through the API's own query functions (``ranked_opportunities``,
``item_economics``, ``region_comparison``, the market's ``item_prices``), and the query
parameters are read with the API's own types, names and messages (``interfaces.web.asked``): a
bad filter shows the API's words next to its input. Without a region asked, the pages show the
user's first region with market data.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Template

from application.system import Manufactory
from domain.errors import DomainError
from interfaces.http.context import query_projection
from interfaces.http.economics.queries import (
    MinProfit,
    MinRoi,
    PriceParam,
    RegionId,
    ScenarioParam,
    SortParam,
    item_economics,
    query_options,
    ranked_opportunities,
    region_comparison,
)
from interfaces.http.paging import Offset
from interfaces.web.acting import Refusal, refusal_of
from interfaces.web.asked import QueryReader
from interfaces.web.chart import price_chart
from interfaces.web.pages import ConsoleController, page
from projections.market import item_prices, list_regions
from projections.universe import region_names
from projections.users import TokenHolder

PAGE = 50  # opportunities a page lists
MAX_REGIONS = 200  # regions offered in the selector and compared, by id; more stay reachable by the API's paging
SHOWN_POINTS = 500  # the newest price history points charted; older ones stay reachable by the API's paging

OPPORTUNITIES = QueryReader(
    region_id=(RegionId, None),
    sort=(SortParam, "profit"),
    price=(PriceParam, "sell"),
    scenario=(ScenarioParam, "base"),
    min_roi=(MinRoi, None),
    min_profit=(MinProfit, None),
    offset=(Offset, 0),
)
ITEM = QueryReader(region_id=(RegionId, None))


async def regions_of(system: Manufactory, holder: TokenHolder) -> dict[int, str]:
    """The regions the user has market data for, each with its name (its id where the map has none)."""
    regions = await query_projection(system, "market", None, list_regions, holder.user_id, MAX_REGIONS, 0)
    ids = [region.region_id for region in regions]
    names = await query_projection(system, "universe", None, region_names, holder.user_id, ids)
    return {region_id: names.get(region_id, str(region_id)) for region_id in ids}


def pages_of(total: int, offset: int) -> dict[str, int | None]:
    """Where this page starts and ends, and the offsets of the pages before and after it."""
    return {
        "first": offset + 1,
        "last": min(offset + PAGE, total),
        "previous": max(offset - PAGE, 0) if offset else None,
        "next": offset + PAGE if offset + PAGE < total else None,
    }


class EconomicsPages(ConsoleController):
    @get("/economics")
    async def opportunities(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The region's opportunities, best first by the chosen figure, filtered and paged."""
        regions = await regions_of(system, holder)
        sent, asked = OPPORTUNITIES.read(request)
        context: dict[str, Any] = {"regions": regions, "sent": sent, "ranking": None, "refused": None}
        if isinstance(asked, Refusal):
            return page(request, "economics.html", {**context, "refused": asked}, status_code=asked.status)
        filters = {name: value for name, value in asked.items() if name != "region_id"}
        region_id = asked["region_id"] or next(iter(regions), None)
        if region_id is None:
            return page(request, "economics.html", context)
        try:
            ranking = await ranked_opportunities(system, holder.user_id, region_id, limit=PAGE, **filters)
        except DomainError as error:
            refused = refusal_of(error, OPPORTUNITIES.names)
            return page(request, "economics.html", {**context, "refused": refused}, status_code=refused.status)
        query = {name: value for name, value in sent.items() if value and name != "offset"}
        context |= {"ranking": ranking, "query": query | {"region_id": str(region_id)}}
        return page(request, "economics.html", context | {"pages": pages_of(ranking.total, filters["offset"])})

    @get("/economics/{type_id:int}")
    async def item(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        type_id: Annotated[int, PathParameter(description="The item's type id")],
    ) -> Template:
        """An item in a region: costs, prices, profit, time; its price history; every region beside it.
        Any type id is taken (no bounds, unlike the API's path): one not in the catalog is the
        page's 404 with the API's reason, not the API's JSON."""
        regions = await regions_of(system, holder)
        sent, asked = ITEM.read(request)
        context: dict[str, Any] = {"type_id": type_id, "regions": regions, "sent": sent, "view": None}
        if isinstance(asked, Refusal):
            return page(request, "economics_item.html", {**context, "refused": asked}, status_code=asked.status)
        region_id = asked["region_id"] or next(iter(regions), None)
        if region_id is None:
            return page(request, "economics_item.html", {**context, "refused": None})
        options = await query_options()
        try:
            view = await item_economics(system, holder.user_id, type_id, region_id, options)
            comparison = await region_comparison(system, holder.user_id, type_id, options, limit=MAX_REGIONS)
        except DomainError as error:
            refused = refusal_of(error, ITEM.names)
            return page(request, "economics_item.html", {**context, "refused": refused}, status_code=refused.status)
        prices = await query_projection(
            system, "market", None, item_prices, holder.user_id, region_id, type_id, SHOWN_POINTS, 0
        )
        history = prices.history if prices else []
        context |= {
            "view": view,
            "region_id": region_id,
            "history": history,
            "chart": price_chart(history),
            "comparison": comparison,
            "shown_points": SHOWN_POINTS,
            "max_regions": MAX_REGIONS,
            "refused": None,
        }
        return page(request, "economics_item.html", context)
