"""Command routes of market data: record one batch of prices, adjusted prices, cost indices and a
region's job site as one event: your private prices, or (admins only) the public market data
everyone shares."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.market import MarketService, RecordedBatch
from domain.events import CommandMeta, utcnow
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.market.schemas import PriceBatch


class MarketCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/market/prices", tags=["commands"], sync_to_thread=True)
    def record_prices(
        self, market: NamedDependency[MarketService], data: JSONBody[PriceBatch], meta: NamedDependency[CommandMeta]
    ) -> Response[RecordedBatch]:
        """Record a batch of your private prices (201), which beat the shared market data for the
        same (region, item), adjusted price, cost index or job site, and nobody else sees; the very
        same batch again records nothing (200, ``changed: false``). The economics of every item
        whose chain uses a changed price are recomputed; pass the answer's ``position`` as
        ``minPosition`` to read them."""
        return _recorded(market, data, meta, shared=False)

    @post("/v1/market/shared/prices", tags=["commands"], sync_to_thread=True, opt={"admin_only": True})
    def record_shared_prices(
        self, market: NamedDependency[MarketService], data: JSONBody[PriceBatch], meta: NamedDependency[CommandMeta]
    ) -> Response[RecordedBatch]:
        """Record a batch of the public market data everyone shares (admins only: 403 for anyone
        else), as ``/v1/market/prices`` records your own."""
        return _recorded(market, data, meta, shared=True)


def _recorded(market: MarketService, data: PriceBatch, meta: CommandMeta, *, shared: bool) -> Response[RecordedBatch]:
    when = data.observed_at or utcnow()
    site = data.job_site.site() if data.job_site else None
    result = market.record(data.region_id, data.data(when), site, data.source, meta, when, shared=shared)
    return Response(result, status_code=201 if result.changed else 200)
