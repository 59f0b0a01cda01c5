"""What installing an industry job costs, term by term.

    job cost = base × (system cost index × (1 − structure cost bonus) + facility tax + SCC surcharge
               + alpha clone tax where the installer is an alpha clone)

The taxes are added to the index term, each a share of the base: not ``fee × (1 + tax)``, a
mistake public tools made. The base is the estimated item value (EIV): Σ over the recipe's inputs
of the ME-0 base quantity × the game's adjusted price, × runs; ME, structures and rigs never
change it. Invention and copying are priced on 2% of the EIV of manufacturing the product they
lead to (the T2 item for invention, the blueprint's own product for copying), × runs.

Sources (checked 2026): EVE University wiki "Manufacturing", section "Total job cost"
(wiki.eveuniversity.org/Manufacturing: the formula above, EIV from ESI /markets/prices/ adjusted
prices, NPC facility tax 0.25%, alpha clone tax 0.25%; it cites CCP's Viridian expansion notes,
"Tax reforms"); EVE Ref's Industry Cost API (docs.everef.net/api/industry-cost.html and its
source, autonomouslogic/eve-ref ``IndustryConstants.SCC_SURCHARGE_RATE = 0.04``,
``IndustryMath``, ``CopyingCalculator``): its worked examples show every term, the SCC surcharge
at 4% of the base, taxes on the 2% base for invention and copying, structure bonuses multiplying
the index term; the EVE University "Research" page and the EVE Online forum thread "Job cost of
invention and copy" (forums.eveonline.com/t/260821) for the 2% rule on the product's ME-0 EIV.
The surcharge has moved before (the wiki's 2023 revision says 1.5%; EVE Ref and current tools
use 4%; one calculator reports a 2025 cut for research jobs only), and CCP's patch note for 4% was
not found in the sources at hand: every rate is therefore a setting in ``CostRates``. Other
multiplicative cost bonuses (rigs, faction warfare) fold into ``structure_cost_bonus`` as
1 − Π(1 − bonus). Terms are not rounded; the game and EVE Ref show whole ISK per term.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.catalog.model import ActivityKind, Material
from domain.economics.market import MarketData, Missing, Value
from domain.errors import InvalidInput


class CostRates(Value, frozen=True):
    """Every rate of a job's cost, as fractions (0.04 = 4%)."""

    scc_surcharge: float = 0.04
    facility_tax: float = 0.0025  # NPC stations; a structure's owner sets its own
    structure_cost_bonus: float = 0.0  # Raitaru 0.03, Azbel 0.04, Sotiyo 0.05
    alpha: bool = False  # the alpha clone tax applies only to alpha clones
    alpha_tax: float = 0.0025
    science_base_share: float = 0.02  # invention and copying: share of the product's EIV

    def __post_init__(self) -> None:
        for field, shown in (
            ("scc_surcharge", "sccSurcharge"),
            ("facility_tax", "facilityTax"),
            ("alpha_tax", "alphaTax"),
            ("science_base_share", "scienceBaseShare"),
        ):
            if getattr(self, field) < 0:
                raise InvalidInput(f"{shown} must not be negative", field)
        if not 0 <= self.structure_cost_bonus <= 1:
            raise InvalidInput("structure cost bonus must be between 0 and 1", "structure_cost_bonus")


NPC_RATES = CostRates()


class JobCost(Value, frozen=True):
    """One job's cost with every term shown, so a user can check it against the game's window."""

    estimated_item_value: float
    base: float  # the EIV for manufacturing and reactions; its 2% share for invention and copying
    cost_index: float
    system_cost: float  # base × index
    structure_bonus: float  # −base × index × structure cost bonus
    facility_tax: float
    scc_surcharge: float
    alpha_tax: float
    total: float


class Eiv(Value, frozen=True):
    """An EIV with the oldest adjusted price behind it, or the items whose adjusted price is missing."""

    value: float | None
    as_of: datetime | None
    missing: tuple[Missing, ...] = ()


def estimated_item_value(materials: Iterable[Material], runs: int, market: MarketData) -> Eiv:
    """Σ ME-0 base quantity × adjusted price, × runs."""
    total = 0.0
    oldest: datetime | None = None
    missing: list[Missing] = []
    for material in materials:
        adjusted = market.adjusted(material.type_id)
        if adjusted is None:
            missing.append(Missing(what="adjusted_price", id=material.type_id, reason="no adjusted price"))
            continue
        total += material.quantity * adjusted.adjusted_price
        oldest = adjusted.observed_at if oldest is None else min(oldest, adjusted.observed_at)
    if missing:
        return Eiv(value=None, as_of=None, missing=tuple(missing))
    return Eiv(value=total * runs, as_of=oldest)


def manufacturing_job_cost(eiv: float, cost_index: float, rates: CostRates = NPC_RATES) -> JobCost:
    """A manufacturing or reaction job: every term is a share of the EIV itself."""
    return _job_cost(eiv, eiv, cost_index, rates)


def science_job_cost(product_eiv: float, cost_index: float, rates: CostRates = NPC_RATES) -> JobCost:
    """An invention or copying job. ``product_eiv``: the ME-0 EIV of manufacturing the product the
    blueprint leads to, × the job's runs (invention attempts, or copies × runs per copy)."""
    return _job_cost(product_eiv, product_eiv * rates.science_base_share, cost_index, rates)


class PricedJob(Value, frozen=True):
    """A job's cost where it is installed, as of the oldest price behind it; None where an
    adjusted price or the cost index is missing."""

    cost: JobCost | None = None
    as_of: datetime | None = None


_SCIENCE = (ActivityKind.INVENTION, ActivityKind.COPYING)


def priced_job(
    activity: ActivityKind,
    product_materials: Iterable[Material],
    runs: int,
    market: MarketData,
    solar_system_id: int,
    rates: CostRates,
    missing: list[Missing],
) -> PricedJob:
    """A manufacturing, reaction, invention or copying job of ``runs`` runs in ``solar_system_id``:
    its EIV from ``product_materials`` (the ME-0 manufacturing inputs per run of what the job's
    blueprint leads to) and the system's cost index for ``activity``. What is missing is added
    to ``missing``."""
    materials = tuple(product_materials)
    eiv = estimated_item_value(materials, runs, market)
    missing.extend(eiv.missing)
    index = market.cost_index(solar_system_id, activity)
    if index is None:
        missing.append(Missing(what="cost_index", id=solar_system_id, reason=f"no {activity.value} cost index"))
    if eiv.value is None or index is None:
        return PricedJob()
    price = science_job_cost if activity in _SCIENCE else manufacturing_job_cost
    as_of = index.observed_at if eiv.as_of is None else min(eiv.as_of, index.observed_at)
    return PricedJob(cost=price(eiv.value, index.cost_index, rates), as_of=as_of)


def _job_cost(eiv: float, base: float, cost_index: float, rates: CostRates) -> JobCost:
    if cost_index < 0:
        raise InvalidInput("cost index must not be negative", "cost_index")
    system_cost = base * cost_index
    structure_bonus = 0.0 - system_cost * rates.structure_cost_bonus  # 0.0 rather than -0.0
    facility_tax = base * rates.facility_tax
    scc_surcharge = base * rates.scc_surcharge
    alpha_tax = base * rates.alpha_tax if rates.alpha else 0.0
    return JobCost(
        estimated_item_value=eiv,
        base=base,
        cost_index=cost_index,
        system_cost=system_cost,
        structure_bonus=structure_bonus,
        facility_tax=facility_tax,
        scc_surcharge=scc_surcharge,
        alpha_tax=alpha_tax,
        total=system_cost + structure_bonus + facility_tax + scc_surcharge + alpha_tax,
    )


def job_cost_rate(cost_index: float, rates: CostRates = NPC_RATES) -> float:
    """Manufacturing job cost per ISK of EIV: the bracket of the formula, for linear models."""
    return (
        cost_index * (1 - rates.structure_cost_bonus)
        + rates.facility_tax
        + rates.scc_surcharge
        + (rates.alpha_tax if rates.alpha else 0.0)
    )
