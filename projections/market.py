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
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
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
    Select,
    String,
    Table,
    Uuid,
    func,
    select,
)

from domain.catalog.catalog import SHARED_CATALOG_OWNER
from domain.catalog.model import ActivityKind
from domain.economics.batch import MarketBatchRecorded
from domain.economics.market import AdjustedPrice, CostIndex, DepthLevel, MarketData, PriceQuote
from domain.economics.region import RegionMarket
from domain.economics.settings import JobSite
from domain.events import Event
from projections.keyed import delete_keys, select_keys
from projections.readmodel import ReadModelTable, insert_rows
from projections.runtime import Projection, handles
from projections.types import UtcDateTime

DEFAULT_HISTORY_DAYS = 30
TREND = ("lowest_sell", "highest_buy", "daily_volume")  # a change in one of these is a history point
# Rows folded in memory at most before they are written. Measured on 1,014,078 events (rebuild
# batches of 5,000 events of 31 rows each): a batch folded at once peaked at 231 MB, in groups
# of this size at 185 MB, and took no longer.
FOLD_ROWS = 10_000

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

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        """Folded in memory, and written, in groups of at most ``FOLD_ROWS`` rows (or one event):
        a batch is a number of events, and one event can hold a region's whole order book."""
        for group in _groups(events):
            changes = MarketChanges(connection, tables, group, self.history)
            for event in group:
                self.dispatch(event, changes)
            changes.write(connection)

    @handles(MarketBatchRecorded)
    def _batch_recorded(self, changes: MarketChanges, event: MarketBatchRecorded) -> None:
        changes.record(event)


class Newest:
    """One table's rows kept per key only where at least as new as the kept one (``offer``),
    folded in memory from the rows stored for the batch's keys; ``write`` replaces the rows
    that changed."""

    def __init__(
        self,
        connection: Connection,
        table: Table,
        key: tuple[str, ...],
        keys: set[tuple[Any, ...]],
        compare: tuple[str, ...] = (),
    ) -> None:
        self.table, self.key, self.compare = table, key, compare
        width = len(key)
        stored = select_keys(connection, table, key, keys, ("observed_at", *compare))
        self.kept: dict[tuple[Any, ...], tuple[Any, ...]] = {row[:width]: row[width:] for row in stored}
        self.stored = set(self.kept)
        self.rows: dict[tuple[Any, ...], dict[str, Any]] = {}  # to write

    def offer(self, key: tuple[Any, ...], row: dict[str, Any]) -> tuple[Any, ...] | None:
        """Keep ``row`` if it is at least as new as the kept one; returns the kept one as it
        was: (observed_at, *compare)."""
        old = self.kept.get(key)
        if old is None or row["observed_at"] >= old[0]:
            self.kept[key] = (row["observed_at"], *(row[name] for name in self.compare))
            self.rows[key] = row
        return old

    def write(self, connection: Connection) -> None:
        delete_keys(connection, self.table, self.key, self.stored & self.rows.keys())
        insert_rows(connection, self.table, list(self.rows.values()))


class MarketChanges:
    """A batch of market data folded in memory, then written once per table: each region's
    count, newest observation and job site; the newest quote per item, adjusted price per item
    and cost index per (solar system, activity); the history points the quotes add.

    A region's history keeps what was observed within ``history`` of the region's newest
    observation. That newest only grows, so pruning once after the batch (with the region's
    newest after it) keeps exactly what pruning after each event kept: a point dropped then is
    older than every later cutoff too. A region not stored before the batch has no history
    stored, and its keys no rows to replace: only regions stored before are read and deleted
    from (a rebuild's batches are mostly new users)."""

    def __init__(
        self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event], history: timedelta
    ) -> None:
        self.tables, self.history = tables, history
        batches = [event for event in events if isinstance(event, MarketBatchRecorded)]
        located = {(event.owner_id, event.region_id) for event in batches if event.region_id is not None}
        columns = ("job_site", "batches", "last_observed_at", "updated_at")
        self.regions = {
            (owner, region): dict(zip(("owner_id", "region_id", *columns), row, strict=True))
            for row in select_keys(connection, tables["market_regions"], _REGION, located, columns)
            for owner, region in [row[:2]]
        }
        self.stored_regions = set(self.regions)
        self.prices = Newest(
            connection,
            tables["market_prices"],
            _PRICE,
            {
                (event.owner_id, event.region_id, quote.type_id)
                for event in batches
                if (event.owner_id, event.region_id) in self.stored_regions
                for quote in event.quotes
            },
            TREND,
        )
        self.adjusted = Newest(
            connection,
            tables["market_adjusted_prices"],
            ("owner_id", "type_id"),
            {(event.owner_id, row.type_id) for event in batches for row in event.adjusted_prices},
        )
        self.indices = Newest(
            connection,
            tables["market_cost_indices"],
            ("owner_id", "solar_system_id", "activity"),
            {
                (event.owner_id, row.solar_system_id, row.activity.value)
                for event in batches
                for row in event.cost_indices
            },
        )
        self.points: dict[tuple[Any, ...], dict[str, Any]] = {}  # history, by its key: the last batch's

    def record(self, event: MarketBatchRecorded) -> None:
        owner, when = event.owner_id, event.observed_at
        if event.region_id is not None:
            self._count(event)
            for quote in (_quote_row(owner, event, row) for row in event.quotes):
                key = (owner, event.region_id, quote["type_id"])
                if _moved(quote, self.prices.offer(key, quote)):
                    self.points[(*key, quote["observed_at"])] = quote
        for price in event.adjusted_prices:
            adjusted = {
                "owner_id": owner,
                "type_id": price.type_id,
                "adjusted_price": price.adjusted_price,
                "average_price": price.average_price,
                "observed_at": price.observed_at or when,
            }
            self.adjusted.offer((owner, price.type_id), adjusted)
        for row in event.cost_indices:
            index = {
                "owner_id": owner,
                "solar_system_id": row.solar_system_id,
                "activity": row.activity.value,
                "cost_index": row.cost_index,
                "observed_at": row.observed_at or when,
            }
            self.indices.offer((owner, row.solar_system_id, index["activity"]), index)

    def _count(self, event: MarketBatchRecorded) -> None:
        """Count the batch in its region, and keep its newest observation and job site."""
        times = [row.observed_at for row in event.quotes if row.observed_at is not None]
        batch_newest = max([event.observed_at, *times]) if event.quotes else None
        key = (event.owner_id, event.region_id)
        site = msgspec.to_builtins(event.job_site) if event.job_site else None
        region = self.regions.get(key)
        if region is None:
            self.regions[key] = {
                "owner_id": event.owner_id,
                "region_id": event.region_id,
                "job_site": site,
                "batches": 1,
                "last_observed_at": batch_newest,
                "updated_at": event.timestamp,
            }
            return
        newest = max((t for t in (region["last_observed_at"], batch_newest) if t is not None), default=None)
        region.update(batches=region["batches"] + 1, last_observed_at=newest, updated_at=event.timestamp)
        if site is not None:
            region["job_site"] = site

    def write(self, connection: Connection) -> None:
        regions, history = self.tables["market_regions"], self.tables["market_price_history"]
        delete_keys(connection, regions, _REGION, self.stored_regions)
        insert_rows(connection, regions, list(self.regions.values()))
        self.prices.write(connection)
        self.adjusted.write(connection)
        self.indices.write(connection)
        cutoffs = {
            key: region["last_observed_at"] - self.history
            for key, region in self.regions.items()
            if region["last_observed_at"] is not None
        }
        stored = self.stored_regions
        delete_keys(connection, history, _POINT, [key for key in self.points if key[:2] in stored])
        delete_keys(
            connection, history, _REGION, [(*key, cutoffs[key]) for key in stored if key in cutoffs], "observed_at"
        )
        kept = [point for key, point in self.points.items() if key[3] >= cutoffs[key[:2]]]
        insert_rows(connection, history, kept)


def _groups(events: Sequence[Event]) -> Iterator[list[Event]]:
    """The events in order, in groups of at most ``FOLD_ROWS`` rows (or of one event)."""
    group: list[Event] = []
    rows = 0
    for event in events:
        size = _rows(event)
        if group and rows + size > FOLD_ROWS:
            yield group
            group, rows = [], 0
        group.append(event)
        rows += size
    if group:
        yield group


def _rows(event: Event) -> int:
    if not isinstance(event, MarketBatchRecorded):
        return 1
    return len(event.quotes) + len(event.adjusted_prices) + len(event.cost_indices)


_REGION = ("owner_id", "region_id")
_PRICE = ("owner_id", "region_id", "type_id")
_POINT = ("owner_id", "region_id", "type_id", "observed_at")


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
    history: list[PricePointView]  # oldest first, within the retention: a page counted from the newest
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


def _region_page(owner: UUID, limit: int | None, offset: int) -> Select[int]:
    """SQL: a page of the ids of the regions with the user's own or shared market data, ascending."""
    table = REGIONS.view
    query = select(table.c.region_id).where(table.c.owner_id.in_(_owners(owner))).distinct()
    return query.order_by(table.c.region_id).limit(limit).offset(offset)


def region_ids(connection: Connection, owner: UUID, limit: int | None = None, offset: int = 0) -> list[int]:
    """A page of the regions with the user's own or shared market data, by id."""
    return list(connection.execute(_region_page(owner, limit, offset)).scalars())


def has_region(connection: Connection, owner: UUID, region_id: int) -> bool:
    """Whether the user has their own or shared market data for the region."""
    regions = REGIONS.view
    query = select(regions.c.region_id).where(regions.c.owner_id.in_(_owners(owner)), regions.c.region_id == region_id)
    return connection.execute(query.limit(1)).first() is not None


def list_regions(connection: Connection, owner: UUID, limit: int | None = None, offset: int = 0) -> list[RegionView]:
    """A page of the regions with the user's own or shared market data, by id; counts are of
    both together, and only the page's regions are read and counted."""
    regions, prices = REGIONS.view, PRICES.view
    page = _region_page(owner, limit, offset)
    rows = connection.execute(
        select(regions).where(regions.c.owner_id.in_(_owners(owner)), regions.c.region_id.in_(page))
    )
    items: dict[int, int] = dict(
        connection.execute(
            select(prices.c.region_id, func.count(prices.c.type_id.distinct()))
            .where(prices.c.owner_id.in_(_owners(owner)), prices.c.region_id.in_(page))
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
    return views


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


def item_prices(
    connection: Connection, owner: UUID, region_id: int, type_id: int, limit: int | None = None, offset: int = 0
) -> ItemPricesView | None:
    """One item's latest quote (with the history of whoever's quote it is: the user's own, else
    the shared one), adjusted price, in a region; None if neither has data for the region. The
    history is a page of its points counted from the newest (``offset`` newest skipped, then
    at most ``limit``), listed oldest first: one point per batch that moved the price adds up."""
    prices, adjusted = PRICES.view, ADJUSTED.view
    if not has_region(connection, owner, region_id):
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
    history = HISTORY.view
    newest = connection.execute(
        select(history)
        .where(history.c.owner_id == whose, history.c.region_id == region_id, history.c.type_id == type_id)
        .order_by(history.c.observed_at.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return ItemPricesView(
        region_id=region_id,
        type_id=type_id,
        latest=_quote(region_id, latest) if latest else None,
        adjusted=_adjusted(value) if value else None,
        history=[msgspec.convert(point, PricePointView, from_attributes=True) for point in reversed(newest)],
        shared=latest is not None and latest.owner_id != owner,
    )
