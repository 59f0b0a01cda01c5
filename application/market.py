"""Recording market data: each batch is one command creating one batch aggregate with its one
event (see ``domain/economics/batch.py``); a batch recorded before is recorded once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import msgspec

from application.command_runner import create_aggregate
from application.event_store import EventStore
from domain.economics.batch import MAX_ROWS, BatchSummary, MarketBatch
from domain.economics.market import AdjustedPrice, CostIndex, PriceQuote
from domain.economics.settings import JobSite
from domain.errors import Conflict
from domain.events import CommandMeta


class RecordedBatch(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    batch: BatchSummary
    position: int  # pass as minPosition to read the batch's effect
    changed: bool  # False: this very batch was recorded before


class MarketImport(msgspec.Struct, frozen=True):
    """Everything one import brings, before it is cut into batches."""

    quotes: Sequence[PriceQuote] = ()
    adjusted: Sequence[AdjustedPrice] = ()
    indices: Sequence[CostIndex] = ()


class MarketService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def record(
        self,
        region_id: int | None,
        data: MarketImport,
        job_site: JobSite | None,
        source: str,
        meta: CommandMeta,
        observed_at: datetime | None = None,
    ) -> RecordedBatch:
        batch = MarketBatch.record(
            region_id, data.quotes, data.adjusted, data.indices, job_site, source, meta, observed_at
        )
        try:
            position = create_aggregate(self.store, batch, "market batch").position
        except Conflict:
            return RecordedBatch(batch=batch.state(), position=self.store.head(), changed=False)
        return RecordedBatch(batch=batch.state(), position=position, changed=True)

    def record_all(
        self,
        region_id: int | None,
        data: MarketImport,
        job_site: JobSite | None,
        source: str,
        meta: CommandMeta,
        observed_at: datetime | None = None,
        progress: Callable[[RecordedBatch], None] | None = None,
    ) -> list[RecordedBatch]:
        """Record an import of any size as batches of at most MAX_ROWS per list (one event each);
        the job site goes with the first."""
        recorded = []
        for number, part in enumerate(split(data)):
            result = self.record(region_id, part, job_site if number == 0 else None, source, meta, observed_at)
            recorded.append(result)
            if progress:
                progress(result)
        return recorded


def split(data: MarketImport, size: int = MAX_ROWS) -> list[MarketImport]:
    """``data`` in parts of at most ``size`` entries per list; at least one part."""
    parts = max(1, *(-(-len(rows) // size) for rows in (data.quotes, data.adjusted, data.indices)))
    windows = [slice(n * size, (n + 1) * size) for n in range(parts)]
    return [MarketImport(data.quotes[w], data.adjusted[w], data.indices[w]) for w in windows]
