"""What building an item costs and earns in one region: the spec's production_economics row,
worked out on the catalog's bill of materials.

Material cost prices what the bill of materials says to obtain (raw materials, and intermediates
the plan buys) at each item's chosen price; job cost sums the cost of every job the plan makes,
intermediates included; profit and ROI come at the product's sell and buy prices. A price that is
missing makes every figure that needs it None and is listed in ``missing``: an unknown is never
read as 0. Every figure carries ``as_of``, the observation time of the oldest price behind it, so
a caller can tell stale numbers apart. ROI is None when the cost is 0 (no division by zero).

Profit per hour divides by ``chain_time``, the seconds of every job the plan makes, one after
another: the slot time the profit consumes. With ``Strategy.CHEAPEST`` the make-or-buy plan picks
what to make; byproducts it relies on are not credited here, where each step runs on its own
(``plan.cost`` has the linear optimum).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import datetime

import msgspec

from domain.catalog.chains import BillOfMaterials, ProductionGraph
from domain.catalog.model import ActivityKind
from domain.economics.job_cost import JobCost, priced_job
from domain.economics.make_or_buy import MakeOrBuyPlan, make_or_buy
from domain.economics.market import MarketData, Missing, PricePoint, Value
from domain.economics.settings import Decision, EconomicsSettings, Strategy


class Figure(Value, frozen=True):
    """A number with the observation time of the oldest price behind it; None where unknown."""

    value: float | None = None
    as_of: datetime | None = None


UNKNOWN = Figure()


class MaterialLine(Value, frozen=True):
    type_id: int
    quantity: int
    unit_price: Figure
    cost: Figure
    intermediate: bool = False  # a makeable item the plan buys


class JobLine(Value, frozen=True):
    type_id: int
    recipe_id: int
    activity: ActivityKind
    runs: int
    seconds: int  # all of the step's jobs, with TE, skills and facility (each job's whole seconds)
    cost: JobCost | None  # None: an adjusted price or the cost index is missing
    as_of: datetime | None = None


class ItemEconomics(Value, frozen=True):
    type_id: int
    region_id: int
    runs: int
    units: int  # units of the product the runs make
    material_cost: Figure
    job_cost: Figure
    total_cost: Figure
    sell_price: Figure  # per unit
    buy_price: Figure  # per unit
    profit_sell: Figure  # units × sell price − total cost
    profit_buy: Figure
    roi_sell: Figure  # percent of total cost
    roi_buy: Figure
    base_time: int  # seconds: the product's recipe × runs, without TE, skills or structure
    effective_time: int  # seconds: the product's jobs with TE, skills, structure and rigs
    chain_time: int  # seconds: every job the plan makes, one after another
    profit_per_hour_sell: Figure  # profit / chain_time
    profit_per_hour_buy: Figure
    daily_volume: float | None  # units of the product traded per day in the region, where known
    decisions: dict[int, Decision]  # every intermediate: made or bought
    materials: tuple[MaterialLine, ...]
    jobs: tuple[JobLine, ...]
    leftovers: dict[int, int]  # units made beyond need (batch products)
    missing: tuple[Missing, ...] = ()
    approximate: tuple[int, ...] = ()  # items priced at the lowest sell for want of order-book depth
    plan: MakeOrBuyPlan | None = None  # the make-or-buy plan, with Strategy.CHEAPEST


class Build(msgspec.Struct, frozen=True):
    """What is made and bought, and how much: the bill of materials with the recipe of each item
    made. Prices play no part in it unless the strategy is CHEAPEST, so one build serves every
    region."""

    bom: BillOfMaterials
    choices: dict[int, int]
    plan: MakeOrBuyPlan | None


def build_for(graph: ProductionGraph, type_id: int, market: MarketData, settings: EconomicsSettings) -> Build:
    """The build ``item_economics`` prices; ``market`` is read only with Strategy.CHEAPEST."""
    bought, choices, plan = _decide(graph, type_id, market, settings)
    bom = graph.bill_of_materials(
        type_id,
        settings.runs,
        default=settings.step,
        overrides=settings.step_overrides,
        bought=frozenset(bought),
        choices=choices,
    )
    return Build(bom, choices, plan)


def item_economics(
    graph: ProductionGraph,
    type_id: int,
    market: MarketData,
    settings: EconomicsSettings,
    build: Build | None = None,
) -> ItemEconomics:
    """Costs, prices, profit, ROI and time for ``settings.runs`` runs of ``type_id``; ``build``
    (from ``build_for`` with the same settings) saves working it out again for another region."""
    build = build or build_for(graph, type_id, market, settings)
    bom, choices, plan = build.bom, build.choices, build.plan
    missing: list[Missing] = []
    approximate: list[int] = []
    materials = _materials(bom, market, settings, missing, approximate)
    jobs = _jobs(graph, bom, choices, market, settings, missing)
    material_cost = total_of(line.cost for line in materials)
    job_cost = total_of(Figure(value=line.cost.total if line.cost else None, as_of=line.as_of) for line in jobs)
    total = combine(operator.add, material_cost, job_cost)

    product = next(step for step in bom.steps if step.type_id == type_id)
    units = product.produced
    sell_choice, buy_choice = settings.output_choices(type_id)
    sell = price_figure(market.price(type_id, sell_choice), missing, approximate, type_id)
    buy = price_figure(market.price(type_id, buy_choice), missing, approximate, type_id)
    profit_sell = combine(lambda price, cost: units * price - cost, sell, total)
    profit_buy = combine(lambda price, cost: units * price - cost, buy, total)

    step = graph.step(type_id, choices)
    assert step is not None
    chain_time = sum(line.seconds for line in jobs)
    quote = market.quote(type_id)
    return ItemEconomics(
        type_id=type_id,
        region_id=market.region_id,
        runs=settings.runs,
        units=units,
        material_cost=material_cost,
        job_cost=job_cost,
        total_cost=total,
        sell_price=sell,
        buy_price=buy,
        profit_sell=profit_sell,
        profit_buy=profit_buy,
        roi_sell=combine(_roi, profit_sell, total),
        roi_buy=combine(_roi, profit_buy, total),
        base_time=step.time * settings.runs,
        effective_time=sum(job.seconds * job.count for job in product.jobs),
        chain_time=chain_time,
        profit_per_hour_sell=combine(lambda profit: _per_hour(profit, chain_time), profit_sell),
        profit_per_hour_buy=combine(lambda profit: _per_hour(profit, chain_time), profit_buy),
        daily_volume=quote.daily_volume if quote else None,
        decisions={
            **{item: Decision.BUY for item in bom.bought},
            **{line.type_id: Decision.MAKE for line in jobs if line.type_id != type_id},
        },
        materials=materials,
        jobs=jobs,
        leftovers={line.type_id: line.leftover for line in bom.steps if line.leftover},
        missing=tuple(dict.fromkeys(missing)),
        approximate=tuple(dict.fromkeys(approximate)),
        plan=plan,
    )


def _decide(
    graph: ProductionGraph, root: int, market: MarketData, settings: EconomicsSettings
) -> tuple[set[int], dict[int, int], MakeOrBuyPlan | None]:
    """Which intermediates to buy and which recipe makes each made item."""
    if settings.strategy is Strategy.CHEAPEST:
        plan = make_or_buy(graph, root, market, settings)
        bought = {item for item, decision in plan.decisions.items() if decision is Decision.BUY}
        return bought, {**settings.recipes, **plan.recipes}, plan
    default = Decision.BUY if settings.strategy is Strategy.BUY else Decision.MAKE
    bought = set()
    seen = {root}
    stack = [root]
    while stack:  # walk down the made items only: below a bought item nothing is decided
        step = graph.step(stack.pop(), settings.recipes)
        for material in step.materials if step else ():
            item = material.type_id
            if item in seen or graph.step(item, settings.recipes) is None:
                continue
            seen.add(item)
            if settings.plan.get(item, default) is Decision.BUY:
                bought.add(item)
            else:
                stack.append(item)
    return bought, dict(settings.recipes), None


def _materials(
    bom: BillOfMaterials,
    market: MarketData,
    settings: EconomicsSettings,
    missing: list[Missing],
    approximate: list[int],
) -> tuple[MaterialLine, ...]:
    lines = []
    for quantities, intermediate in ((bom.raw, False), (bom.bought, True)):
        for item, quantity in sorted(quantities.items()):
            price = price_figure(market.price(item, settings.input_choice(item)), missing, approximate, item)
            cost = combine(lambda unit, quantity=quantity: unit * quantity, price)
            lines.append(
                MaterialLine(type_id=item, quantity=quantity, unit_price=price, cost=cost, intermediate=intermediate)
            )
    return tuple(lines)


def _jobs(
    graph: ProductionGraph,
    bom: BillOfMaterials,
    choices: dict[int, int],
    market: MarketData,
    settings: EconomicsSettings,
    missing: list[Missing],
) -> tuple[JobLine, ...]:
    """One line per item made. The cost is linear in runs, so pricing a step's runs at once
    equals summing its jobs split at the blueprint's max runs."""
    lines = []
    for planned in bom.steps:
        step = graph.step(planned.type_id, choices)
        assert step is not None
        site = settings.site_for(planned.type_id)
        priced = priced_job(step.kind, step.materials, planned.runs, market, site.solar_system_id, site.rates, missing)
        lines.append(
            JobLine(
                type_id=planned.type_id,
                recipe_id=step.recipe_id,
                activity=step.kind,
                runs=planned.runs,
                seconds=sum(job.seconds * job.count for job in planned.jobs),
                cost=priced.cost,
                as_of=priced.as_of,
            )
        )
    return tuple(lines)


def price_figure(found: PricePoint | Missing, missing: list[Missing], approximate: list[int], type_id: int) -> Figure:
    """A price as a figure; a missing one is added to ``missing`` (and unknown), an approximate
    one's item to ``approximate``."""
    if isinstance(found, Missing):
        missing.append(found)
        return UNKNOWN
    if found.approximate:
        approximate.append(type_id)
    return Figure(value=found.price, as_of=found.observed_at)


def combine(function: Callable[..., float | None], *figures: Figure) -> Figure:
    """``function`` of the figures' values, as of the oldest; unknown if any input is."""
    if any(figure.value is None for figure in figures):
        return UNKNOWN
    value = function(*(figure.value for figure in figures))
    if value is None:
        return UNKNOWN
    times = [figure.as_of for figure in figures if figure.as_of is not None]
    return Figure(value=value, as_of=min(times) if times else None)


def total_of(figures: Iterable[Figure]) -> Figure:
    """The sum as of the oldest figure; unknown if any figure is (``combine`` folded, unrolled
    because it runs once per material of every item of a full recomputation)."""
    total = 0.0
    oldest: datetime | None = None
    for figure in figures:
        if figure.value is None:
            return UNKNOWN
        total += figure.value
        if figure.as_of is not None and (oldest is None or figure.as_of < oldest):
            oldest = figure.as_of
    return Figure(value=total, as_of=oldest)


def _roi(profit: float, cost: float) -> float | None:
    return profit / cost * 100 if cost > 0 else None


def _per_hour(profit: float, seconds: float) -> float | None:
    return profit / (seconds / 3600) if seconds > 0 else None
