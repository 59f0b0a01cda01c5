"""What a generated run will cost, priced with the user's market data for one region.

Each job's estimated cost is what it adds to the run: the inputs it buys (at the lowest
sell) plus its installation cost (EIV at ME 0 × (the job site's cost index × (1 − structure
bonus) + the step's facility tax + SCC surcharge [+ alpha tax]), domain.economics.job_cost).
Inputs made by another job cost nothing here, because that job is priced itself, so the
jobs' costs add up to the run's. A job whose price is missing gets no estimate, and the
missing prices are listed, never taken as 0.

Copying and invention jobs are installed on the value of what their blueprint leads to: the
EIV of one ME-0 manufacturing run of it per copy run or attempt, at the science share
(``job_cost.science_job_cost``, as ``domain.economics.invention`` prices them); their datacores
and decryptors are inputs bought like any.

The jobs that make the run's product also get their expected revenue: their output at the
product's lowest sell (what the economics' ``profitSell`` assumes), when the region has one.
The intermediates' jobs get none: their output is consumed by the run, and counting it too
would count the product's value twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec

from domain.catalog.chains import BuildStep, ProductionGraph
from domain.catalog.model import ActivityKind, Material
from domain.economics.job_cost import estimated_item_value, manufacturing_job_cost, science_job_cost
from domain.economics.market import SELL, MarketData, Missing, PricePoint
from domain.economics.settings import JobSite
from domain.industry.generation import PlannedJob
from domain.industry.jobs import JobSpec


def sell_price(market: MarketData) -> Callable[[int], float | None]:
    """An item's lowest sell in the region (what hauled goods are insured at), or None."""

    def price_of(type_id: int) -> float | None:
        point = market.price(type_id, SELL)
        return point.price if isinstance(point, PricePoint) else None

    return price_of


class RunPricing(msgspec.Struct, frozen=True, kw_only=True):
    region_id: int
    total_cost: float | None  # None when any job lacks a price
    missing: tuple[Missing, ...]


def price_job(
    job: JobSpec,
    build: BuildStep,
    market: MarketData,
    site: JobSite | None,
    leads_to: tuple[Material, ...] | None = None,
) -> tuple[float | None, list[Missing]]:
    """The job's cost: what it buys, and its installation on the EIV of its own materials (a
    copying or invention job: of ``leads_to``, the manufacturing inputs its blueprint makes)."""
    missing: list[Missing] = []
    bought = 0.0
    for material in job.materials:
        if material.source == "make":
            continue
        point = market.price(material.type_id, SELL)
        if isinstance(point, PricePoint):
            bought += point.price * material.quantity
        else:
            missing.append(point)
    if site is None:
        missing.append(Missing(what="job_site", id=0, reason="the region has no job site"))
        return None, missing
    index = market.cost_index(site.solar_system_id, job.activity)
    if index is None:
        missing.append(Missing(what="cost_index", id=site.solar_system_id, reason=f"no {job.activity.value} index"))
    science = job.activity in _SCIENCE
    eiv = estimated_item_value((leads_to or ()) if science else build.materials, job.runs, market)
    missing.extend(eiv.missing)
    if missing or eiv.value is None or index is None:
        return None, missing
    rates = msgspec.structs.replace(site.rates, facility_tax=job.facility_tax)
    price = science_job_cost if science else manufacturing_job_cost
    return round(bought + price(eiv.value, index.cost_index, rates).total, 2), []


_SCIENCE = (ActivityKind.COPYING, ActivityKind.INVENTION)


def _manufactured_with(graph: ProductionGraph, jobs: Iterable[JobSpec]) -> dict[int, tuple[Material, ...]]:
    """Per blueprint a copying or invention job makes, the ME-0 inputs of a manufacturing run
    of it (read once per run, only when it has such jobs)."""
    wanted = {job.product_type_id for job in jobs if job.activity in _SCIENCE}
    if not wanted:
        return {}
    return {
        build.recipe_id: build.materials
        for product in graph.products()
        for build in graph.alternatives(product)
        if build.kind is ActivityKind.MANUFACTURING and build.recipe_id in wanted
    }


def expected_revenue(job: JobSpec, market: MarketData) -> float | None:
    """The job's output at its product's lowest sell in the region; None without one."""
    point = market.price(job.product_type_id, SELL)
    return round(job.expected_output * point.price, 2) if isinstance(point, PricePoint) else None


def price_jobs(
    jobs: Iterable[PlannedJob],
    graph: ProductionGraph,
    region_id: int,
    market: MarketData,
    site: JobSite | None,
    product_type_id: int,
) -> tuple[list[PlannedJob], RunPricing]:
    """The jobs with their estimated costs (and, those making ``product_type_id``, their expected
    revenue), and the run's total cost (or what was missing)."""
    priced: list[PlannedJob] = []
    missing: list[Missing] = []
    total: float | None = 0.0
    jobs = list(jobs)
    leads_to = _manufactured_with(graph, (job.spec for job in jobs))
    for job in jobs:
        spec, lacking = priced_spec(
            job.spec, graph, market, site, job.spec.product_type_id == product_type_id, leads_to
        )
        priced.append(msgspec.structs.replace(job, spec=spec))
        missing.extend(lack for lack in lacking if lack not in missing)
        total = None if spec.total_cost is None or total is None else total + spec.total_cost
    return priced, RunPricing(
        region_id=region_id, total_cost=round(total, 2) if total is not None else None, missing=tuple(missing)
    )


def priced_spec(
    job: JobSpec,
    graph: ProductionGraph,
    market: MarketData,
    site: JobSite | None,
    sold: bool,
    leads_to: dict[int, tuple[Material, ...]] | None = None,
) -> tuple[JobSpec, list[Missing]]:
    """The job with its estimated cost and, if its output is ``sold``, its expected revenue;
    and the prices its cost lacked. ``leads_to``: per blueprint copied or invented, the inputs
    of a manufacturing run of it (``_manufactured_with``)."""
    builds = [b for b in graph.alternatives(job.product_type_id) if b.recipe_id == job.blueprint_type_id]
    build = next((b for b in builds if b.kind is job.activity), builds[0])
    if leads_to is None:
        leads_to = _manufactured_with(graph, [job])
    cost, missing = price_job(job, build, market, site, leads_to.get(job.product_type_id, ()))
    revenue = expected_revenue(job, market) if sold else None
    return msgspec.structs.replace(job, total_cost=cost, expected_revenue=revenue), missing
