"""Bodies of market data: a batch as a client sends it (ESI's numbers, camelCase), and the
read model's regions and prices on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from application.market import MarketImport
from domain.catalog.model import ActivityKind
from domain.economics.batch import MAX_ROWS
from domain.economics.job_cost import CostRates
from domain.economics.market import AdjustedPrice, CostIndex, DepthLevel, PriceQuote
from domain.economics.settings import JobSite
from domain.limits import Amount, Fraction, GameId, Label, Quantity
from interfaces.http.bodies import Request
from interfaces.http.wire import wire
from projections import market


class DepthIn(Request):
    price: Amount
    volume: Quantity


class QuoteIn(Request):
    type_id: GameId
    lowest_sell: Amount | None = None  # null: nobody sells
    highest_buy: Amount | None = None  # null: nobody buys
    sell_volume: Quantity = 0
    buy_volume: Quantity = 0
    daily_volume: Amount | None = None  # units traded per day, where known
    observed_at: datetime | None = None  # the batch's unless given
    # the sell side by price, for percentile prices
    sell_depth: Annotated[list[DepthIn], msgspec.Meta(max_length=MAX_ROWS)] = []


class AdjustedPriceIn(Request):
    type_id: GameId
    adjusted_price: Amount
    average_price: Amount | None = None
    observed_at: datetime | None = None


class CostIndexIn(Request):
    solar_system_id: GameId
    activity: ActivityKind
    cost_index: Amount
    observed_at: datetime | None = None


class JobSiteIn(Request):
    """Where the region's jobs are priced: the solar system's cost index and these rates."""

    solar_system_id: GameId
    facility_tax: Fraction = 0.0025
    structure_cost_bonus: Fraction = 0.0
    alpha: bool = False
    scc_surcharge: Fraction = 0.04

    def site(self) -> JobSite:
        return JobSite(
            solar_system_id=self.solar_system_id,
            rates=CostRates(
                facility_tax=self.facility_tax,
                structure_cost_bonus=self.structure_cost_bonus,
                alpha=self.alpha,
                scc_surcharge=self.scc_surcharge,
            ),
        )


class PriceBatch(Request):
    """One batch: any of a region's quotes, the game's adjusted prices and cost indices, and the
    region's job site. At most 50,000 entries per list; send a whole region in one batch."""

    region_id: GameId | None = None
    observed_at: datetime | None = None  # when the data was observed; now if not given
    quotes: Annotated[list[QuoteIn], msgspec.Meta(max_length=MAX_ROWS)] = []
    adjusted_prices: Annotated[list[AdjustedPriceIn], msgspec.Meta(max_length=MAX_ROWS)] = []
    cost_indices: Annotated[list[CostIndexIn], msgspec.Meta(max_length=MAX_ROWS)] = []
    job_site: JobSiteIn | None = None
    source: Label = "api"

    def data(self, when: datetime) -> MarketImport:
        """The batch as market values; entries without a time are observed ``when``."""
        return MarketImport(
            quotes=[
                PriceQuote(
                    region_id=self.region_id or 0,
                    type_id=quote.type_id,
                    observed_at=quote.observed_at or when,
                    lowest_sell=quote.lowest_sell,
                    highest_buy=quote.highest_buy,
                    sell_volume=quote.sell_volume,
                    buy_volume=quote.buy_volume,
                    daily_volume=quote.daily_volume,
                    sell_depth=tuple(DepthLevel(price=d.price, volume=d.volume) for d in quote.sell_depth),
                )
                for quote in self.quotes
            ],
            adjusted=[
                AdjustedPrice(
                    type_id=price.type_id,
                    adjusted_price=price.adjusted_price,
                    average_price=price.average_price,
                    observed_at=price.observed_at or when,
                )
                for price in self.adjusted_prices
            ],
            indices=[
                CostIndex(
                    solar_system_id=index.solar_system_id,
                    activity=index.activity,
                    cost_index=index.cost_index,
                    observed_at=index.observed_at or when,
                )
                for index in self.cost_indices
            ],
        )


@wire
class RegionView(market.RegionView, frozen=True):
    pass


@wire
class ItemPricesView(market.ItemPricesView, frozen=True):
    pass
