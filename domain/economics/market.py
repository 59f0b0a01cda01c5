"""Market facts as value objects, and the one rule for turning a quote into a unit price.

The shapes follow what the game's public market API answers (ESI ``/markets/{region_id}/orders/``,
``/markets/prices/``, ``/industry/systems/``), already aggregated: one quote per (region, item),
one adjusted price per item, one cost index per (solar system, activity). A price that is not
there is reported as ``Missing`` with its reason, never read as 0: a 0 would turn an unknown cost
into a fake profit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import msgspec

from domain.catalog.model import ActivityKind
from domain.errors import InvalidInput


class Value(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Immutable value objects of the economics layer (camelCase in JSON like the catalog)."""


class DepthLevel(Value, frozen=True):
    """Units offered at one price on the sell side of the order book."""

    price: float
    volume: int


class PriceQuote(Value, frozen=True):
    """What one region's order book says about one item at ``observed_at``."""

    region_id: int
    type_id: int
    observed_at: datetime
    lowest_sell: float | None = None  # None: nobody sells
    highest_buy: float | None = None  # None: nobody buys
    sell_volume: int = 0  # units listed on sell orders
    buy_volume: int = 0  # units wanted by buy orders
    daily_volume: float | None = None  # units traded per day (market history); None where unknown
    sell_depth: tuple[DepthLevel, ...] = ()  # cheapest first, one level per price; () where unknown


class AdjustedPrice(Value, frozen=True):
    """The game's own estimate of an item's value (ESI /markets/prices/), the basis of job costs."""

    type_id: int
    adjusted_price: float
    observed_at: datetime
    average_price: float | None = None


class CostIndex(Value, frozen=True):
    """A solar system's cost index for one activity (ESI /industry/systems/)."""

    solar_system_id: int
    activity: ActivityKind
    cost_index: float
    observed_at: datetime


class PriceBasis(enum.Enum):
    SELL = "sell"  # lowest sell order: what buying now costs, or what a seller lists at
    BUY = "buy"  # highest buy order: what selling now earns
    PERCENTILE = "percentile"  # average price of the cheapest p% of the listed sell volume


class PriceChoice(Value, frozen=True):
    """Which price of a quote to use. ``percentile`` only matters for PERCENTILE: the share (0 < p
    <= 100) of the listed sell volume bought cheapest first; it guards against one tiny order at a
    silly price setting the cost of a whole build."""

    basis: PriceBasis = PriceBasis.SELL
    percentile: float = 5.0

    def __post_init__(self) -> None:
        if not 0 < self.percentile <= 100:
            raise InvalidInput("percentile must be above 0 and at most 100", "percentile")


SELL = PriceChoice()
BUY = PriceChoice(basis=PriceBasis.BUY)


class PricePoint(Value, frozen=True):
    """A unit price and when the order book behind it was observed. ``approximate`` marks a
    percentile price taken from the lowest sell because the quote had no order-book depth."""

    price: float
    observed_at: datetime
    approximate: bool = False


class Missing(Value, frozen=True):
    """A number a result needed but could not have: ``what`` names the kind, ``id`` the item (or the
    solar system for a cost index)."""

    what: str  # "sell_price" | "buy_price" | "adjusted_price" | "cost_index"
    id: int
    reason: str


def choose_price(quote: PriceQuote | None, choice: PriceChoice, type_id: int) -> PricePoint | Missing:
    """The unit price ``choice`` picks from ``quote``.

    PERCENTILE walks the sell depth cheapest first until p% of the listed sell volume is bought
    and returns the average price paid. Without depth it falls back to the lowest sell, marked
    approximate: the lowest sell is the p -> 0 limit, so it never overstates the percentile price.
    """
    if quote is None:
        what = "buy_price" if choice.basis is PriceBasis.BUY else "sell_price"
        return Missing(what=what, id=type_id, reason="no market quote for this item in the region")
    if choice.basis is PriceBasis.BUY:
        if quote.highest_buy is None:
            return Missing(what="buy_price", id=type_id, reason="no buy orders")
        return PricePoint(price=quote.highest_buy, observed_at=quote.observed_at)
    if quote.lowest_sell is None:
        return Missing(what="sell_price", id=type_id, reason="no sell orders")
    if choice.basis is PriceBasis.SELL:
        return PricePoint(price=quote.lowest_sell, observed_at=quote.observed_at)
    if not quote.sell_depth:
        return PricePoint(price=quote.lowest_sell, observed_at=quote.observed_at, approximate=True)
    return PricePoint(price=percentile_price(quote.sell_depth, choice.percentile), observed_at=quote.observed_at)


def percentile_price(depth: Iterable[DepthLevel], percentile: float) -> float:
    """Average price of the cheapest ``percentile``% of the volume in ``depth``."""
    levels = sorted(depth, key=lambda level: level.price)
    target = sum(level.volume for level in levels) * percentile / 100
    bought = 0.0
    paid = 0.0
    for level in levels:
        take = min(level.volume, target - bought)
        if take <= 0:
            break
        bought += take
        paid += take * level.price
    return paid / bought if bought else levels[0].price


class MarketData:
    """One region's quotes with the game-wide adjusted prices and cost indices, looked up by id."""

    def __init__(
        self,
        region_id: int,
        quotes: Iterable[PriceQuote] = (),
        adjusted: Iterable[AdjustedPrice] = (),
        cost_indices: Iterable[CostIndex] = (),
    ) -> None:
        self.region_id = region_id
        self._quotes: dict[int, PriceQuote] = {}
        for quote in quotes:
            if quote.region_id != region_id:
                raise InvalidInput(
                    f"quote for type {quote.type_id} is from region {quote.region_id}, not {region_id}", "region_id"
                )
            self._quotes[quote.type_id] = quote
        self._adjusted = {price.type_id: price for price in adjusted}
        self._indices = {(index.solar_system_id, index.activity): index for index in cost_indices}

    def quote(self, type_id: int) -> PriceQuote | None:
        return self._quotes.get(type_id)

    def price(self, type_id: int, choice: PriceChoice) -> PricePoint | Missing:
        return choose_price(self._quotes.get(type_id), choice, type_id)

    def adjusted(self, type_id: int) -> AdjustedPrice | None:
        return self._adjusted.get(type_id)

    def cost_index(self, solar_system_id: int, activity: ActivityKind) -> CostIndex | None:
        return self._indices.get((solar_system_id, activity))
