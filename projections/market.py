"""Read models of market data: the latest quote per (region, item), a bounded price history, the
latest adjusted price per item and cost index per (solar system, activity), and each region's
job site; per owner: a user's private prices, and the public market data shared by everyone
under the shared owner (``SHARED_CATALOG_OWNER``), stored once.

What a user reads is the shared data with their own on top (``_own_first``): for each (region,
item) quote, item's adjusted price, (solar system, activity) cost index and region's job site,
the user's own row where they posted one, whatever its observation time, else the shared row.
A region is the user's when either has data there. Nobody else ever reads a user's own rows.

"Latest" is the newest observation, whatever order batches arrive in: a batch observed earlier
than what is kept for an item changes nothing but the history. The history records a point when
an item's lowest sell, highest buy or daily volume moves, and keeps the points observed within
``history_days`` of the region's newest observation; older ones are pruned as batches arrive
(relative to observation times, not the clock, so a rebuild gives the same rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
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

from domain.catalog.catalog import SHARED_CATALOG_OWNER
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
    shared: bool = False  # the latest quote is the shared market data's (you posted none of your own)


def _owners(owner: UUID) -> list[UUID]:
    """The owners whose rows ``owner`` reads: their own and the shared ones."""
    return [owner, SHARED_CATALOG_OWNER]


def _own_first(rows: Iterable[Any], owner: UUID, key: Callable[[Any], Hashable]) -> dict[Hashable, Any]:
    """Rows of ``owner`` and the shared owner by ``key``, the owner's own winning: the one rule
    of which market data a user reads."""
    found: dict[Hashable, Any] = {}
    for row in rows:
        if row.owner_id == owner or key(row) not in found:
            found[key(row)] = row
    return found


def list_regions(connection: Connection, owner: UUID, limit: int | None = None, offset: int = 0) -> list[RegionView]:
    """The regions with the user's own or shared market data; counts are of both together."""
    regions, prices = REGIONS.view, PRICES.view
    rows = list(connection.execute(select(regions).where(regions.c.owner_id.in_(_owners(owner)))))
    items: dict[int, int] = dict(
        connection.execute(
            select(prices.c.region_id, func.count(prices.c.type_id.distinct()))
            .where(prices.c.owner_id.in_(_owners(owner)))
            .group_by(prices.c.region_id)
        ).all()
    )
    by_region: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_region[row.region_id].append(row)
    views = []
    for region_id, found in sorted(by_region.items()):
        site = _own_first((row for row in found if row.job_site), owner, lambda row: row.region_id)
        times = [row.last_observed_at for row in found if row.last_observed_at is not None]
        views.append(
            RegionView(
                region_id=region_id,
                job_site=msgspec.convert(site[region_id].job_site, JobSite) if site else None,
                batches=sum(row.batches for row in found),
                items=items.get(region_id, 0),
                last_observed_at=max(times, default=None),
                updated_at=max(row.updated_at for row in found),
            )
        )
    end = None if limit is None else offset + limit
    return views[offset:end]


def all_regions(connection: Connection, owner: UUID | None = None) -> list[tuple[UUID, int]]:
    """(owner, region) of every region with market data: ``owner``'s regions (their own or shared),
    or every owner's own ones (the shared owner's among them)."""
    table = REGIONS.view
    if owner is not None:
        query = select(table.c.region_id).where(table.c.owner_id.in_(_owners(owner))).distinct()
        return [(owner, region) for region in connection.execute(query).scalars()]
    return [(user, region) for user, region in connection.execute(select(table.c.owner_id, table.c.region_id))]


def has_own_data(connection: Connection, owner: UUID) -> tuple[frozenset[int], bool]:
    """What of a user's market data is their own: the regions where they posted quotes or a job
    site, and whether they posted adjusted prices or cost indices (which every region reads)."""
    regions, adjusted, indices = REGIONS.view, ADJUSTED.view, INDICES.view
    own = frozenset(connection.execute(select(regions.c.region_id).where(regions.c.owner_id == owner)).scalars())
    everywhere = any(
        connection.execute(select(table.c.owner_id).where(table.c.owner_id == owner).limit(1)).first() is not None
        for table in (adjusted, indices)
    )
    return own, everywhere


def region_market(
    connection: Connection, owner: UUID, region_id: int, solar_system_id: int | None = None
) -> RegionMarket | None:
    """The region's latest quotes with the adjusted prices, and the cost indices of
    ``solar_system_id`` (else of the region's job site), the user's own over the shared ones;
    None if neither has data there."""
    regions = REGIONS.view
    found = list(
        connection.execute(
            select(regions.c.owner_id, regions.c.region_id, regions.c.job_site).where(
                regions.c.owner_id.in_(_owners(owner)), regions.c.region_id == region_id
            )
        )
    )
    if not found:
        return None
    sites = _own_first((row for row in found if row.job_site), owner, lambda row: row.region_id)
    site = msgspec.convert(sites[region_id].job_site, JobSite) if sites else None
    system = solar_system_id if solar_system_id is not None else site.solar_system_id if site else None
    prices, adjusted, indices = PRICES.view, ADJUSTED.view, INDICES.view
    owners = prices.c.owner_id.in_(_owners(owner))
    quotes = _own_first(
        connection.execute(select(prices).where(owners, prices.c.region_id == region_id)), owner, _type_id
    )
    adjusted_rows = _own_first(
        connection.execute(select(adjusted).where(adjusted.c.owner_id.in_(_owners(owner)))), owner, _type_id
    )
    index_rows = (
        _own_first(
            connection.execute(
                select(indices).where(indices.c.owner_id.in_(_owners(owner)), indices.c.solar_system_id == system)
            ),
            owner,
            lambda row: row.activity,
        )
        if system is not None
        else {}
    )
    return RegionMarket(
        MarketData(
            region_id,
            [_quote(region_id, row) for row in quotes.values()],
            [_adjusted(row) for row in adjusted_rows.values()],
            [
                CostIndex(
                    solar_system_id=row.solar_system_id,
                    activity=ActivityKind(row.activity),
                    cost_index=row.cost_index,
                    observed_at=row.observed_at,
                )
                for row in index_rows.values()
            ],
        ),
        site,
    )


def _type_id(row: Any) -> int:
    return int(row.type_id)


def _adjusted(row: Any) -> AdjustedPrice:
    return AdjustedPrice(
        type_id=row.type_id,
        adjusted_price=row.adjusted_price,
        average_price=row.average_price,
        observed_at=row.observed_at,
    )


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


def latest_prices(
    connection: Connection, owner: UUID, regions: Iterable[int], type_ids: Sequence[int]
) -> dict[tuple[int, int], tuple[float | None, float | None]]:
    """(lowest sell, highest buy) per (region, item) in the regions, the user's own over the
    shared ones."""
    wanted = sorted(set(regions))
    if not wanted or not type_ids:
        return {}
    prices = PRICES.view
    columns = (prices.c.owner_id, prices.c.region_id, prices.c.type_id, prices.c.lowest_sell, prices.c.highest_buy)
    rows = connection.execute(
        select(*columns).where(
            prices.c.owner_id.in_(_owners(owner)), prices.c.region_id.in_(wanted), prices.c.type_id.in_(type_ids)
        )
    )
    found = _own_first(rows, owner, lambda row: (row.region_id, row.type_id))
    return {(row.region_id, row.type_id): (row.lowest_sell, row.highest_buy) for row in found.values()}


def item_prices(connection: Connection, owner: UUID, region_id: int, type_id: int) -> ItemPricesView | None:
    """One item's latest quote (with the history of whoever's quote it is: the user's own, else
    the shared one), adjusted price, in a region; None if neither has data for the region."""
    regions, prices, history, adjusted = REGIONS.view, PRICES.view, HISTORY.view, ADJUSTED.view
    known = connection.execute(
        select(regions.c.region_id).where(regions.c.owner_id.in_(_owners(owner)), regions.c.region_id == region_id)
    ).first()
    if known is None:
        return None
    latest = _own_first(
        connection.execute(
            select(prices).where(
                prices.c.owner_id.in_(_owners(owner)), prices.c.region_id == region_id, prices.c.type_id == type_id
            )
        ),
        owner,
        _type_id,
    ).get(type_id)
    value = _own_first(
        connection.execute(
            select(adjusted).where(adjusted.c.owner_id.in_(_owners(owner)), adjusted.c.type_id == type_id)
        ),
        owner,
        _type_id,
    ).get(type_id)
    whose = latest.owner_id if latest is not None else owner
    points = connection.execute(
        select(history)
        .where(history.c.owner_id == whose, history.c.region_id == region_id, history.c.type_id == type_id)
        .order_by(history.c.observed_at)
    )
    return ItemPricesView(
        region_id=region_id,
        type_id=type_id,
        latest=_quote(region_id, latest) if latest else None,
        adjusted=_adjusted(value) if value else None,
        history=[msgspec.convert(point, PricePointView, from_attributes=True) for point in points],
        shared=latest is not None and latest.owner_id != owner,
    )
