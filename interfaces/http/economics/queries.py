"""Query routes of production economics (the spec's economics API) and make-or-buy.

Parameters keep the spec's names (``region_id``, ``min_roi``, ``min_profit``). An item's answer
is its stored row when the stored options are asked (see ``application/economics.py``), else it
is worked out on request. ``minPosition`` waits for the read models and then for the item rows
that position made stale to be recomputed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Literal, TypeVar
from uuid import UUID

import anyio.to_thread
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from application.system import Manufactory
from domain.catalog.industry import validate_levels
from domain.economics.market import PriceBasis, PriceChoice
from domain.errors import InvalidInput
from domain.limits import INT64_MAX, MAX_AMOUNT
from interfaces.http.catalog.queries import TypeIdPath
from interfaces.http.context import MinPosition, await_projection, await_replica, query_projection
from interfaces.http.economics.schemas import OpportunitiesOut, OpportunityOut, RegionEconomics, RegionsOut
from interfaces.http.errors import ProjectionLagging
from interfaces.http.industry.commands import PlanIdPath
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset
from projections.economics import Basis, EconomicsView, Scenario, Sort
from projections.economics_service import MakeOrBuyView, Options, StrategyName
from projections.economics_updater import Busy
from projections.universe import region_names

T = TypeVar("T")


READ_MODELS = ("catalog", "industry", "market", "economics")


RegionId = Annotated[
    int | None, QueryParameter(ge=1, le=INT64_MAX, description="Required: the market region, e.g. 10000002")
]


Me = Annotated[int | None, QueryParameter(ge=0, le=10, description="ME of every step; default: your plan's, else 0")]


Te = Annotated[int | None, QueryParameter(ge=0, le=20, description="TE of every step; default: your plan's, else 0")]


Runs = Annotated[int, QueryParameter(ge=1, le=1_000_000, description="Runs of the item's recipe")]


Choice = Literal["sell", "buy", "percentile"]


Input = Annotated[Choice, QueryParameter(description="Inputs priced at the lowest sell, highest buy or a percentile")]


Output = Annotated[
    Choice, QueryParameter(description="The product's 'sell' figure: lowest sell, highest buy, percentile")
]


Percentile = Annotated[
    float, QueryParameter(gt=0, le=100, description="With 'percentile': the cheapest share of the sell volume, in %")
]


StrategyParam = Annotated[
    StrategyName,
    QueryParameter(description="plan: your plan for the item if any, else make all; or make, buy, cheapest"),
]


System = Annotated[
    int | None,
    QueryParameter(ge=1, le=INT64_MAX, description="Price jobs in this solar system instead of the region's job site"),
]


SortParam = Annotated[Sort, QueryParameter(description="profit, roi, profit_per_hour or volume (daily), best first")]


PriceParam = Annotated[Basis, QueryParameter(description="Profit and ROI at the lowest sell or the highest buy")]


MinRoi = Annotated[float | None, QueryParameter(ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Lowest ROI, in %")]


MinProfit = Annotated[
    float | None, QueryParameter(ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Lowest profit per run, in ISK")
]


RankingLimit = Annotated[int, QueryParameter(ge=1, le=1000)]


ScenarioParam = Annotated[
    Scenario,
    QueryParameter(description="base: every item at ME 0 / TE 0 (default); plan: the items you have a plan for"),
]


def _options(
    me: int | None,
    te: int | None,
    runs: int,
    input: Choice,
    output: Choice,
    percentile: float,
    strategy: StrategyName,
    solar_system_id: int | None,
) -> Options:
    """The query's options; a percentile only matters for percentile prices (so that the stored
    options compare equal whatever percentile is sent)."""
    validate_levels(me or 0, te or 0)

    def choice(basis: Choice) -> PriceChoice:
        kind = PriceBasis(basis)
        return (
            PriceChoice(basis=kind, percentile=percentile) if kind is PriceBasis.PERCENTILE else PriceChoice(basis=kind)
        )

    return Options(
        me=me,
        te=te,
        runs=runs,
        input=choice(input),
        output=choice(output),
        strategy=strategy,
        solar_system_id=solar_system_id,
    )


async def query_options(
    me: Me = None,
    te: Te = None,
    runs: Runs = 1,
    input: Input = "sell",
    output: Output = "sell",
    percentile: Percentile = 5.0,
    strategy: StrategyParam = "plan",
    solar_system_id: System = None,
) -> Options:
    """The computation options every economics query takes, as one dependency."""
    return _options(me, te, runs, input, output, percentile, strategy, solar_system_id)


OPTIONS = {"options": Provide(query_options)}


async def _answer(system: Manufactory, user_id: UUID, min_position: int | None, call: Callable[[], T]) -> T:
    """``call`` (of ``system.read_economics``: on the streaming replica, if one is set) in a
    thread once the read models have every acknowledged write (see ``await_projection``) and,
    with ``min_position``, this user's stale rows are recomputed (on the primary: the updater
    writes) and the replica has them (``await_replica``)."""
    for name in READ_MODELS:
        await await_projection(system, name, min_position)
    if min_position:
        update = partial(system.economics_updater.update_pending, user_id, system.settings.consistency_timeout_sec)
        try:
            await anyio.to_thread.run_sync(update)
        except Busy as busy:
            raise ProjectionLagging(str(busy)) from None
        await await_replica(system)  # the rows just worked out, where the answer reads them
    return await anyio.to_thread.run_sync(call)


def _required(region_id: int | None) -> int:
    if region_id is None:
        raise InvalidInput("region_id is required, e.g. region_id=10000002", "region_id")
    return region_id


def _figure(view: EconomicsView, sort: Sort, price: Basis) -> float | None:
    """The figure regions are ranked by: ``sort`` at ``price`` (the daily volume for "volume")."""
    value: float | None = view.daily_volume if sort == "volume" else getattr(view, f"{sort}_{price}").value
    return value


def _ranked(views: list[EconomicsView], sort: Sort, price: Basis) -> list[EconomicsView]:
    """Best first by ``sort`` at ``price``; unknowns last."""

    def key(view: EconomicsView) -> tuple[bool, float]:
        value = _figure(view, sort, price)
        return value is None, -(value or 0.0)

    return sorted(views, key=key)


async def ranked_opportunities(
    system: Manufactory,
    user_id: UUID,
    region_id: int | None,
    *,
    min_roi: float | None = None,
    min_profit: float | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: Sort = "profit",
    price: Basis = "sell",
    scenario: Scenario = "base",
    min_position: int | None = None,
) -> OpportunitiesOut:
    """The opportunities query's answer (the route's and the console's)."""
    region = _required(region_id)
    economics = system.read_economics
    filters = {
        "basis": price,
        "sort": sort,
        "min_roi": min_roi,
        "min_profit": min_profit,
        "limit": limit,
        "offset": offset,
        "scenario": scenario,
    }
    ranking = None if min_position else economics.recent_opportunities(user_id, region, **filters)
    if ranking is None:  # not answered moments ago: check (and read) in a thread
        find = partial(economics.opportunities, user_id, region, **filters)
        ranking = await _answer(system, user_id, min_position, find)
    ranked = [OpportunityOut.of(view, price) for view in ranking.items]
    return OpportunitiesOut(
        region_id=region,
        sort=sort,
        price=price,
        scenario=scenario,
        items=ranked,
        unpriced=ranking.unpriced,
        total=ranking.total,
    )


async def item_economics(
    system: Manufactory,
    user_id: UUID,
    type_id: int,
    region_id: int | None,
    options: Options,
    min_position: int | None = None,
) -> EconomicsView:
    """An item's economics in a region (the route's and the console's)."""
    economics = system.read_economics
    return await _answer(
        system, user_id, min_position, partial(economics.economics, user_id, type_id, _required(region_id), options)
    )


async def region_comparison(
    system: Manufactory,
    user_id: UUID,
    type_id: int,
    options: Options,
    sort: Sort = "profit",
    price: Basis = "sell",
    limit: int = DEFAULT_PAGE,
    offset: int = 0,
    min_position: int | None = None,
) -> RegionsOut:
    """The item in a page of the user's regions (by region id), named and the best first (the
    route's and the console's)."""
    economics = system.read_economics
    regions_of = partial(economics.regions, user_id, type_id, options, limit, offset)
    views = await _answer(system, user_id, min_position, regions_of)
    region_ids = [view.region_id for view in views]
    names = await query_projection(system, "universe", min_position, region_names, user_id, region_ids)
    name = next((view.name for view in views), None)
    regions = [RegionEconomics.of(view, names.get(view.region_id)) for view in _ranked(views, sort, price)]
    best = next((region for region in regions[:1] if _figure(region, sort, price) is not None), None)
    return RegionsOut(
        type_id=type_id,
        name=name,
        sort=sort,
        price=price,
        regions=regions,
        best_region_id=best.region_id if best else None,
        best_region_name=best.region_name if best else None,
    )


class EconomicsQueries(Controller):
    @get("/v1/production/economics/opportunities", tags=["queries"])
    async def get_opportunities(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        region_id: RegionId = None,
        min_roi: MinRoi = None,
        min_profit: MinProfit = None,
        limit: RankingLimit = 50,
        offset: Offset = 0,
        sort: SortParam = "profit",
        price: PriceParam = "sell",
        scenario: ScenarioParam = "base",
        min_position: MinPosition = None,
    ) -> OpportunitiesOut:
        """Profitable items of a region from the stored rows of one scenario, so the ranking
        compares like with like: the base case (ME 0 / TE 0) of every item, or with
        ``scenario=plan`` your plans' rows. Items with an unknown profit (a missing price) are
        counted, never listed. ``total`` counts every match; ``offset`` pages through them."""
        return await ranked_opportunities(
            system,
            user_id,
            region_id,
            min_roi=min_roi,
            min_profit=min_profit,
            limit=limit,
            offset=offset,
            sort=sort,
            price=price,
            scenario=scenario,
            min_position=min_position,
        )

    @get("/v1/production/economics/{type_id:int}", tags=["queries"], dependencies=OPTIONS)
    async def get_economics(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        options: NamedDependency[Options],
        region_id: RegionId = None,
        min_position: MinPosition = None,
    ) -> EconomicsView:
        """Costs (materials, jobs), prices, profit and ROI at the lowest sell and the highest buy,
        base and effective time and profit per hour, each figure with the observation time of the
        oldest price behind it; prices that were missing are listed and their figures are null.
        With the default options: your plan's stored row where you have a plan for the item, else
        its base row (ME 0 / TE 0); ``strategy=make``: the base row. ``scenario`` says which."""
        return await item_economics(system, user_id, type_id, region_id, options, min_position)

    @get("/v1/production/economics/{type_id:int}/regions", tags=["queries"], dependencies=OPTIONS)
    async def get_economics_regions(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        options: NamedDependency[Options],
        sort: SortParam = "profit",
        price: PriceParam = "sell",
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> RegionsOut:
        """The item in the regions you have market data for, the best region first: the one
        with the highest ``sort`` figure (profit by default) at ``price``, named in
        ``bestRegionId`` (null when no region's figure is known). Regions are named from your
        catalog's map (null where it has none, or not that region). A page holds the regions
        ``offset`` to ``offset + limit`` by region id, and its best is the best of them."""
        return await region_comparison(system, user_id, type_id, options, sort, price, limit, offset, min_position)

    @get("/v1/production/economics/{type_id:int}/make-or-buy", tags=["queries"])
    async def get_make_or_buy(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        type_id: TypeIdPath,
        region_id: RegionId = None,
        me: Me = None,
        te: Te = None,
        runs: Runs = 1,
        input: Input = "sell",
        percentile: Percentile = 5.0,
        solar_system_id: System = None,
        min_position: MinPosition = None,
    ) -> MakeOrBuyView:
        """The cheapest choice for every intermediate at current prices, and the saving against
        buying every input and against making every intermediate."""
        options = _options(me, te, runs, input, "sell", percentile, "cheapest", solar_system_id)
        economics = system.read_economics
        call = partial(economics.make_or_buy, user_id, type_id, _required(region_id), options)
        return await _answer(system, user_id, min_position, call)

    @get("/v1/industry/plans/{plan_id:uuid}/make-or-buy", tags=["queries"])
    async def get_plan_make_or_buy(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        plan_id: PlanIdPath,
        region_id: RegionId = None,
        runs: Runs = 1,
        input: Input = "sell",
        percentile: Percentile = 5.0,
        solar_system_id: System = None,
        min_position: MinPosition = None,
    ) -> MakeOrBuyView:
        """For the plan's recipes, levels and facilities: the cheapest choice for every intermediate,
        the plan's own choice beside it, and the saving against the plan, all-buy and all-make."""
        options = _options(None, None, runs, input, "sell", percentile, "cheapest", solar_system_id)
        economics = system.read_economics
        call = partial(economics.plan_make_or_buy, user_id, plan_id, _required(region_id), options)
        return await _answer(system, user_id, min_position, call)
