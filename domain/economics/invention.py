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

from collections.abc import Iterable

from domain.catalog.industry import NPC_STATION, job_quantity, material_modifier
from domain.catalog.invention import Invention, InventionOption
from domain.catalog.model import ActivityKind, Material
from domain.economics.item_economics import Figure, combine, price_figure, total_of
from domain.economics.job_cost import priced_job
from domain.economics.market import SELL, MarketData, Missing, PriceChoice, Value
from domain.economics.settings import JobSite


class InventionCosts(Value, frozen=True):
    """One option's costs in one region, each as of the oldest price behind it."""

    decryptor_type_id: int | None
    per_attempt: Figure
    per_copy: Figure
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

    consumed = [bought(m.type_id, m.quantity) for m in option.materials if m.type_id != invention.blueprint_id]
    per_attempt = total_of(
        [
            *consumed,
            job(ActivityKind.INVENTION, invention.invented_materials, 1),
            job(ActivityKind.COPYING, invention.copied_materials, 1),
        ]
    )
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
        per_unit=combine(lambda copy, build: (copy + build) / units if units > 0 else None, per_copy, building),
        missing=tuple(dict.fromkeys(missing)),
        approximate=tuple(dict.fromkeys(approximate)),
    )


def cheapest(costs: Iterable[InventionCosts]) -> InventionCosts | None:
    """The option with the lowest known cost per unit; None where no option's is known."""
    known = [(cost.per_unit.value, cost) for cost in costs if cost.per_unit.value is not None]
    return min(known, key=lambda pair: pair[0])[1] if known else None
