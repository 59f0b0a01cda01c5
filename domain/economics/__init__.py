"""Production economics: what building an item costs and earns, from market data and the catalog.

Pure calculations (no I/O). ``market`` holds the market's value objects and the price choice,
``job_cost`` the game's job-cost formula, ``item_economics`` the per-item costs, profit and ROI
on the catalog's bill of materials, ``make_or_buy`` the cheapest make-or-buy plan (a linear
program through SciPy where byproducts or loops need one; SciPy is imported only then),
``dependents`` which products a price change reaches. ``batch`` is the one aggregate: a batch of
market data recorded as one event.
"""

from domain.economics.figures import Figure
from domain.economics.item_economics import (
    Build,
    ItemEconomics,
    JobLine,
    MaterialLine,
    build_for,
    item_economics,
)
from domain.economics.job_cost import (
    CostRates,
    Eiv,
    JobCost,
    estimated_item_value,
    job_cost_rate,
    manufacturing_job_cost,
    science_job_cost,
)
from domain.economics.make_or_buy import MakeOrBuyPlan, make_or_buy
from domain.economics.market import (
    AdjustedPrice,
    CostIndex,
    DepthLevel,
    MarketData,
    Missing,
    PriceBasis,
    PriceChoice,
    PricePoint,
    PriceQuote,
    choose_price,
    percentile_price,
)
from domain.economics.settings import Decision, EconomicsSettings, JobSite, Strategy, following_plan

__all__ = [
    "AdjustedPrice",
    "Build",
    "CostIndex",
    "CostRates",
    "Decision",
    "DepthLevel",
    "EconomicsSettings",
    "Eiv",
    "Figure",
    "ItemEconomics",
    "JobCost",
    "JobLine",
    "JobSite",
    "MakeOrBuyPlan",
    "MarketData",
    "MaterialLine",
    "Missing",
    "PriceBasis",
    "PriceChoice",
    "PricePoint",
    "PriceQuote",
    "Strategy",
    "build_for",
    "choose_price",
    "estimated_item_value",
    "following_plan",
    "item_economics",
    "job_cost_rate",
    "make_or_buy",
    "manufacturing_job_cost",
    "percentile_price",
    "science_job_cost",
]
