"""What inventing a Tech II item costs in one region, for one option (no decryptor, or one):

    per attempt = what the attempt consumes, bought (the datacores and the decryptor)
                  + the invention job, valued on one run of the Tech II item's manufacturing
                  + the copying job of the single-run Tech I copy the attempt consumes, valued
                    on one run of the Tech I item's manufacturing
    per copy    = per attempt × attempts expected (1 / chance)
    per unit    = (per copy + building what the copy makes: its runs as one manufacturing job,
                   inputs at the copy's ME rounded per job, bought, and that job's cost)
                  / the units those runs make

The mechanics (chance, runs, ME, what an attempt consumes) are ``domain/catalog/invention.py``'s;
jobs are priced by ``job_cost.priced_job`` (invention and copying on 2% of the EIV, with its
sources), the inputs per job by ``industry.job_quantity`` at an NPC station. A missing price makes
every figure that needs it unknown and is listed in ``missing``: never read as 0.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping

from domain.catalog.industry import NPC_STATION, job_quantity, material_modifier
from domain.catalog.invention import Invention, InventionOption, InventionSkills, invention_options
from domain.catalog.model import ActivityKind, Decryptor, Material
from domain.economics.figures import Figure, combine, price_figure, total_of
from domain.economics.job_cost import priced_job
from domain.economics.market import SELL, MarketData, Missing, PriceChoice, Value
from domain.economics.settings import JobSite


class InventionCosts(Value, frozen=True):
    """One option's costs in one region, each as of the oldest price behind it."""

    decryptor_type_id: int | None
    per_attempt: Figure
    per_copy: Figure
    consumed_per_attempt: Figure  # of ``per_attempt``: the datacores and the decryptor, bought
    jobs_per_attempt: Figure  # of ``per_attempt``: the invention and copying jobs
    per_unit: Figure  # of the Tech II item, the copy and its manufacturing included
    missing: tuple[Missing, ...] = ()
    approximate: tuple[int, ...] = ()  # items priced at the lowest sell for want of order-book depth


def invention_costs(
    invention: Invention,
    option: InventionOption,
    market: MarketData,
    site: JobSite,
    input_price: PriceChoice = SELL,
) -> InventionCosts:
    missing: list[Missing] = []
    approximate: list[int] = []

    def bought(type_id: int, quantity: int) -> Figure:
        price = price_figure(market.price(type_id, input_price), missing, approximate, type_id)
        return combine(lambda unit: unit * quantity, price)

    def job(activity: ActivityKind, product_materials: tuple[Material, ...], runs: int) -> Figure:
        priced = priced_job(activity, product_materials, runs, market, site.solar_system_id, site.rates, missing)
        return Figure(value=priced.cost.total if priced.cost else None, as_of=priced.as_of)

    consumed = total_of(bought(m.type_id, m.quantity) for m in option.materials if m.type_id != invention.blueprint_id)
    jobs = total_of(
        [
            job(ActivityKind.INVENTION, invention.invented_materials, 1),
            job(ActivityKind.COPYING, invention.copied_materials, 1),
        ]
    )
    per_attempt = combine(operator.add, consumed, jobs)
    per_copy = combine(lambda cost: cost * option.attempts_expected, per_attempt)
    runs = option.runs_per_copy
    modifier = material_modifier(option.me, NPC_STATION)
    building = total_of(
        [
            *(bought(m.type_id, job_quantity(m.quantity, runs, modifier)) for m in invention.invented_materials),
            job(ActivityKind.MANUFACTURING, invention.invented_materials, runs),
        ]
    )
    units = runs * invention.units_per_run
    return InventionCosts(
        decryptor_type_id=option.decryptor_type_id,
        per_attempt=per_attempt,
        per_copy=per_copy,
        consumed_per_attempt=consumed,
        jobs_per_attempt=jobs,
        per_unit=combine(lambda copy, build: (copy + build) / units if units > 0 else None, per_copy, building),
        missing=tuple(dict.fromkeys(missing)),
        approximate=tuple(dict.fromkeys(approximate)),
    )


def cheapest(costs: Iterable[InventionCosts]) -> InventionCosts | None:
    """The option with the lowest known cost per unit; None where no option's is known."""
    known = [(cost.per_unit.value, cost) for cost in costs if cost.per_unit.value is not None]
    return min(known, key=lambda pair: pair[0])[1] if known else None


class InventionChoice(Value, frozen=True):
    """How an economics row counts an invented item's Tech II copy in one region: the option
    chosen (skills V, attempts on expected value, the decryptor or none whose cost per unit is
    lowest, as ``cheapest``) and what one run of its copy costs, split as the row splits its
    figures. A copy run serves one manufacturing run of the item."""

    type_id: int  # the invented item
    blueprint_type_id: int  # the Tech II blueprint whose copy's runs its manufacturing takes
    decryptor_type_id: int | None
    probability: float
    attempts_expected: float  # 1 / probability
    runs_per_copy: int
    me: int  # the invented copy's levels, which its manufacturing runs at
    te: int
    units_per_run: int  # units of the item a manufacturing run makes
    base_runs_per_copy: int  # runs of a copy without a decryptor: what a bought copy is taken to hold
    consumed_per_run: Figure  # datacores and decryptor per copy run: per attempt × attempts / runs
    jobs_per_run: Figure  # invention and copying jobs per copy run
    missing: tuple[Missing, ...] = ()
    approximate: tuple[int, ...] = ()

    @property
    def cost_per_run(self) -> Figure:
        return combine(operator.add, self.consumed_per_run, self.jobs_per_run)


def choose_invention(
    invention: Invention,
    decryptors: Mapping[int, Decryptor],
    market: MarketData,
    site: JobSite,
    input_price: PriceChoice = SELL,
) -> InventionChoice:
    """The option an economics row invents with: at skills V and on expected value, the one
    with the lowest known cost per unit (``cheapest``, as ``GET /v1/production/invention``
    names ``best``), else, where none can be priced, no decryptor, its missing prices said.
    Per copy run: ``per attempt × (1 / chance) / runs per copy``, split into what an attempt
    consumes and its jobs."""
    options = invention_options(invention, decryptors, InventionSkills(), _ANY_CONFIDENCE)
    costs = [invention_costs(invention, option, market, site, input_price) for option in options]
    best = cheapest(costs) or costs[0]
    option = options[costs.index(best)]

    def per_run(per_attempt: Figure) -> Figure:
        return combine(lambda cost: cost * option.attempts_expected / option.runs_per_copy, per_attempt)

    return InventionChoice(
        type_id=invention.product_type_id,
        blueprint_type_id=invention.invented_blueprint_id,
        decryptor_type_id=option.decryptor_type_id,
        probability=option.probability,
        attempts_expected=option.attempts_expected,
        runs_per_copy=option.runs_per_copy,
        me=option.me,
        te=option.te,
        units_per_run=invention.units_per_run,
        base_runs_per_copy=max(invention.base_runs, 1),
        consumed_per_run=per_run(best.consumed_per_attempt),
        jobs_per_run=per_run(best.jobs_per_attempt),
        missing=best.missing,
        approximate=best.approximate,
    )


_ANY_CONFIDENCE = 0.95  # the options need one for their attempts at a confidence; rows use the expectation
