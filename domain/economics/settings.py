"""What a user chooses for an economics question: where jobs run, how blueprints are researched,
which price each item is valued at, and what to make or buy.

Per-item overrides sit next to the defaults, so one request can say "components at ME 10 in the
Raitaru, the ship at ME 2 in the NPC station, Tritanium at the 5% percentile price".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import msgspec

from domain.catalog.chains import DEFAULT_SETTINGS, StepSettings
from domain.catalog.industry import validate_levels
from domain.economics.job_cost import NPC_RATES, CostRates
from domain.economics.market import BUY, SELL, PriceChoice, Value
from domain.errors import InvalidInput
from domain.industry.plan import PlanStep, step_tree_order


class Decision(enum.Enum):
    MAKE = "make"
    BUY = "buy"


class Strategy(enum.Enum):
    """How intermediates the user's plan does not mention are decided."""

    MAKE = "make"  # build every intermediate down to raw materials
    BUY = "buy"  # buy every input of the product
    CHEAPEST = "cheapest"  # whichever is cheaper at current prices (make_or_buy)


class JobSite(Value, frozen=True):
    """Where a job is installed: the solar system picks the cost index, the rates its taxes."""

    solar_system_id: int
    rates: CostRates = NPC_RATES


class EconomicsSettings(Value, frozen=True):
    site: JobSite
    runs: int = 1  # runs of the product's recipe
    step: StepSettings = DEFAULT_SETTINGS  # ME, TE, facility bonuses and skills
    step_overrides: dict[int, StepSettings] = {}  # per item built
    sites: dict[int, JobSite] = {}  # per item built
    input_price: PriceChoice = SELL  # what buying an input costs
    output_price: PriceChoice = SELL  # the product's "sell" figure; its "buy" figure is always the highest buy
    price_overrides: dict[int, PriceChoice] = {}  # per item, input or output
    strategy: Strategy = Strategy.MAKE
    plan: dict[int, Decision] = {}  # the user's make-or-buy per intermediate; beats the strategy
    recipes: dict[int, int] = {}  # item -> the recipe chosen to build it, where several can

    def __post_init__(self) -> None:
        if self.runs < 1:
            raise InvalidInput("runs must be at least 1", "runs")
        for settings in (self.step, *self.step_overrides.values()):
            validate_levels(settings.me, settings.te)

    def step_for(self, type_id: int) -> StepSettings:
        return self.step_overrides.get(type_id, self.step)

    def site_for(self, type_id: int) -> JobSite:
        return self.sites.get(type_id, self.site)

    def input_choice(self, type_id: int) -> PriceChoice:
        return self.price_overrides.get(type_id, self.input_price)

    def output_choices(self, type_id: int) -> tuple[PriceChoice, PriceChoice]:
        """The product's (sell, buy) price choices."""
        return self.price_overrides.get(type_id, self.output_price), BUY


def following_plan(settings: EconomicsSettings, steps: Iterable[PlanStep]) -> EconomicsSettings:
    """A production plan as economics settings. An item is made where a step of the plan makes
    it and bought everywhere else (the plan's own rule: a material is made iff a child step
    exists); an item made by several steps takes the shallowest one's recipe, levels, facility
    and tax, since economics sums an item's demand over the whole tree."""
    made: dict[int, PlanStep] = {}
    for step, _ in sorted(step_tree_order(steps), key=lambda pair: pair[1]):
        made.setdefault(step.product_type_id, step)
    site, rates = settings.site, settings.site.rates
    return msgspec.structs.replace(
        settings,
        strategy=Strategy.BUY,
        plan={item: Decision.MAKE for item in made},
        recipes={item: step.blueprint_type_id for item, step in made.items()},
        step_overrides={
            item: StepSettings(me=step.me_level, te=step.te_level, facility=step.facility, skills=settings.step.skills)
            for item, step in made.items()
        },
        sites={
            item: JobSite(
                solar_system_id=site.solar_system_id,
                rates=msgspec.structs.replace(rates, facility_tax=step.facility_tax),
            )
            for item, step in made.items()
        },
    )
