"""Make or buy: the cheapest way to get every intermediate of a product at current prices.

The question is linear: making x units of an item costs x × (its inputs' unit costs + job cost per
unit), buying costs x × the price. Per-job rounding and whole runs cannot be seen by a linear
model; they are second-order, and ``item_economics`` prices the chosen plan exactly on the
catalog's bill of materials. Per run, an input is ``max(1, base × ME/structure/rig modifier)``,
the game's rule without the per-job ceiling.

Where each recipe makes one item and nothing loops (EVE's usual tree, shared inputs allowed), a
bottom-up pass decides each item once: its unit cost is the cheaper of its price and its best
recipe. Where a recipe has byproducts, or recipes loop, choices interact, and the plan is a
linear program (``scipy.optimize.linprog``, HiGHS): recipe runs and purchases ≥ 0, every item's
supply ≥ its use + demand, minimising job costs + purchases. Surplus (byproducts nobody uses) is
reported as waste and not credited: crediting it would let a profitable recipe run without bound.
On trees both give the same answer; the tests check that.

An option that cannot be priced (no market price, no adjusted price, no cost index) is not chosen,
and what was missing is listed.

The Tech II copy of an invented item (given its ``InventionChoice``) is an input like any other,
counted in copy runs, one per manufacturing run: made by invention at the choice's all-in cost
per run (what an attempt consumes and its invention and copying jobs, × attempts expected, over
the copy's runs; ``domain/economics/invention.py``), or bought at the blueprint's price (the
market's, or the user's own quote for it in their price batches) over the runs of a copy without
a decryptor. The item's manufacturing keeps the levels it is given whichever way the copy comes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from domain.catalog.chains import BuildStep, ProductionGraph
from domain.catalog.industry import material_modifier
from domain.catalog.model import ActivityKind
from domain.economics.invention import InventionChoice
from domain.economics.job_cost import estimated_item_value, job_cost_rate
from domain.economics.market import MarketData, Missing, PricePoint, Value
from domain.economics.settings import Decision, EconomicsSettings
from domain.errors import InvalidInput, RuleViolation

_EPS = 1e-9


class MakeOrBuyPlan(Value, frozen=True):
    """The cheapest plan for ``units`` of the product, with the two simple plans it beats.
    Costs are materials bought + job costs of everything made."""

    type_id: int
    units: float
    method: str  # "tree" (bottom-up) or "lp" (linear program)
    cost: float | None  # None: no plan can be priced
    all_buy_cost: float | None  # make the product, buy each of its inputs
    all_make_cost: float | None  # make every intermediate with its default recipe
    saving_vs_all_buy: float | None
    saving_vs_all_make: float | None
    decisions: dict[int, Decision]  # every intermediate the plan uses
    recipes: dict[int, int]  # item made -> the recipe making it
    made: dict[int, float]  # units made
    bought: dict[int, float]  # units bought
    surplus: dict[int, float]  # units made beyond use (byproducts), not credited
    unit_costs: dict[int, float]  # cheapest cost of one unit of each item reached
    prices: dict[int, float]  # what buying one unit costs, for items reached with a price (a Tech II copy: one run)
    as_of: datetime | None  # oldest observation behind ``cost``
    missing: tuple[Missing, ...] = ()


@dataclass
class _Recipe:
    recipe_id: int
    kind: ActivityKind
    outputs: dict[int, int]  # units per run
    inputs: dict[int, float]  # units per run, ME applied
    job: float | None  # job cost per run; None where it cannot be priced
    as_of: datetime | None


@dataclass
class _Model:
    root: int
    demand: float
    recipes: list[_Recipe]
    makers: dict[int, list[int]]  # item -> recipes that output it
    prices: dict[int, PricePoint]  # items that can be bought
    items: set[int]  # every item reached
    intermediates: set[int]  # items a recipe could make, other than the root
    default: dict[int, int]  # item -> its default recipe (the caller's choice, else the catalog's)
    copies: dict[int, InventionChoice] = field(default_factory=dict)  # Tech II blueprint -> its invention
    missing: list[Missing] = field(default_factory=list)


@dataclass
class _Plan:
    cost: float | None
    made: dict[int, float]
    bought: dict[int, float]
    runs: dict[int, float]  # recipe index -> runs
    surplus: dict[int, float]
    as_of: datetime | None


def make_or_buy(
    graph: ProductionGraph,
    type_id: int,
    market: MarketData,
    settings: EconomicsSettings,
    method: str = "auto",
    inventions: Mapping[int, InventionChoice] | None = None,
) -> MakeOrBuyPlan:
    """The cheapest make-or-buy plan for ``settings.runs`` runs of ``type_id``. The user's plan
    (``settings.plan``) is respected; ``method``: "auto" (tree where it is one, else LP), "tree" or
    "lp". ``inventions`` (invented item -> its choice) makes those items' Tech II copies a choice
    too; without, the copies are taken as held."""
    if method not in ("auto", "tree", "lp"):
        raise InvalidInput("method must be auto, tree or lp", "method")
    model = _build(graph, type_id, market, settings, inventions or {})
    forced = settings.plan
    chosen: _Plan | None = None
    unit_costs: dict[int, float] = {}
    used = "lp"
    if method != "lp":
        tree = _tree_choices(model, forced)
        if tree is None:
            if method == "tree":
                raise RuleViolation("the chain has byproducts or loops: only the LP can plan it", "method")
        else:
            choice, unit_costs = tree[0], dict(sorted(tree[1].items()))
            chosen, used = _evaluate(model, lambda item: choice.get(item)), "tree"
    root_default = model.default.get(model.root)
    if chosen is None:
        chosen, unit_costs = _solve_lp(
            model,
            lambda r: not all(forced.get(item) is Decision.BUY for item in model.recipes[r].outputs),
            lambda item: forced.get(item) is not Decision.MAKE,
        )
        # the simple plans as LPs too, so byproducts are shared within them as well
        defaults = set(model.default.values())
        all_buy = _solve_lp(model, lambda r: r == root_default, lambda item: True)[0]
        all_make = _solve_lp(model, defaults.__contains__, lambda item: item not in model.default)[0]
    else:
        all_buy = _evaluate(model, lambda item: root_default if item == model.root else None)
        all_make = _evaluate(model, model.default.get)
    recipes = {
        item: model.recipes[max(makers, key=lambda r: chosen.runs.get(r, 0.0))].recipe_id
        for item, makers in model.makers.items()
        if chosen.made.get(item, 0.0) > _EPS
    }
    decisions = {
        item: Decision.MAKE if chosen.made.get(item, 0.0) >= chosen.bought.get(item, 0.0) else Decision.BUY
        for item in model.intermediates
        if chosen.made.get(item, 0.0) + chosen.bought.get(item, 0.0) > _EPS
    }
    return MakeOrBuyPlan(
        type_id=type_id,
        units=model.demand,
        method=used,
        cost=chosen.cost,
        all_buy_cost=all_buy.cost,
        all_make_cost=all_make.cost,
        saving_vs_all_buy=_saving(all_buy.cost, chosen.cost),
        saving_vs_all_make=_saving(all_make.cost, chosen.cost),
        decisions=decisions,
        recipes=recipes,
        made=chosen.made,
        bought=chosen.bought,
        surplus=chosen.surplus,
        unit_costs=unit_costs,
        prices={item: price.price for item, price in sorted(model.prices.items())},
        as_of=chosen.as_of if chosen.cost is not None else None,
        missing=tuple(model.missing),
    )


def _saving(baseline: float | None, best: float | None) -> float | None:
    return None if baseline is None or best is None else baseline - best


def _build(
    graph: ProductionGraph,
    root: int,
    market: MarketData,
    settings: EconomicsSettings,
    inventions: Mapping[int, InventionChoice],
) -> _Model:
    """Every recipe that could take part, with its per-run inputs, outputs and job cost."""
    root_step = graph.step(root, settings.recipes)
    if root_step is None:
        raise RuleViolation(f"type {root} has no recipe that builds it", "type_id")
    outputs_of: dict[tuple[int, ActivityKind], dict[int, int]] = {}
    for product in graph.products():
        for step in graph.alternatives(product):
            outputs_of.setdefault((step.recipe_id, step.kind), {})[product] = step.units_per_run
    model = _Model(
        root=root,
        demand=float(settings.runs * root_step.units_per_run),
        recipes=[],
        makers={},
        prices={},
        items=set(),
        intermediates=set(),
        default={},
        copies={choice.blueprint_type_id: choice for choice in inventions.values()},
    )
    index: dict[tuple[int, ActivityKind], int] = {}
    seen = {root}
    stack = [root]
    while stack:
        item = stack.pop()
        steps = graph.alternatives(item)
        if steps and item != root:
            model.intermediates.add(item)
        if item != root:
            price = market.price(item, settings.input_choice(item))
            if isinstance(price, Missing):
                model.missing.append(price)
            elif item in model.copies:  # a copy's price, per run
                runs = model.copies[item].base_runs_per_copy
                model.prices[item] = msgspec.structs.replace(price, price=price.price / runs)
            else:
                model.prices[item] = price
        pinned = settings.recipes.get(item)
        for step in steps:
            if pinned is not None and step.recipe_id != pinned:
                continue
            if not (step.kind.builds or (step.invents and item in model.copies)):
                continue  # copying, or an invention the caller did not price: not a choice here
            key = (step.recipe_id, step.kind)
            if key not in index:
                index[key] = len(model.recipes)
                if step.invents:
                    recipe = _invention_recipe(step, model.copies[item])
                    model.missing.extend(model.copies[item].missing)
                else:
                    recipe = _recipe(step, outputs_of[key], market, settings, model, inventions)
                model.recipes.append(recipe)
            model.makers.setdefault(item, []).append(index[key])
            for other in (*model.recipes[index[key]].outputs, *model.recipes[index[key]].inputs):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        default = graph.step(item, settings.recipes)
        if default is not None and (default.recipe_id, default.kind) in index:
            model.default[item] = index[(default.recipe_id, default.kind)]
    model.items = seen
    return model


def _recipe(
    step: BuildStep,
    outputs: dict[int, int],
    market: MarketData,
    settings: EconomicsSettings,
    model: _Model,
    inventions: Mapping[int, InventionChoice],
) -> _Recipe:
    """A recipe's settings, site and job cost are those of the item it was found building. An
    invented item's manufacturing takes a run of its Tech II copy per run (no ME on it)."""
    kind = step.kind
    step_settings = settings.step_for(step.product_type_id)
    modifier = material_modifier(step_settings.me, step_settings.facility, reaction=kind is ActivityKind.REACTION)
    inputs: dict[int, float] = {}
    for material in step.materials:
        inputs[material.type_id] = inputs.get(material.type_id, 0.0) + max(1.0, material.quantity * modifier)
    if step.blueprint_copy is not None and step.product_type_id in inventions:
        inputs[step.blueprint_copy] = inputs.get(step.blueprint_copy, 0.0) + 1.0
    eiv = estimated_item_value(step.materials, 1, market)
    model.missing.extend(eiv.missing)
    site = settings.site_for(step.product_type_id)
    index = market.cost_index(site.solar_system_id, kind)
    if index is None:
        model.missing.append(
            Missing(what="cost_index", id=site.solar_system_id, reason=f"no {kind.value} cost index for the system")
        )
    job: float | None = None
    as_of = eiv.as_of
    if eiv.value is not None and index is not None:
        job = eiv.value * job_cost_rate(index.cost_index, site.rates)
        as_of = index.observed_at if as_of is None else min(as_of, index.observed_at)
    return _Recipe(step.recipe_id, kind, dict(outputs), inputs, job, as_of)


def _invention_recipe(step: BuildStep, choice: InventionChoice) -> _Recipe:
    """Inventing a Tech II copy, per copy run: everything it takes (datacores, decryptor, the
    invention and copying jobs) priced into one all-in cost, as ``InventionChoice`` has it."""
    cost = choice.cost_per_run
    return _Recipe(step.recipe_id, step.kind, {choice.blueprint_type_id: 1}, {}, cost.value, cost.as_of)


def _tree_choices(
    model: _Model, forced: Mapping[int, Decision]
) -> tuple[dict[int, int | None], dict[int, float]] | None:
    """Bottom-up: each item's cheapest unit cost and how (a recipe index, or None to buy). None
    when a recipe has byproducts or recipes loop: then choices interact and only the LP is right."""
    if any(len(recipe.outputs) > 1 for recipe in model.recipes):
        return None
    unit: dict[int, float] = {}
    choice: dict[int, int | None] = {}
    state: dict[int, int] = {}  # 1 = on the path, 2 = done
    stack: list[tuple[int, list[int]]] = [(model.root, _children(model, model.root))]
    state[model.root] = 1
    while stack:
        item, children = stack[-1]
        if children:
            child = children.pop()
            if state.get(child) == 1:
                return None  # a loop
            if child not in state:
                state[child] = 1
                stack.append((child, _children(model, child)))
            continue
        stack.pop()
        state[item] = 2
        best: tuple[float, int | None] | None = None
        price = model.prices.get(item)
        if price is not None and item != model.root and forced.get(item) is not Decision.MAKE:
            best = (price.price, None)
        if forced.get(item) is not Decision.BUY or item == model.root:
            for r in model.makers.get(item, ()):
                recipe = model.recipes[r]
                if recipe.job is None or any(j not in unit for j in recipe.inputs):
                    continue
                per_unit = (recipe.job + sum(q * unit[j] for j, q in recipe.inputs.items())) / recipe.outputs[item]
                if best is None or per_unit < best[0] - _EPS * max(1.0, abs(best[0])):
                    best = (per_unit, r)
        if best is not None:
            unit[item], choice[item] = best
    return choice, unit


def _children(model: _Model, item: int) -> list[int]:
    return sorted({j for r in model.makers.get(item, ()) for j in model.recipes[r].inputs})


def _evaluate(model: _Model, policy: Callable[[int], int | None]) -> _Plan:
    """Cost of a fixed plan: items ``policy`` gives a recipe are made with it, others bought.
    Byproducts of a fixed plan are not used elsewhere in it; they count as surplus."""
    order: list[int] = []
    state: dict[int, int] = {}
    stack: list[tuple[int, list[int]]] = []

    def enter(item: int) -> None:
        state[item] = 1
        r = policy(item)
        stack.append((item, sorted(model.recipes[r].inputs) if r is not None else []))

    if policy(model.root) is None:
        return _Plan(None, {}, {}, {}, {}, None)  # the product itself cannot be made at a known cost
    enter(model.root)
    while stack:
        item, children = stack[-1]
        if children:
            child = children.pop()
            if state.get(child) == 1:
                return _Plan(None, {}, {}, {}, {}, None)  # the plan loops
            if child not in state:
                enter(child)
            continue
        stack.pop()
        state[item] = 2
        order.append(item)
    need: dict[int, float] = {model.root: model.demand}
    plan = _Plan(0.0, {}, {}, {}, {}, None)
    supplied: dict[int, float] = {}
    for item in reversed(order):  # every user before what it uses
        amount = need.get(item, 0.0)
        r = policy(item)
        if r is None:
            plan.bought[item] = amount
            supplied[item] = supplied.get(item, 0.0) + amount
            price = model.prices.get(item)
            plan.cost = None if price is None or plan.cost is None else plan.cost + amount * price.price
            plan.as_of = _oldest(plan.as_of, price.observed_at if price else None)
            continue
        recipe = model.recipes[r]
        runs = amount / recipe.outputs[item]
        plan.runs[r] = plan.runs.get(r, 0.0) + runs
        for output, units in recipe.outputs.items():
            plan.made[output] = plan.made.get(output, 0.0) + units * runs
            supplied[output] = supplied.get(output, 0.0) + units * runs
        for j, q in recipe.inputs.items():
            need[j] = need.get(j, 0.0) + q * runs
        plan.cost = None if recipe.job is None or plan.cost is None else plan.cost + runs * recipe.job
        plan.as_of = _oldest(plan.as_of, recipe.as_of)
    plan.surplus = {
        item: extra
        for item, amount in supplied.items()
        if (extra := amount - need.get(item, 0.0)) > _EPS * max(1.0, amount)
    }
    return plan


def _solve_lp(
    model: _Model, allow_recipe: Callable[[int], bool], allow_buy: Callable[[int], bool]
) -> tuple[_Plan, dict[int, float]]:
    """min Σ job × runs + Σ price × bought, s.t. made + bought − used ≥ demand for every item,
    over the recipes and purchases allowed (recipes without a known job cost, items without a
    price never are)."""
    import numpy as np
    from scipy.optimize import linprog

    items = sorted(model.items)
    row = {item: k for k, item in enumerate(items)}
    recipe_cols = [r for r, recipe in enumerate(model.recipes) if recipe.job is not None and allow_recipe(r)]
    buy_cols = [item for item in items if item in model.prices and item != model.root and allow_buy(item)]
    matrix = np.zeros((len(items), len(recipe_cols) + len(buy_cols)))
    costs = np.zeros(len(recipe_cols) + len(buy_cols))
    for col, r in enumerate(recipe_cols):
        recipe = model.recipes[r]
        for item, units in recipe.outputs.items():
            matrix[row[item], col] += units
        for item, quantity in recipe.inputs.items():
            matrix[row[item], col] -= quantity
        costs[col] = recipe.job
    for k, item in enumerate(buy_cols):
        matrix[row[item], len(recipe_cols) + k] = 1.0
        costs[len(recipe_cols) + k] = model.prices[item].price
    demand = np.zeros(len(items))
    demand[row[model.root]] = model.demand
    result = linprog(costs, A_ub=-matrix, b_ub=-demand, bounds=(0, None), method="highs")
    if result.status != 0:
        return _Plan(None, {}, {}, {}, {}, None), {}
    plan = _Plan(float(result.fun), {}, {}, {}, {}, None)
    for col, r in enumerate(recipe_cols):
        runs = float(result.x[col])
        if runs > _EPS:
            recipe = model.recipes[r]
            plan.runs[r] = runs
            plan.as_of = _oldest(plan.as_of, recipe.as_of)
            for item, units in recipe.outputs.items():
                plan.made[item] = plan.made.get(item, 0.0) + units * runs
    for k, item in enumerate(buy_cols):
        amount = float(result.x[len(recipe_cols) + k])
        if amount > _EPS:
            plan.bought[item] = amount
            plan.as_of = _oldest(plan.as_of, model.prices[item].observed_at)
    balance = matrix @ result.x - demand
    plan.surplus = {item: float(balance[row[item]]) for item in items if balance[row[item]] > 1e-7}
    unit_costs = {item: float(-result.ineqlin.marginals[row[item]]) for item in items}
    return plan, unit_costs


def _oldest(known: datetime | None, other: datetime | None) -> datetime | None:
    if other is None:
        return known
    return other if known is None else min(known, other)
