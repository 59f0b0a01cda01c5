"""Market data as events: each ingested batch (one region's quotes, the game's adjusted prices,
cost indices, the region's job site: any of them) is recorded as one event.

Each batch is an aggregate of its own, created by its one event, rather than one aggregate per
region: a region refreshed every 30 minutes gathers 48 batches of ~15,000 quotes a day, and
loading a per-region aggregate would replay (read and decode) every one of them on each import,
growing without bound (about 5 ms of decoding per 15,000-quote batch, 7 s after a month). A
batch aggregate is never loaded again; "latest per item" is the read model's job, which keeps the
newest observation whatever order batches arrive in. The id is derived from the owner, the region
and the content, so recording the same batch twice records it once.

A batch's owner is the user who posted it (their private prices), or the shared owner
(``SHARED_CATALOG_OWNER``, who holds everything public: the shared catalog and the public market
data) for a batch an admin or the server's own ESI fetch records for everyone; the event's
``meta`` still names who recorded it.

Rows are stored as JSON arrays (``array_like``) in the event: a 15,000-quote batch is then about
0.75 MB instead of 1.6 MB as objects. A row's ``observed_at`` is null where it is the batch's.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.catalog.model import ActivityKind
from domain.economics.market import AdjustedPrice, CostIndex, DepthLevel, PriceQuote, Value
from domain.economics.settings import JobSite
from domain.errors import InvalidInput
from domain.events import CommandMeta, Event, utcnow
from domain.work_limits import ensure_within

_BATCH_NAMESPACE = UUID("7d3b7c52-0f3e-4a8e-9a51-2c5d8e6f1b94")
MAX_ROWS = 50_000  # per list in one batch: a whole region's order book, the game's adjusted prices or indices
MAX_DEPTH_LEVELS = 1_000_000  # sell-depth price levels across a batch's quotes (a region's whole book)
CLOCK_SKEW = timedelta(minutes=5)  # an observation further in the future than this is a mistake


class _Row(msgspec.Struct, frozen=True, array_like=True):
    """A compact row of a batch event (a JSON array, not an object)."""


class QuoteRow(_Row, frozen=True):
    type_id: int
    lowest_sell: float | None
    highest_buy: float | None
    sell_volume: int
    buy_volume: int
    daily_volume: float | None
    observed_at: datetime | None  # None: the batch's
    sell_depth: tuple[tuple[float, int], ...] = ()  # (price, volume), cheapest first

    def quote(self, region_id: int, batch_time: datetime) -> PriceQuote:
        return PriceQuote(
            region_id=region_id,
            type_id=self.type_id,
            observed_at=self.observed_at or batch_time,
            lowest_sell=self.lowest_sell,
            highest_buy=self.highest_buy,
            sell_volume=self.sell_volume,
            buy_volume=self.buy_volume,
            daily_volume=self.daily_volume,
            sell_depth=tuple(DepthLevel(price=price, volume=volume) for price, volume in self.sell_depth),
        )


class AdjustedRow(_Row, frozen=True):
    type_id: int
    adjusted_price: float
    average_price: float | None
    observed_at: datetime | None

    def price(self, batch_time: datetime) -> AdjustedPrice:
        return AdjustedPrice(
            type_id=self.type_id,
            adjusted_price=self.adjusted_price,
            average_price=self.average_price,
            observed_at=self.observed_at or batch_time,
        )


class IndexRow(_Row, frozen=True):
    solar_system_id: int
    activity: ActivityKind
    cost_index: float
    observed_at: datetime | None

    def index(self, batch_time: datetime) -> CostIndex:
        return CostIndex(
            solar_system_id=self.solar_system_id,
            activity=self.activity,
            cost_index=self.cost_index,
            observed_at=self.observed_at or batch_time,
        )


class BatchSummary(Value, frozen=True):
    batch_id: UUID
    region_id: int | None
    observed_at: datetime
    quotes: int
    adjusted_prices: int
    cost_indices: int
    job_site: JobSite | None


def market_batch_id(owner_id: UUID, region_id: int | None, content: bytes) -> UUID:
    digest = hashlib.blake2b(content, digest_size=16).hexdigest()
    return uuid.uuid5(_BATCH_NAMESPACE, f"{owner_id}:{region_id}:{digest}")


class MarketBatch(Aggregate):
    region_id: int | None
    observed_at: datetime
    counts: tuple[int, int, int]
    job_site: JobSite | None

    @classmethod
    def record(
        cls,
        region_id: int | None,
        quotes: Sequence[PriceQuote],
        adjusted: Sequence[AdjustedPrice],
        indices: Sequence[CostIndex],
        job_site: JobSite | None,
        source: str,
        meta: CommandMeta,
        observed_at: datetime | None = None,
        owner_id: UUID | None = None,
    ) -> MarketBatch:
        """Check a batch and record it, as ``owner_id``'s (by default the caller's).
        ``observed_at`` is the batch's time (now if not given); rows observed at another time
        keep theirs. A batch is one event, so its rows are bounded: ``MAX_ROWS`` per list and
        ``MAX_DEPTH_LEVELS`` sell-depth price levels."""
        now = utcnow()
        when = observed_at or now
        if not (quotes or adjusted or indices or job_site):
            raise InvalidInput("a batch needs quotes, adjustedPrices, costIndices or a jobSite", "quotes")
        if (quotes or job_site) and (region_id is None or region_id < 1):
            raise InvalidInput("quotes and a job site belong to a region: give regionId", "regionId")
        _check_time(when, now, "observedAt")
        for name, found in (("quotes", quotes), ("adjustedPrices", adjusted), ("costIndices", indices)):
            ensure_within(f"{name} in one batch", len(found), MAX_ROWS, name, "send several batches")
        levels = sum(len(quote.sell_depth) for quote in quotes)
        ensure_within("sell-depth levels in one batch", levels, MAX_DEPTH_LEVELS, "quotes", "send several batches")
        if job_site is not None and job_site.solar_system_id < 1:
            raise InvalidInput("must be a solar system id", "jobSite.solarSystemId")
        rows = (
            tuple(_quote_row(quote, region_id, when, now, f"quotes[{n}]") for n, quote in enumerate(quotes)),
            tuple(_adjusted_row(price, when, now, f"adjustedPrices[{n}]") for n, price in enumerate(adjusted)),
            tuple(_index_row(index, when, now, f"costIndices[{n}]") for n, index in enumerate(indices)),
        )
        _check_unique("quotes", rows[0], lambda row: row.type_id)
        _check_unique("adjustedPrices", rows[1], lambda row: row.type_id)
        _check_unique("costIndices", rows[2], lambda row: (row.solar_system_id, row.activity))
        content = msgspec.json.encode((region_id, when, *rows, job_site))
        owner = owner_id or meta.user_id
        return cls._create(
            MarketBatchRecorded,
            market_batch_id(owner, region_id, content),
            timestamp=now,
            meta=meta,
            owner_id=owner,
            region_id=region_id,
            observed_at=when,
            source=source[:255],
            quotes=rows[0],
            adjusted_prices=rows[1],
            cost_indices=rows[2],
            job_site=job_site,
        )

    def state(self) -> BatchSummary:
        quotes, adjusted, indices = self.counts
        return BatchSummary(
            batch_id=self.id,
            region_id=self.region_id,
            observed_at=self.observed_at,
            quotes=quotes,
            adjusted_prices=adjusted,
            cost_indices=indices,
            job_site=self.job_site,
        )


def _check_time(when: datetime, now: datetime, field: str) -> None:
    if when.tzinfo is None:
        raise InvalidInput("a time needs its UTC offset, e.g. 2026-03-01T12:00:00Z", field)
    if when > now + CLOCK_SKEW:
        raise InvalidInput("an observation cannot be in the future", field)


def _amount(value: float | None, field: str) -> None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise InvalidInput("must be a finite number, 0 or more", field)


def _own_time(observed: datetime, batch: datetime, now: datetime, field: str) -> datetime | None:
    _check_time(observed, now, field)
    return None if observed == batch else observed


def _quote_row(quote: PriceQuote, region_id: int | None, batch: datetime, now: datetime, field: str) -> QuoteRow:
    if quote.region_id != region_id:
        raise InvalidInput(f"the quote is for region {quote.region_id}, the batch for {region_id}", f"{field}.regionId")
    for name, value in (
        ("lowestSell", quote.lowest_sell),
        ("highestBuy", quote.highest_buy),
        ("sellVolume", quote.sell_volume),
        ("buyVolume", quote.buy_volume),
        ("dailyVolume", quote.daily_volume),
    ):
        _amount(value, f"{field}.{name}")
    for n, level in enumerate(quote.sell_depth):
        _amount(level.price, f"{field}.sellDepth[{n}].price")
        if level.volume <= 0:
            raise InvalidInput("a depth level needs a volume above 0", f"{field}.sellDepth[{n}].volume")
    return QuoteRow(
        type_id=quote.type_id,
        lowest_sell=quote.lowest_sell,
        highest_buy=quote.highest_buy,
        sell_volume=quote.sell_volume,
        buy_volume=quote.buy_volume,
        daily_volume=quote.daily_volume,
        observed_at=_own_time(quote.observed_at, batch, now, f"{field}.observedAt"),
        sell_depth=tuple((level.price, level.volume) for level in sorted(quote.sell_depth, key=lambda d: d.price)),
    )


def _adjusted_row(price: AdjustedPrice, batch: datetime, now: datetime, field: str) -> AdjustedRow:
    _amount(price.adjusted_price, f"{field}.adjustedPrice")
    _amount(price.average_price, f"{field}.averagePrice")
    return AdjustedRow(
        type_id=price.type_id,
        adjusted_price=price.adjusted_price,
        average_price=price.average_price,
        observed_at=_own_time(price.observed_at, batch, now, f"{field}.observedAt"),
    )


def _index_row(index: CostIndex, batch: datetime, now: datetime, field: str) -> IndexRow:
    _amount(index.cost_index, f"{field}.costIndex")
    return IndexRow(
        solar_system_id=index.solar_system_id,
        activity=index.activity,
        cost_index=index.cost_index,
        observed_at=_own_time(index.observed_at, batch, now, f"{field}.observedAt"),
    )


RowT = TypeVar("RowT")


def _check_unique(name: str, rows: Iterable[RowT], key: Callable[[RowT], Hashable]) -> None:
    seen: set[Hashable] = set()
    for n, row in enumerate(rows):
        if key(row) in seen:
            raise InvalidInput("the same item (or system and activity) appears twice in the batch", f"{name}[{n}]")
        seen.add(key(row))


class MarketBatchRecorded(Event, frozen=True):
    owner_id: UUID
    region_id: int | None
    observed_at: datetime
    source: str
    quotes: tuple[QuoteRow, ...] = ()
    adjusted_prices: tuple[AdjustedRow, ...] = ()
    cost_indices: tuple[IndexRow, ...] = ()
    job_site: JobSite | None = None

    def apply(self, aggregate: Any) -> MarketBatch:
        batch = MarketBatch(self.originator_id, self.owner_id, self.timestamp)
        batch.region_id = self.region_id
        batch.observed_at = self.observed_at
        batch.counts = (len(self.quotes), len(self.adjusted_prices), len(self.cost_indices))
        batch.job_site = self.job_site
        return batch
