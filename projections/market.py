"""Read models of each user's market data: the latest quote per (region, item), a bounded price
history, the latest adjusted price per item and cost index per (solar system, activity), and
each region's job site.

"Latest" is the newest observation, whatever order batches arrive in: a batch observed earlier
than what is kept for an item changes nothing but the history. The history records a point when
an item's lowest sell, highest buy or daily volume moves, and keeps the points observed within
``history_days`` of the region's newest observation; older ones are pruned as batches arrive
(relative to observation times, not the clock, so a rebuild gives the same rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Table,
    Uuid,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)

from domain.catalog.model import ActivityKind
from domain.economics.batch import MarketBatchRecorded
from domain.economics.market import AdjustedPrice, CostIndex, DepthLevel, MarketData, PriceQuote
from domain.economics.region import RegionMarket
from domain.economics.settings import JobSite
from projections.readmodel import BatchWriter, ReadModelTable, insert_rows
from projections.runtime import Projection, handles
from projections.types import UtcDateTime

DEFAULT_HISTORY_DAYS = 30
TREND = ("lowest_sell", "highest_buy", "daily_volume")  # a change in one of these is a history point
_CHUNK = 5000

PRICES = ReadModelTable(
    "market_prices",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("region_id", BigInteger, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
        Column("lowest_sell", Float),
        Column("highest_buy", Float),
        Column("sell_volume", BigInteger, nullable=False),
        Column("buy_volume", BigInteger, nullable=False),
        Column("daily_volume", Float),
        Column("sell_depth", JSON, nullable=False),
        Column("observed_at", UtcDateTime, nullable=False),
        Column("batch_id", Uuid, nullable=False),
    ],
)
HISTORY = ReadModelTable(
    "market_price_history",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("region_id", BigInteger, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
        Column("observed_at", UtcDateTime, primary_key=True),
        Column("lowest_sell", Float),
        Column("highest_buy", Float),
        Column("sell_volume", BigInteger, nullable=False),
        Column("buy_volume", BigInteger, nullable=False),
        Column("daily_volume", Float),
    ],
    indexes=[("by_time", ["owner_id", "region_id", "observed_at"], False)],
)
ADJUSTED = ReadModelTable(
    "market_adjusted_prices",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
        Column("adjusted_price", Float, nullable=False),
        Column("average_price", Float),
        Column("observed_at", UtcDateTime, nullable=False),
    ],
)
INDICES = ReadModelTable(
    "market_cost_indices",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("solar_system_id", BigInteger, primary_key=True),
        Column("activity", String(24), primary_key=True),
        Column("cost_index", Float, nullable=False),
        Column("observed_at", UtcDateTime, nullable=False),
    ],
)
REGIONS = ReadModelTable(
    "market_regions",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("region_id", BigInteger, primary_key=True),
        Column("job_site", JSON),
        Column("batches", Integer, nullable=False),
        Column("last_observed_at", UtcDateTime),
        Column("updated_at", UtcDateTime, nullable=False),
    ],
)


class MarketProjection(Projection):
    name = "market"
    tables = (PRICES, HISTORY, ADJUSTED, INDICES, REGIONS)

    def __init__(self, history_days: int = DEFAULT_HISTORY_DAYS) -> None:
        self.history = timedelta(days=history_days)

    @handles(MarketBatchRecorded)
    def _batch_recorded(self, writer: BatchWriter, event: MarketBatchRecorded) -> None:
        connection, tables = writer.connection, writer.tables
        owner, when = event.owner_id, event.observed_at
        if event.region_id is not None:
            newest = self._record_region(connection, tables["market_regions"], event)
            quotes = [_quote_row(owner, event, row) for row in event.quotes]
            scope = {"owner_id": owner, "region_id": event.region_id}
            before = _keep_newest(connection, tables["market_prices"], scope, ("type_id",), quotes, TREND)
            moved = [quote for quote in quotes if _moved(quote, before.get((quote["type_id"],)))]
            self._record_history(connection, tables["market_price_history"], owner, event.region_id, moved, newest)
        _keep_newest(
            connection,
            tables["market_adjusted_prices"],
            {"owner_id": owner},
            ("type_id",),
            [
                {
                    "owner_id": owner,
                    "type_id": row.type_id,
                    "adjusted_price": row.adjusted_price,
                    "average_price": row.average_price,
                    "observed_at": row.observed_at or when,
                }
                for row in event.adjusted_prices
            ],
        )
        _keep_newest(
            connection,
            tables["market_cost_indices"],
            {"owner_id": owner},
            ("solar_system_id", "activity"),
            [
                {
                    "owner_id": owner,
                    "solar_system_id": row.solar_system_id,
                    "activity": row.activity.value,
                    "cost_index": row.cost_index,
                    "observed_at": row.observed_at or when,
                }
                for row in event.cost_indices
            ],
        )

    @staticmethod
    def _record_region(connection: Connection, table: Table, event: MarketBatchRecorded) -> datetime:
        """Count the batch and keep the job site; returns the region's newest observation."""
        assert event.region_id is not None
        times = [row.observed_at for row in event.quotes if row.observed_at is not None]
        batch_newest = max([event.observed_at, *times]) if event.quotes else None
        key = (table.c.owner_id == event.owner_id) & (table.c.region_id == event.region_id)
        found = connection.execute(select(table.c.last_observed_at).where(key)).one_or_none()
        site = msgspec.to_builtins(event.job_site) if event.job_site else None
        if found is None:
            insert_rows(
                connection,
                table,
                [
                    {
                        "owner_id": event.owner_id,
                        "region_id": event.region_id,
                        "job_site": site,
                        "batches": 1,
                        "last_observed_at": batch_newest,
                        "updated_at": event.timestamp,
                    }
                ],
            )
            return batch_newest or event.observed_at
        newest = max((t for t in (found[0], batch_newest) if t is not None), default=None)
        values: dict[str, Any] = {
            "batches": table.c.batches + 1,
            "last_observed_at": newest,
            "updated_at": event.timestamp,
        }
        if site is not None:
            values["job_site"] = site
        connection.execute(update(table).where(key).values(values))
        return newest or event.observed_at

    def _record_history(
        self,
        connection: Connection,
        table: Table,
        owner: UUID,
        region: int,
        quotes: list[dict[str, Any]],
        newest: datetime,
    ) -> None:
        """The quotes within the retention (one per item and observation time, the last batch's
        if two share one), then drop whatever has fallen out of it."""
        cutoff = newest - self.history
        kept = [
            {column.name: quote[column.name] for column in table.columns}
            for quote in quotes
            if quote["observed_at"] >= cutoff
        ]
        by_time: dict[datetime, list[int]] = defaultdict(list)
        for row in kept:
            by_time[row["observed_at"]].append(row["type_id"])
        for observed, type_ids in by_time.items():
            for chunk in _chunks(type_ids):
                connection.execute(
                    delete(table).where(
                        table.c.owner_id == owner,
                        table.c.region_id == region,
                        table.c.observed_at == observed,
                        table.c.type_id.in_(chunk),
                    )
                )
        if kept:  # through SQLAlchemy, not insert_rows: SQLite must store the times the deletes compare with
            connection.execute(insert(table), kept)
        connection.execute(
            delete(table).where(table.c.owner_id == owner, table.c.region_id == region, table.c.observed_at < cutoff)
        )


def _quote_row(owner: UUID, event: MarketBatchRecorded, row: Any) -> dict[str, Any]:
    return {
        "owner_id": owner,
        "region_id": event.region_id,
        "type_id": row.type_id,
        "lowest_sell": row.lowest_sell,
        "highest_buy": row.highest_buy,
        "sell_volume": row.sell_volume,
        "buy_volume": row.buy_volume,
        "daily_volume": row.daily_volume,
        "sell_depth": [list(level) for level in row.sell_depth],
        "observed_at": row.observed_at or event.observed_at,
        "batch_id": event.originator_id,
    }


def _moved(quote: dict[str, Any], before: tuple[Any, ...] | None) -> bool:
    """Whether a quote adds a point to the item's trend: its first, one observed before the
    latest (a late batch), or one whose prices or daily volume differ from the latest's. An
    unchanged price observed again only moves the latest quote's time: the history is a step
    function, and a region's unmoved prices cost no history at all."""
    if before is None:
        return True
    observed, *values = before
    return quote["observed_at"] < observed or tuple(quote[name] for name in TREND) != tuple(values)


def _keep_newest(
    connection: Connection,
    table: Table,
    scope: dict[str, Any],
    key: tuple[str, ...],
    rows: list[dict[str, Any]],
    compare: tuple[str, ...] = (),
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Upsert ``rows`` (all within ``scope``) where they are at least as new as the kept row.
    Returns the kept rows as they were: key -> (observed_at, *compare)."""
    if not rows:
        return {}
    where = [table.c[column] == value for column, value in scope.items()]
    columns = [table.c[name] for name in key]
    wanted = [tuple(row[name] for name in key) for row in rows]
    kept: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for chunk in _chunks(wanted):
        query = select(*columns, table.c.observed_at, *(table.c[name] for name in compare))
        for found in connection.execute(query.where(*where, _in(columns, chunk))):
            kept[tuple(found[: len(key)])] = tuple(found[len(key) :])
    newer, replaced = [], []
    for row, k in zip(rows, wanted, strict=True):
        old = kept.get(k)
        if old is None or row["observed_at"] >= old[0]:
            newer.append(row)
            if old is not None:
                replaced.append(k)
    for chunk in _chunks(replaced):
        connection.execute(delete(table).where(*where, _in(columns, chunk)))
    insert_rows(connection, table, newer)
    return kept


def _in(columns: list[Any], keys: list[tuple[Any, ...]]) -> Any:
    return columns[0].in_([k[0] for k in keys]) if len(columns) == 1 else tuple_(*columns).in_(keys)


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


# ------------------------------------------------------------------- queries


class RegionView(msgspec.Struct, frozen=True, kw_only=True):
    region_id: int
    job_site: JobSite | None
    batches: int
    items: int
    last_observed_at: datetime | None
    updated_at: datetime


class PricePointView(msgspec.Struct, frozen=True, kw_only=True):
    observed_at: datetime
    lowest_sell: float | None
    highest_buy: float | None
    sell_volume: int
    buy_volume: int
    daily_volume: float | None


class ItemPricesView(msgspec.Struct, frozen=True, kw_only=True):
    region_id: int
    type_id: int
    latest: PriceQuote | None
    adjusted: AdjustedPrice | None
    history: list[PricePointView]  # oldest first, within the retention


def list_regions(connection: Connection, owner: UUID, limit: int | None = None, offset: int = 0) -> list[RegionView]:
    regions, prices = REGIONS.view, PRICES.view
    items = (
        select(func.count())
        .where(prices.c.owner_id == regions.c.owner_id, prices.c.region_id == regions.c.region_id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(regions, items.label("items"))
        .where(regions.c.owner_id == owner)
        .order_by(regions.c.region_id)
        .limit(limit)
        .offset(offset)
    )
    return [
        RegionView(
            region_id=row.region_id,
            job_site=msgspec.convert(row.job_site, JobSite) if row.job_site else None,
            batches=row.batches,
            items=row.items,
            last_observed_at=row.last_observed_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def all_regions(connection: Connection, owner: UUID | None = None) -> list[tuple[UUID, int]]:
    """(user, region) of every region with market data (of ``owner``, or everyone's)."""
    table = REGIONS.view
    query = select(table.c.owner_id, table.c.region_id)
    if owner is not None:
        query = query.where(table.c.owner_id == owner)
    return [(user, region) for user, region in connection.execute(query)]


def region_market(
    connection: Connection, owner: UUID, region_id: int, solar_system_id: int | None = None
) -> RegionMarket | None:
    """The region's latest quotes with the owner's adjusted prices, and the cost indices of
    ``solar_system_id`` (else of the region's job site); None if the owner has no data there."""
    regions = REGIONS.view
    site_json = connection.execute(
        select(regions.c.job_site).where(regions.c.owner_id == owner, regions.c.region_id == region_id)
    ).one_or_none()
    if site_json is None:
        return None
    site = msgspec.convert(site_json[0], JobSite) if site_json[0] else None
    system = solar_system_id if solar_system_id is not None else site.solar_system_id if site else None
    prices, adjusted, indices = PRICES.view, ADJUSTED.view, INDICES.view
    quotes = [
        _quote(region_id, row)
        for row in connection.execute(select(prices).where(prices.c.owner_id == owner, prices.c.region_id == region_id))
    ]
    adjusted_prices = [
        AdjustedPrice(
            type_id=row.type_id,
            adjusted_price=row.adjusted_price,
            average_price=row.average_price,
            observed_at=row.observed_at,
        )
        for row in connection.execute(select(adjusted).where(adjusted.c.owner_id == owner))
    ]
    cost_indices = (
        [
            CostIndex(
                solar_system_id=row.solar_system_id,
                activity=ActivityKind(row.activity),
                cost_index=row.cost_index,
                observed_at=row.observed_at,
            )
            for row in connection.execute(
                select(indices).where(indices.c.owner_id == owner, indices.c.solar_system_id == system)
            )
        ]
        if system is not None
        else []
    )
    return RegionMarket(MarketData(region_id, quotes, adjusted_prices, cost_indices), site)


def _quote(region_id: int, row: Any) -> PriceQuote:
    return PriceQuote(
        region_id=region_id,
        type_id=row.type_id,
        observed_at=row.observed_at,
        lowest_sell=row.lowest_sell,
        highest_buy=row.highest_buy,
        sell_volume=row.sell_volume,
        buy_volume=row.buy_volume,
        daily_volume=row.daily_volume,
        sell_depth=tuple(DepthLevel(price=price, volume=volume) for price, volume in row.sell_depth),
    )


def item_prices(connection: Connection, owner: UUID, region_id: int, type_id: int) -> ItemPricesView | None:
    """One item's latest quote, adjusted price and history in a region; None if the owner has no
    data for the region."""
    regions, prices, history, adjusted = REGIONS.view, PRICES.view, HISTORY.view, ADJUSTED.view
    known = connection.execute(
        select(regions.c.region_id).where(regions.c.owner_id == owner, regions.c.region_id == region_id)
    ).first()
    if known is None:
        return None
    latest = connection.execute(
        select(prices).where(prices.c.owner_id == owner, prices.c.region_id == region_id, prices.c.type_id == type_id)
    ).first()
    value = connection.execute(
        select(adjusted).where(adjusted.c.owner_id == owner, adjusted.c.type_id == type_id)
    ).first()
    points = connection.execute(
        select(history)
        .where(history.c.owner_id == owner, history.c.region_id == region_id, history.c.type_id == type_id)
        .order_by(history.c.observed_at)
    )
    return ItemPricesView(
        region_id=region_id,
        type_id=type_id,
        latest=_quote(region_id, latest) if latest else None,
        adjusted=AdjustedPrice(
            type_id=type_id,
            adjusted_price=value.adjusted_price,
            average_price=value.average_price,
            observed_at=value.observed_at,
        )
        if value
        else None,
        history=[msgspec.convert(point, PricePointView, from_attributes=True) for point in points],
    )
