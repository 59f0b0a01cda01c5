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

An invented item made in the chain takes one run of its Tech II copy per manufacturing run
(``BuildStep.blueprint_copy``), given its ``InventionChoice``: invented (what an attempt consumes
to the material cost, the invention and copying jobs to the job cost, over the attempts expected
and the copy's runs) or bought (the blueprint's price over a copy's runs); ``copies`` lists
them. Job costs stay on each step's ``materials``, which never include the copy. ``chain_time``
counts manufacturing and reaction jobs only: invention and copying run in science slots.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from datetime import datetime

import msgspec

from domain.catalog.chains import BillOfMaterials, ProductionGraph
from domain.catalog.model import ActivityKind
from domain.economics.figures import UNKNOWN, Figure, combine, price_figure, total_of
from domain.economics.invention import InventionChoice
from domain.economics.job_cost import JobCost, priced_job
from domain.economics.make_or_buy import MakeOrBuyPlan, make_or_buy
from domain.economics.market import MarketData, Missing, Value
from domain.economics.settings import Decision, EconomicsSettings, Strategy


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


class CopyLine(Value, frozen=True):
    """The Tech II copy runs an invented item's manufacturing takes (one per run), made by
    invention or bought, and what they add to the row: what invention consumes (or the bought
    copy) to the material cost, the invention and copying jobs to the job cost."""

    type_id: int  # the invented item
    blueprint_type_id: int  # its Tech II blueprint
    decision: Decision  # make: invent the copies; buy: buy them
    runs: int  # copy runs: the item's manufacturing runs
    decryptor_type_id: int | None  # invented with this decryptor (None: none, or bought)
    probability: float | None  # of an attempt (None: bought)
    runs_per_copy: int
    me: int  # the invented copy's levels (bought copies are taken to have the same)
    te: int
    cost_per_run: Figure  # one copy run: a copy's cost / its runs
    cost_per_unit: Figure  # per unit of the item: cost_per_run / units a manufacturing run makes
    material_cost: Figure
    job_cost: Figure


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
    copies: tuple[CopyLine, ...] = ()  # the Tech II copies of invented items made, the product's first


class Build(msgspec.Struct, frozen=True):
    """What is made and bought, and how much: the bill of materials with the recipe of each item
    made. Prices play no part in it unless the strategy is CHEAPEST, so one build serves every
    region."""

    bom: BillOfMaterials
    choices: dict[int, int]
    plan: MakeOrBuyPlan | None
    copies_bought: frozenset[int] = frozenset()  # Tech II blueprints whose copies are bought, not invented


def build_for(
    graph: ProductionGraph,
    type_id: int,
    market: MarketData,
    settings: EconomicsSettings,
    inventions: Mapping[int, InventionChoice] | None = None,
) -> Build:
    """The build ``item_economics`` prices; ``market`` is read only with Strategy.CHEAPEST.
    ``inventions`` (invented item -> how its copy is invented) puts the Tech II copies of those
    items in the build, to invent or buy; without, the copies are taken as held."""
    bought, choices, plan = _decide(graph, type_id, market, settings, inventions or {})
    bom = graph.bill_of_materials(
        type_id,
        settings.runs,
        default=settings.step,
        overrides=settings.step_overrides,
        bought=frozenset(bought),
        choices=choices,
    )
    return Build(bom, choices, plan, frozenset(bought & graph.invented_blueprints()))


def item_economics(
    graph: ProductionGraph,
    type_id: int,
    market: MarketData,
    settings: EconomicsSettings,
    build: Build | None = None,
    inventions: Mapping[int, InventionChoice] | None = None,
) -> ItemEconomics:
    """Costs, prices, profit, ROI and time for ``settings.runs`` runs of ``type_id``; ``build``
    (from ``build_for`` with the same settings and inventions) saves working it out again for
    another region. An invented item in ``inventions`` takes a Tech II copy run per manufacturing
    run, invented as its choice says (or bought where the build buys it): see ``CopyLine``."""
    inventions = inventions or {}
    build = build or build_for(graph, type_id, market, settings, inventions)
    bom, choices, plan = build.bom, build.choices, build.plan
    missing: list[Missing] = []
    approximate: list[int] = []
    materials = _materials(bom, market, settings, missing, approximate)
    jobs = _jobs(graph, bom, choices, market, settings, missing)
    copies = _copies(graph, build, inventions, market, settings, missing, approximate)
    material_cost = total_of([*(line.cost for line in materials), *(line.material_cost for line in copies)])
    job_cost = total_of(
        [
            *(Figure(value=line.cost.total if line.cost else None, as_of=line.as_of) for line in jobs),
            *(line.job_cost for line in copies),
        ]
    )
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
            **{line.blueprint_type_id: line.decision for line in copies},
        },
        materials=materials,
        jobs=jobs,
        leftovers={line.type_id: line.leftover for line in bom.steps if line.leftover},
        missing=tuple(dict.fromkeys(missing)),
        approximate=tuple(dict.fromkeys(approximate)),
        plan=plan,
        copies=copies,
    )


def _decide(
    graph: ProductionGraph,
    root: int,
    market: MarketData,
    settings: EconomicsSettings,
    inventions: Mapping[int, InventionChoice],
) -> tuple[set[int], dict[int, int], MakeOrBuyPlan | None]:
    """Which intermediates (and Tech II copies of ``inventions``' items) to buy, and which recipe
    makes each made item. A copy is invented unless the user's plan buys it (``plan`` naming
    its blueprint) or, with ``cheapest``, buying is cheaper: ``buy`` means the product's
    materials, and a plan without an invention step predates invention in the chains."""
    if settings.strategy is Strategy.CHEAPEST:
        plan = make_or_buy(graph, root, market, settings, inventions=inventions)
        bought = {item for item, decision in plan.decisions.items() if decision is Decision.BUY}
        return bought, {**settings.recipes, **plan.recipes}, plan
    default = Decision.BUY if settings.strategy is Strategy.BUY else Decision.MAKE
    bought = set()
    seen = {root}
    stack = [root]
    while stack:  # walk down the made items only: below a bought item nothing is decided
        made = stack.pop()
        step = graph.step(made, settings.recipes)
        copy = step.blueprint_copy if step and step.kind.builds and made in inventions else None
        if copy is not None and settings.plan.get(copy) is Decision.BUY:
            bought.add(copy)
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


def _copies(
    graph: ProductionGraph,
    build: Build,
    inventions: Mapping[int, InventionChoice],
    market: MarketData,
    settings: EconomicsSettings,
    missing: list[Missing],
    approximate: list[int],
) -> tuple[CopyLine, ...]:
    """One line per invented item made (the product's first): its copy runs invented at the
    choice's cost per run, or bought at the blueprint's price per copy over the copy's runs
    without a decryptor (the price of a copy is taken to be for a copy as invention makes it)."""
    lines = []
    for planned in sorted(build.bom.steps, key=lambda planned: planned.depth):
        step = graph.step(planned.type_id, build.choices)
        choice = inventions.get(planned.type_id)
        if step is None or step.blueprint_copy is None or not step.kind.builds or choice is None:
            continue
        if step.blueprint_copy in build.copies_bought:
            price = market.price(step.blueprint_copy, settings.input_choice(step.blueprint_copy))
            line = _bought_copy(choice, planned.runs, price_figure(price, missing, approximate, step.blueprint_copy))
        else:
            missing.extend(choice.missing)
            approximate.extend(choice.approximate)
            line = _invented_copy(choice, planned.runs)
        per_unit = combine(lambda cost, units=step.units_per_run: cost / units, line.cost_per_run)
        lines.append(msgspec.structs.replace(line, cost_per_unit=per_unit))
    return tuple(lines)


def _invented_copy(choice: InventionChoice, runs: int) -> CopyLine:
    return CopyLine(
        type_id=choice.type_id,
        blueprint_type_id=choice.blueprint_type_id,
        decision=Decision.MAKE,
        runs=runs,
        decryptor_type_id=choice.decryptor_type_id,
        probability=choice.probability,
        runs_per_copy=choice.runs_per_copy,
        me=choice.me,
        te=choice.te,
        cost_per_run=choice.cost_per_run,
        cost_per_unit=UNKNOWN,
        material_cost=combine(lambda cost: cost * runs, choice.consumed_per_run),
        job_cost=combine(lambda cost: cost * runs, choice.jobs_per_run),
    )


def _bought_copy(choice: InventionChoice, runs: int, price: Figure) -> CopyLine:
    per_run = combine(lambda unit: unit / choice.base_runs_per_copy, price)
    return CopyLine(
        type_id=choice.type_id,
        blueprint_type_id=choice.blueprint_type_id,
        decision=Decision.BUY,
        runs=runs,
        decryptor_type_id=None,
        probability=None,
        runs_per_copy=choice.base_runs_per_copy,
        me=choice.me,
        te=choice.te,
        cost_per_run=per_run,
        cost_per_unit=UNKNOWN,
        material_cost=combine(lambda cost: cost * runs, per_run),
        job_cost=Figure(value=0.0),
    )


def _roi(profit: float, cost: float) -> float | None:
    return profit / cost * 100 if cost > 0 else None


def _per_hour(profit: float, seconds: float) -> float | None:
    return profit / (seconds / 3600) if seconds > 0 else None
