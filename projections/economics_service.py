"""Production economics as the queries ask for it: a stored row (the economics read model) where
the stored options are asked, else worked out now from the same read models; make-or-buy for a
product or a plan. A base row is read from whoever's rows answer the user in the region
(``BaseRowsOwner``: the shared rows, computed once, unless the user's own inputs change the
answer there); a plan row is always the user's own.

Stored rows hold, per (owner, region, item), the ``base`` case: one run at the spec's base values,
ME 0 and TE 0, made down to raw materials; and, for an item the user has a plan for, a ``plan``
row beside it: the plan's recipes, levels, facilities and make-or-buy choices. Both price jobs at
the region's job site, inputs at the lowest sell and the product at the lowest sell and the
highest buy. An item's answer with the default options (strategy ``plan``) is its plan row where
there is a plan, else its base row; ``strategy=make`` is its base row; the answer says which
(``scenario``). Rankings list base rows unless asked for plan rows. Any other ME, TE, runs, price
choice, strategy or solar system is computed on request with the same code; the answer says
which (``source``).

It lives on the read side: it decides nothing and writes no event, it only answers from the
economics, catalog, industry and market read models (and works figures out from them), so it
imports their queries directly; the write side never calls it.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

import msgspec
from sqlalchemy import Engine

from application.catalog_graphs import CatalogGraphs
from application.position_signal import PositionSignal
from domain.catalog.catalog import SHARED_CATALOG_OWNER
from domain.catalog.chains import CatalogSnapshot, ProductionGraph, StepSettings
from domain.catalog.invention import Invention, InventionOption
from domain.economics.invention import InventionChoice, InventionCosts, choose_invention, invention_costs
from domain.economics.item_economics import Build, build_for, item_economics
from domain.economics.make_or_buy import make_or_buy
from domain.economics.market import SELL, Missing, PriceChoice
from domain.economics.region import RegionMarket
from domain.economics.settings import Decision, EconomicsSettings, JobSite, Strategy, following_plan
from domain.errors import DomainError, NotFound
from domain.industry.plan import PlanStep
from projections.cache import ReadCache
from projections.economics import (
    FIGURES,
    BaseRowsOwner,
    EconomicsView,
    Plans,
    Ranking,
    Scenario,
    base_rows_owner,
    last_written,
    opportunities,
    plan_for_product,
    plans_by_product,
    stored_row,
    stored_rows,
)
from projections.industry.plans import find_plan
from projections.market import RegionView, has_region, list_regions, region_ids, region_market

NO_SITE = 0  # the solar system of a region without a job site: no cost index, so job costs are missing
StrategyName = Literal["plan", "make", "buy", "cheapest"]
# (item, plan followed, decryptor per invented item) -> its build, for every region with those choices
Builds = dict[tuple[int, UUID | None, tuple[tuple[int, int | None], ...]], Build]
RANKINGS = 256  # opportunities answers kept
T = TypeVar("T")


class Options(msgspec.Struct, frozen=True, kw_only=True):
    """What a question about an item's economics can vary; the defaults are the stored rows'."""

    me: int | None = None  # every step's ME; None: the plan's levels where there is a plan, else 0
    te: int | None = None
    runs: int = 1
    input: PriceChoice = SELL  # what buying each input costs
    output: PriceChoice = SELL  # the product's "sell" figure (its "buy" figure is the highest buy)
    strategy: StrategyName = "plan"  # "plan": your plan for the item where there is one, else make all
    solar_system_id: int | None = None  # price jobs here instead of at the region's job site


STORED = Options()  # the stored rows: your plan's where there is one, else the base case
BASE = Options(strategy="make")  # the stored base rows: ME 0 / TE 0, made down to raw materials


class MakeOrBuyItem(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    type_id: int
    name: str | None
    decision: Literal["make", "buy"]  # the cheapest
    current: Literal["make", "buy"] | None  # the plan's choice (plan answers only)
    unit_cost: float | None  # the cheapest cost of one unit
    price: float | None  # what buying one unit costs at the chosen input price
    made: float
    bought: float
    recipe_id: int | None


class MakeOrBuyView(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The cheapest make-or-buy choice for every intermediate at current prices, and what it saves
    against buying every input, making every intermediate and (for a plan) the plan as it is.
    Costs are linear (no whole-run rounding); ``method`` says whether the tree rule or the linear
    program found them."""

    type_id: int
    name: str | None
    region_id: int
    plan_id: UUID | None
    units: float
    method: str
    cost: float | None
    all_buy_cost: float | None
    all_make_cost: float | None
    plan_cost: float | None
    saving_vs_all_buy: float | None
    saving_vs_all_make: float | None
    saving_vs_plan: float | None
    as_of: datetime | None
    items: list[MakeOrBuyItem]
    surplus: dict[int, float]  # byproducts made beyond use, not credited
    missing: tuple[Missing, ...]


class InventionPricing(msgspec.Struct, frozen=True, kw_only=True):
    """An invention's options priced in one region."""

    costs: tuple[InventionCosts, ...]  # one per option, in the options' order
    missing: tuple[Missing, ...]  # every option's missing prices, a missing job site said as such


class _Kept(msgspec.Struct):
    stamp: datetime | None  # the region's last_written when the answer was read
    writes: int  # this process's updater writes when it was read
    checked: float  # monotonic time of the last check against the database
    answer: Ranking


class EconomicsService:
    def __init__(self, graphs: CatalogGraphs, engine: Engine, signal: PositionSignal, fresh_sec: float) -> None:
        self.graphs = graphs
        self._engine = engine
        self._markets: ReadCache[RegionMarket | None] = ReadCache(signal, "market", size=16)
        self._rankings: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._writes = 0
        self._fresh_sec = fresh_sec
        self._lock = threading.Lock()

    # ------------------------------------------------------------ inputs

    def catalog(self, owner: UUID) -> CatalogSnapshot:
        return self.graphs.snapshot(owner, "type_id")

    def region(self, owner: UUID, region_id: int, solar_system_id: int | None = None) -> RegionMarket:
        key = (owner, region_id, solar_system_id)
        market = self._cached(self._markets, key, region_market, owner, region_id, solar_system_id)
        if market is None:
            raise NotFound(f"you have no market data for region {region_id}", "region_id")
        return market

    def regions_of(self, owner: UUID) -> list[RegionView]:
        with self._engine.connect() as connection:
            return list_regions(connection, owner)

    def region_ids(self, owner: UUID, limit: int | None = None, offset: int = 0) -> list[int]:
        """A page of the user's regions, by id."""
        with self._engine.connect() as connection:
            return region_ids(connection, owner, limit, offset)

    def base_rows_owner(self, owner: UUID) -> BaseRowsOwner:
        """Whose base rows answer ``owner`` in each region (read fresh: a few small lookups)."""
        with self._engine.connect() as connection:
            return base_rows_owner(connection, owner)

    def _rows_owner(self, owner: UUID, region_id: int, scenario: Scenario) -> UUID:
        """Whose stored rows of ``scenario`` answer ``owner`` in the region."""
        return owner if scenario == "plan" else self.base_rows_owner(owner).key(region_id)

    def plans(self, owner: UUID) -> Plans:
        """Read fresh each time (one small query): a cached copy tagged with the position the
        signal knew could be served to the updater while the industry projection had already
        moved on, and the plan rows were then worked out from the plan before its change."""
        with self._engine.connect() as connection:
            return plans_by_product(connection, owner)

    def plan_for(self, owner: UUID, type_id: int) -> Plans:
        """``plans`` of one product: what a request about one item reads (also fresh)."""
        with self._engine.connect() as connection:
            return plan_for_product(connection, owner, type_id)

    def _cached(self, cache: ReadCache[T], key: Hashable, query: Callable[..., T], *args: Any) -> T:
        """``query`` from memory while its projection stands still (a market region is a
        few MB of quotes; reading it costs tens of milliseconds)."""
        found, value = cache.lookup(key)
        if found:
            return value  # type: ignore[return-value]  # found: the cached T
        tag = cache.tag()  # taken before the read: the value reflects at least this
        with self._engine.connect() as connection:
            value = query(connection, *args)
        cache.store(key, tag, value)
        return value

    # ------------------------------------------------------------ economics

    def economics(self, owner: UUID, type_id: int, region_id: int, options: Options = STORED) -> EconomicsView:
        """The stored row where stored options are asked and it exists, else worked out now."""
        snapshot = self.catalog(owner)
        buildable(snapshot, type_id)
        scenario = self._stored_scenario(owner, type_id, options)
        if scenario is not None:
            rows_owner = self._rows_owner(owner, region_id, scenario)
            with self._engine.connect() as connection:
                row = stored_row(connection, rows_owner, region_id, type_id, scenario)
            if row is not None:
                return row
        return compute(
            snapshot,
            type_id,
            self.region(owner, region_id, options.solar_system_id),
            options,
            self.plan_for(owner, type_id),
        )

    def regions(
        self, owner: UUID, type_id: int, options: Options = STORED, limit: int | None = None, offset: int = 0
    ) -> list[EconomicsView]:
        """The item in a page of the user's regions (by region id), unordered."""
        wanted = self.region_ids(owner, limit, offset)
        scenario = self._stored_scenario(owner, type_id, options)
        if scenario is not None:
            snapshot = self.catalog(owner)
            buildable(snapshot, type_id)
            base = self.base_rows_owner(owner)
            with self._engine.connect() as connection:
                found = stored_rows(connection, owner, type_id, scenario, wanted)
                if scenario == "base":  # each region's from whoever's rows answer there
                    found = [row for row in found if base.own(row.region_id)]
                    if not base.everywhere:
                        shared = stored_rows(connection, SHARED_CATALOG_OWNER, type_id, scenario, wanted)
                        found += [row for row in shared if not base.own(row.region_id)]
            rows = {row.region_id: row for row in found}
            missing = [region for region in wanted if region not in rows]
            return [*rows.values(), *(self.economics(owner, type_id, region, options) for region in missing)]
        return [self.economics(owner, type_id, region, options) for region in wanted]

    def _stored_scenario(self, owner: UUID, type_id: int, options: Options) -> Scenario | None:
        """Which stored rows answer ``options`` (None: they must be worked out)."""
        if options == BASE:
            return "base"
        if options == STORED:
            return "plan" if type_id in self.plan_for(owner, type_id) else "base"
        return None

    def opportunities(self, owner: UUID, region_id: int, **filters: Any) -> Ranking:
        """The region's stored rows by ``projections.economics.opportunities``' filters. A ranking
        reads every row of the region, so answers are kept while the region's rows are not worked
        out again: checked by an index lookup, which sees any process's updater."""
        key = (owner, region_id, tuple(sorted(filters.items())))
        writes = self._writes  # before the read: a write meanwhile makes the answer stale
        rows_owner = self._rows_owner(owner, region_id, filters.get("scenario", "base"))
        with self._engine.connect() as connection:
            stamp = last_written(connection, rows_owner, region_id)
            if stamp is None and not has_region(connection, owner, region_id):
                raise NotFound(f"you have no market data for region {region_id}", "region_id")
            with self._lock:
                kept = self._rankings.get(key)
            answer = kept.answer if kept is not None and kept.stamp == stamp else None
            if answer is None:
                answer = opportunities(connection, rows_owner, region_id, **filters)
        with self._lock:
            self._rankings[key] = _Kept(stamp, writes, time.monotonic(), answer)
            self._rankings.move_to_end(key)
            while len(self._rankings) > RANKINGS:
                self._rankings.popitem(last=False)
        return answer

    def recent_opportunities(self, owner: UUID, region_id: int, **filters: Any) -> Ranking | None:
        """A kept answer, without any I/O, if it was checked within the last ``fresh_sec`` and this
        process's updater wrote nothing since; another process's writes show within that time,
        like the projections' read caches."""
        with self._lock:
            kept = self._rankings.get((owner, region_id, tuple(sorted(filters.items()))))
            if kept is None or kept.writes != self._writes or time.monotonic() - kept.checked > self._fresh_sec:
                return None
            return kept.answer

    def rows_written(self) -> None:
        """The updater wrote rows: kept rankings must be checked again."""
        with self._lock:
            self._writes += 1

    # ------------------------------------------------------------ invention

    def invention_costs(
        self, owner: UUID, region_id: int, invention: Invention, options: Sequence[InventionOption]
    ) -> InventionPricing:
        """Each option's cost per attempt, per copy and per unit, its jobs at the region's job site."""
        region = self.region(owner, region_id)
        site = region.job_site or JobSite(solar_system_id=NO_SITE)
        costs = tuple(invention_costs(invention, option, region.data, site) for option in options)
        missing = tuple(dict.fromkeys(missing for cost in costs for missing in cost.missing))
        return InventionPricing(costs=costs, missing=_missing(missing, region))

    # ------------------------------------------------------------ make or buy

    def make_or_buy(self, owner: UUID, type_id: int, region_id: int, options: Options = STORED) -> MakeOrBuyView:
        snapshot = self.catalog(owner)
        buildable(snapshot, type_id)
        region = self.region(owner, region_id, options.solar_system_id)
        settings = msgspec.structs.replace(settings_for(region, options, None)[0], strategy=Strategy.CHEAPEST)
        return _make_or_buy_view(snapshot, type_id, region, settings, None, None, _asked_levels(options))

    def plan_make_or_buy(self, owner: UUID, plan_id: UUID, region_id: int, options: Options = STORED) -> MakeOrBuyView:
        """The plan's recipes, levels and facilities kept, every make-or-buy choice free; the
        plan's own choices priced the same way for the comparison."""
        with self._engine.connect() as connection:
            plan = find_plan(connection, owner, plan_id)
        if plan is None:
            raise NotFound("plan not found", "plan_id")
        snapshot = self.catalog(owner)
        region = self.region(owner, region_id, options.solar_system_id)
        planned = following_plan(settings_for(region, options, None)[0], plan.steps)
        free = msgspec.structs.replace(planned, plan={}, strategy=Strategy.CHEAPEST)
        product = plan.plan.product_type_id
        return _make_or_buy_view(snapshot, product, region, free, plan_id, planned.plan, _asked_levels(options))


# ------------------------------------------------------------------ computing


def buildable(snapshot: CatalogSnapshot, type_id: int) -> None:
    """Economics is for what is manufactured or reacted: a blueprint copy (copied or invented)
    has no row of its own, its cost is in the rows of what it builds."""
    steps = snapshot.graph.alternatives(type_id)
    if any(step.kind.builds for step in steps):
        return
    if steps:
        raise NotFound(
            f"item {type_id} is a blueprint copy, copied or invented, not built: its cost is in what it builds",
            "type_id",
        )
    if type_id not in snapshot.names:
        raise NotFound(f"item {type_id} is not in your catalog", "type_id")
    raise NotFound(f"no recipe in your catalog builds item {type_id}", "type_id")


def settings_for(
    region: RegionMarket, options: Options, plan: tuple[UUID, Sequence[PlanStep]] | None
) -> tuple[EconomicsSettings, StrategyName, UUID | None]:
    """The settings ``options`` mean in ``region`` (following ``plan`` with the "plan" strategy),
    the strategy they came to and the plan followed."""
    site = region.job_site or JobSite(solar_system_id=NO_SITE)
    if options.solar_system_id is not None:
        site = JobSite(solar_system_id=options.solar_system_id, rates=site.rates)
    settings = EconomicsSettings(
        site=site,
        runs=options.runs,
        step=StepSettings(me=options.me or 0, te=options.te or 0),
        input_price=options.input,
        output_price=options.output,
        strategy=Strategy.MAKE if options.strategy == "plan" else Strategy(options.strategy),
    )
    if options.strategy != "plan" or plan is None:
        return settings, "make" if options.strategy == "plan" else options.strategy, None
    planned = following_plan(settings, plan[1])
    if options.me is not None or options.te is not None:  # asked levels beat the plan's
        levels = {name: value for name, value in (("me", options.me), ("te", options.te)) if value is not None}
        overrides = {item: msgspec.structs.replace(step, **levels) for item, step in planned.step_overrides.items()}
        planned = msgspec.structs.replace(planned, step_overrides=overrides)
    return planned, "plan", plan[0]


def compute(
    snapshot: CatalogSnapshot,
    type_id: int,
    region: RegionMarket,
    options: Options,
    plans: Plans,
    builds: Builds | None = None,
) -> EconomicsView:
    """One item's economics in one region. ``builds`` keeps each item's build for the next region
    of a recomputation (it holds for every region while the options stay the same). A plan that
    no longer fits the catalog is set aside: the item is then made down to raw materials."""
    plan = plans.get(type_id) if options.strategy == "plan" else None
    asked = _asked_levels(options)
    try:
        return _computed(snapshot, type_id, region, *settings_for(region, options, plan), builds, asked)
    except DomainError:
        if plan is None:
            raise
        return _computed(snapshot, type_id, region, *settings_for(region, options, None), builds, asked)


def _asked_levels(options: Options) -> bool:
    return options.me is not None or options.te is not None


def invention_choices(
    snapshot: CatalogSnapshot, type_id: int, region: RegionMarket, settings: EconomicsSettings
) -> dict[int, InventionChoice]:
    """How each invented item in ``type_id``'s chain gets its Tech II copy in ``region``: at
    skills V, on expected value, with the decryptor (or none) cheapest per unit there
    (``choose_invention``), its jobs at the item's job site."""
    found = {}
    for item in _invented_in_chain(snapshot, type_id, settings.recipes):
        site = settings.site_for(item)
        invention = snapshot.inventions[item]
        found[item] = choose_invention(invention, snapshot.decryptors, region.data, site, settings.input_price)
    return found


_INVENTED: weakref.WeakKeyDictionary[ProductionGraph, dict[Hashable, tuple[int, ...]]] = weakref.WeakKeyDictionary()


def _invented_in_chain(snapshot: CatalogSnapshot, type_id: int, recipes: dict[int, int]) -> tuple[int, ...]:
    """The invented items ``type_id``'s chain makes with their Tech II copy, kept per graph (a
    recomputation asks it for every item in every region; the walk does not depend on either)."""
    if not snapshot.inventions:
        return ()
    graph = snapshot.graph
    key = (type_id, tuple(sorted(recipes.items())))
    with _INVENTED_LOCK:
        known = _INVENTED.setdefault(graph, {}).get(key)
    if known is not None:
        return known
    found = []
    for item in graph.order(type_id, recipes):
        invention = snapshot.inventions.get(item)
        step = graph.step(item, recipes)
        if invention is not None and step is not None and step.blueprint_copy == invention.invented_blueprint_id:
            found.append(item)
    with _INVENTED_LOCK:
        _INVENTED.setdefault(graph, {})[key] = tuple(found)
    return tuple(found)


_INVENTED_LOCK = threading.Lock()


def at_copy_levels(settings: EconomicsSettings, inventions: dict[int, InventionChoice]) -> EconomicsSettings:
    """An invented item is built at its copy's ME and TE (a copy cannot be researched), unless a
    plan's step sets its levels."""
    levels = {
        item: msgspec.structs.replace(settings.step, me=choice.me, te=choice.te)
        for item, choice in inventions.items()
        if item not in settings.step_overrides
    }
    if not levels:
        return settings
    return msgspec.structs.replace(settings, step_overrides={**settings.step_overrides, **levels})


def _computed(
    snapshot: CatalogSnapshot,
    type_id: int,
    region: RegionMarket,
    settings: EconomicsSettings,
    strategy: StrategyName,
    plan_id: UUID | None,
    builds: Builds | None,
    asked_levels: bool = False,
) -> EconomicsView:
    """``asked_levels``: the question set ME or TE, which then beat an invented copy's."""
    graph = snapshot.graph
    inventions = invention_choices(snapshot, type_id, region, settings)
    if not asked_levels:
        settings = at_copy_levels(settings, inventions)
    build = None
    if builds is not None and settings.strategy is not Strategy.CHEAPEST:
        key = (type_id, plan_id, tuple((item, choice.decryptor_type_id) for item, choice in inventions.items()))
        build = builds.get(key) or builds.setdefault(key, build_for(graph, type_id, region.data, settings, inventions))
    result = item_economics(graph, type_id, region.data, settings, build, inventions)
    root = settings.step_for(type_id)
    return EconomicsView(
        type_id=type_id,
        name=snapshot.names.get(type_id),
        region_id=result.region_id,
        me=root.me,
        te=root.te,
        runs=result.runs,
        units=result.units,
        strategy=strategy,
        plan_id=plan_id,
        scenario="plan" if plan_id is not None else "base",
        **{name: getattr(result, name) for name in FIGURES},
        base_time=result.base_time,
        effective_time=result.effective_time,
        chain_time=result.chain_time,
        daily_volume=result.daily_volume,
        missing=_missing(result.missing, region),
        approximate=result.approximate,
        catalog_version=graph.catalog_version,
        source="computed",
        invention=result.copies,
    )


def _missing(found: tuple[Missing, ...], region: RegionMarket) -> tuple[Missing, ...]:
    """Missing prices, a missing job site said as such (not as a cost index of no system)."""
    if region.job_site is not None:
        return found
    no_site = Missing(
        what="job_site",
        id=region.data.region_id,
        reason="no job site chosen for this region: record one with a price batch (jobSite) or ask with solarSystemId",
    )
    missing = [no_site if m.what == "cost_index" and m.id == NO_SITE else m for m in found]
    return tuple(dict.fromkeys(missing))


def _make_or_buy_view(
    snapshot: CatalogSnapshot,
    type_id: int,
    region: RegionMarket,
    settings: EconomicsSettings,
    plan_id: UUID | None,
    planned: dict[int, Decision] | None,
    asked_levels: bool,
) -> MakeOrBuyView:
    """A Tech II copy is one of the items (counted in runs): invented (the row's choice of
    decryptor) or bought where a price for its blueprint is known and cheaper."""
    graph, market = snapshot.graph, region.data
    inventions = invention_choices(snapshot, type_id, region, settings)
    if not asked_levels:
        settings = at_copy_levels(settings, inventions)
    best = make_or_buy(graph, type_id, market, settings, inventions=inventions)
    current: dict[int, Decision] | None = None
    plan_cost = None
    if planned is not None:
        current = {item: planned.get(item, Decision.BUY) for item in {*best.decisions, *planned} - {type_id}}
        following = msgspec.structs.replace(settings, plan=current)
        plan_cost = make_or_buy(graph, type_id, market, following, inventions=inventions).cost
    items = []
    for item, decision in sorted(best.decisions.items()):
        items.append(
            MakeOrBuyItem(
                type_id=item,
                name=snapshot.names.get(item),
                decision=decision.value,
                current=current[item].value if current and item in current else None,
                unit_cost=best.unit_costs.get(item),
                price=best.prices.get(item),
                made=best.made.get(item, 0.0),
                bought=best.bought.get(item, 0.0),
                recipe_id=best.recipes.get(item),
            )
        )
    return MakeOrBuyView(
        type_id=type_id,
        name=snapshot.names.get(type_id),
        region_id=market.region_id,
        plan_id=plan_id,
        units=best.units,
        method=best.method,
        cost=best.cost,
        all_buy_cost=best.all_buy_cost,
        all_make_cost=best.all_make_cost,
        plan_cost=plan_cost,
        saving_vs_all_buy=best.saving_vs_all_buy,
        saving_vs_all_make=best.saving_vs_all_make,
        saving_vs_plan=plan_cost - best.cost if plan_cost is not None and best.cost is not None else None,
        as_of=best.as_of,
        items=items,
        surplus=best.surplus,
        missing=best.missing,
    )
