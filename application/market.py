"""Recording market data: each batch is one command creating one batch aggregate with its one
event (see ``domain/economics/batch.py``); a batch recorded before is recorded once.

A batch is a user's private prices, or public market data shared by everyone (held by the
shared owner, ``SHARED_CATALOG_OWNER``): an admin records those (``shared=True``; anyone else
gets a 403 naming ``shared``), and so does the server's own ESI fetch of public market data
(``record_fetched``), so one region's orders are stored once however many users follow it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

import msgspec

from application.command_runner import create_aggregate
from application.event_store import EventStore
from application.users import ensure_admin
from domain.catalog.catalog import SHARED_CATALOG_OWNER
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
        *,
        shared: bool = False,
    ) -> RecordedBatch:
        """One batch: the caller's private prices, or (``shared``, admins only) everyone's."""
        return self._record(self._owner(meta, shared), region_id, data, job_site, source, meta, observed_at)

    def record_all(
        self,
        region_id: int | None,
        data: MarketImport,
        job_site: JobSite | None,
        source: str,
        meta: CommandMeta,
        observed_at: datetime | None = None,
        progress: Callable[[RecordedBatch], None] | None = None,
        *,
        shared: bool = False,
    ) -> list[RecordedBatch]:
        """Record an import of any size as batches of at most MAX_ROWS per list (one event each);
        the job site goes with the first. ``shared``: everyone's (admins only)."""
        owner = self._owner(meta, shared)
        return _in_parts(
            data,
            job_site,
            progress,
            lambda part, site: self._record(owner, region_id, part, site, source, meta, observed_at),
        )

    def record_fetched(
        self, region_id: int, data: MarketImport, source: str, meta: CommandMeta, observed_at: datetime
    ) -> list[RecordedBatch]:
        """Public market data the server fetched itself (ESI's orders, adjusted prices and cost
        indices): everyone's, whoever's sync fetched it; no user chose its content, so no admin
        is needed. The same answer fetched for two users is recorded once."""
        owner = SHARED_CATALOG_OWNER
        return _in_parts(
            data, None, None, lambda part, site: self._record(owner, region_id, part, site, source, meta, observed_at)
        )

    def ensure_may_record_shared(self, user_id: UUID) -> None:
        ensure_admin(self.store, user_id, "shared market data is read-only: only an admin records it", "shared")

    def _owner(self, meta: CommandMeta, shared: bool) -> UUID:
        if shared:
            self.ensure_may_record_shared(meta.user_id)
            return SHARED_CATALOG_OWNER
        return meta.user_id

    def _record(
        self,
        owner: UUID,
        region_id: int | None,
        data: MarketImport,
        job_site: JobSite | None,
        source: str,
        meta: CommandMeta,
        observed_at: datetime | None,
    ) -> RecordedBatch:
        batch = MarketBatch.record(
            region_id, data.quotes, data.adjusted, data.indices, job_site, source, meta, observed_at, owner
        )
        try:
            position = create_aggregate(self.store, batch, "market batch").position
        except Conflict:
            return RecordedBatch(batch=batch.state(), position=self.store.head(), changed=False)
        return RecordedBatch(batch=batch.state(), position=position, changed=True)


def _in_parts(
    data: MarketImport,
    job_site: JobSite | None,
    progress: Callable[[RecordedBatch], None] | None,
    record: Callable[[MarketImport, JobSite | None], RecordedBatch],
) -> list[RecordedBatch]:
    """``record`` each part of ``data`` (``split``), the job site with the first."""
    recorded = []
    for number, part in enumerate(split(data)):
        result = record(part, job_site if number == 0 else None)
        recorded.append(result)
        if progress:
            progress(result)
    return recorded


def split(data: MarketImport, size: int = MAX_ROWS) -> list[MarketImport]:
    """``data`` in parts of at most ``size`` entries per list; at least one part."""
    parts = max(1, *(-(-len(rows) // size) for rows in (data.quotes, data.adjusted, data.indices)))
    windows = [slice(n * size, (n + 1) * size) for n in range(parts)]
    return [MarketImport(data.quotes[w], data.adjusted[w], data.indices[w]) for w in windows]
