"""Command route of market data: record one batch of prices, adjusted prices, cost indices and a
region's job site as one event."""

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
        """Record a batch (201); the very same batch again records nothing (200, ``changed: false``).
        The economics of every item whose chain uses a changed price are recomputed; pass the
        answer's ``position`` as ``minPosition`` to read them."""
        when = data.observed_at or utcnow()
        result = market.record(
            data.region_id,
            data.data(when),
            data.job_site.site() if data.job_site else None,
            data.source,
            meta,
            when,
        )
        return Response(result, status_code=201 if result.changed else 200)
