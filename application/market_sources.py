"""Market files saved from the game's public market API (ESI), read into the economics value objects.

Layouts and field names as ESI answers them (checked 2026 against the ESI OpenAPI models
``get_markets_region_id_orders_200_ok``, ``get_markets_prices_200_ok``,
``get_industry_systems_200_ok``/``cost_indice`` and ``get_markets_region_id_history_200_ok``):

- ``GET /markets/{region_id}/orders/``: ``[{order_id, type_id, location_id, system_id,
  is_buy_order, price, volume_remain, volume_total, min_volume, range, duration, issued}]``.
  The region is in the path, not the records, so the caller names it.
- ``GET /markets/prices/``: ``[{type_id, adjusted_price, average_price}]`` (both prices optional).
- ``GET /industry/systems/``: ``[{solar_system_id, cost_indices: [{activity, cost_index}]}]``,
  activity one of manufacturing, researching_time_efficiency, researching_material_efficiency,
  copying, invention, reaction (older names such as duplicating are skipped).
- ``GET /markets/{region_id}/history/?type_id=``: ``[{date, average, highest, lowest,
  order_count, volume}]`` for one item.

A file may hold one JSON array, several (one per ESI page, back to back), or one object per line;
``.gz`` files are read through gzip. Records are decoded one at a time, so a region's whole order
book never sits in memory as JSON: only the per-item aggregate does. ESI bodies carry no time
(it is in the Last-Modified header), so ``observed_at`` is the caller's, else the file's mtime.
"""

from __future__ import annotations

import codecs
import gzip
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from io import BufferedReader
from pathlib import Path
from typing import Protocol, TypeVar

import msgspec

from application.catalog_sources.assemble import malformed
from domain.catalog.model import ActivityKind
from domain.economics.market import AdjustedPrice, CostIndex, DepthLevel, MarketData, PriceQuote
from domain.errors import InvalidInput

ESI_ACTIVITIES = {
    "manufacturing": ActivityKind.MANUFACTURING,
    "researching_time_efficiency": ActivityKind.RESEARCH_TIME,
    "researching_material_efficiency": ActivityKind.RESEARCH_MATERIAL,
    "copying": ActivityKind.COPYING,
    "invention": ActivityKind.INVENTION,
    "reaction": ActivityKind.REACTION,
}

_CHUNK = 1 << 20  # characters read at a time
_MAX_RECORD = 16 << 20  # a record longer than this is a broken file, not a big one


class _Order(msgspec.Struct):
    type_id: int
    is_buy_order: bool
    price: float
    volume_remain: int
    location_id: int | None = None


class _Price(msgspec.Struct):
    type_id: int
    adjusted_price: float | None = None
    average_price: float | None = None


class _SystemIndex(msgspec.Struct):
    activity: str
    cost_index: float


class _System(msgspec.Struct):
    solar_system_id: int
    cost_indices: list[_SystemIndex] = []


class _Day(msgspec.Struct):
    date: str
    volume: int


R = TypeVar("R")


class _Book:
    """One item's side of the order book, aggregated while the orders stream past."""

    __slots__ = ("lowest_sell", "highest_buy", "sell_volume", "buy_volume", "depth")

    def __init__(self) -> None:
        self.lowest_sell: float | None = None
        self.highest_buy: float | None = None
        self.sell_volume = 0
        self.buy_volume = 0
        self.depth: dict[float, int] = {}

    def add(self, order: OrderRecord, depth: bool) -> None:
        if order.is_buy_order:
            self.buy_volume += order.volume_remain
            if self.highest_buy is None or order.price > self.highest_buy:
                self.highest_buy = order.price
            return
        self.sell_volume += order.volume_remain
        if self.lowest_sell is None or order.price < self.lowest_sell:
            self.lowest_sell = order.price
        if depth:
            self.depth[order.price] = self.depth.get(order.price, 0) + order.volume_remain


class OrderRecord(Protocol):
    """An order as ESI's ``/markets/{region_id}/orders/`` answers it (the fields read here)."""

    @property
    def type_id(self) -> int: ...
    @property
    def is_buy_order(self) -> bool: ...
    @property
    def price(self) -> float: ...
    @property
    def volume_remain(self) -> int: ...
    @property
    def location_id(self) -> int | None: ...


class PriceRecord(Protocol):
    """An entry of ESI's ``/markets/prices/``."""

    @property
    def type_id(self) -> int: ...
    @property
    def adjusted_price(self) -> float | None: ...
    @property
    def average_price(self) -> float | None: ...


class SystemIndexRecord(Protocol):
    @property
    def activity(self) -> str: ...
    @property
    def cost_index(self) -> float: ...


class SystemRecord(Protocol):
    """An entry of ESI's ``/industry/systems/``."""

    @property
    def solar_system_id(self) -> int: ...
    @property
    def cost_indices(self) -> Sequence[SystemIndexRecord]: ...


def read_orders(
    paths: Path | Iterable[Path],
    region_id: int,
    *,
    observed_at: datetime | None = None,
    location_ids: Iterable[int] | None = None,
    daily_volumes: Mapping[int, float] | None = None,
    depth: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[PriceQuote]:
    """One quote per item from a region's order pages saved as files (see ``quotes_from_orders``).
    ``progress`` is told how many bytes of the files (as stored, compressed or not) each read
    consumed."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    orders = (order for path in files for order in _records(path, _Order, progress))
    return quotes_from_orders(
        orders,
        region_id,
        observed_at or files_time(files),
        location_ids=location_ids,
        daily_volumes=daily_volumes,
        depth=depth,
    )


def quotes_from_orders(
    orders: Iterable[OrderRecord],
    region_id: int,
    observed_at: datetime,
    *,
    location_ids: Iterable[int] | None = None,
    daily_volumes: Mapping[int, float] | None = None,
    depth: bool = True,
) -> list[PriceQuote]:
    """One quote per item from a region's orders (from files or the ESI sync): lowest sell,
    highest buy, listed volumes and (with ``depth``) the sell side by price. ``location_ids``
    keeps only orders at those stations or structures (e.g. a trade hub), ignoring the rest of
    the region."""
    places = frozenset(location_ids) if location_ids is not None else None
    books: dict[int, _Book] = {}
    for order in orders:
        if order.volume_remain <= 0 or (places is not None and order.location_id not in places):
            continue
        book = books.get(order.type_id)
        if book is None:
            book = books[order.type_id] = _Book()
        book.add(order, depth)
    volumes = daily_volumes or {}
    return [
        PriceQuote(
            region_id=region_id,
            type_id=type_id,
            observed_at=observed_at,
            lowest_sell=book.lowest_sell,
            highest_buy=book.highest_buy,
            sell_volume=book.sell_volume,
            buy_volume=book.buy_volume,
            daily_volume=volumes.get(type_id),
            sell_depth=tuple(DepthLevel(price=price, volume=volume) for price, volume in sorted(book.depth.items())),
        )
        for type_id, book in sorted(books.items())
    ]


def read_adjusted_prices(path: Path, *, observed_at: datetime | None = None) -> list[AdjustedPrice]:
    """Adjusted prices from a saved /markets/prices/ (see ``adjusted_from_prices``)."""
    return adjusted_from_prices(_records(path, _Price), observed_at or files_time([path]))


def adjusted_from_prices(prices: Iterable[PriceRecord], observed_at: datetime) -> list[AdjustedPrice]:
    """Adjusted prices; items without one are left out (their job cost is then reported as
    missing, not priced at 0)."""
    return [
        AdjustedPrice(
            type_id=price.type_id,
            adjusted_price=price.adjusted_price,
            average_price=price.average_price,
            observed_at=observed_at,
        )
        for price in prices
        if price.adjusted_price is not None
    ]


def read_cost_indices(path: Path, *, observed_at: datetime | None = None) -> list[CostIndex]:
    """Cost indices from a saved /industry/systems/ (see ``indices_from_systems``)."""
    return indices_from_systems(_records(path, _System), observed_at or files_time([path]))


def indices_from_systems(systems: Iterable[SystemRecord], observed_at: datetime) -> list[CostIndex]:
    """Cost indices, one per (solar system, activity); activities not known here are skipped."""
    return [
        CostIndex(
            solar_system_id=system.solar_system_id,
            activity=activity,
            cost_index=entry.cost_index,
            observed_at=observed_at,
        )
        for system in systems
        for entry in system.cost_indices
        if (activity := ESI_ACTIVITIES.get(entry.activity)) is not None
    ]


def read_daily_volume(path: Path, *, days: int = 30) -> float | None:
    """Average units traded per day over the last ``days`` entries of one item's market history."""
    history = sorted(_records(path, _Day), key=lambda day: day.date)[-days:]
    return sum(day.volume for day in history) / len(history) if history else None


def load_market(
    region_id: int,
    *,
    orders: Path | Iterable[Path] = (),
    prices: Path | None = None,
    systems: Path | None = None,
    observed_at: datetime | None = None,
    location_ids: Iterable[int] | None = None,
    daily_volumes: Mapping[int, float] | None = None,
) -> MarketData:
    """A region's market from the files at hand; a file not given leaves its numbers missing."""
    return MarketData(
        region_id,
        quotes=read_orders(
            orders, region_id, observed_at=observed_at, location_ids=location_ids, daily_volumes=daily_volumes
        ),
        adjusted=read_adjusted_prices(prices, observed_at=observed_at) if prices else (),
        cost_indices=read_cost_indices(systems, observed_at=observed_at) if systems else (),
    )


def _records(path: Path, record_type: type[R], progress: Callable[[int], None] | None = None) -> Iterator[R]:
    """Each top-level object of ``path`` (inside arrays, or one per line), decoded as ``record_type``."""
    for number, record in enumerate(_objects(path, progress), start=1):
        try:
            yield msgspec.convert(record, record_type)
        except msgspec.ValidationError as error:
            raise malformed(path.name, f"record {number}", error) from error


def _objects(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[object]:
    """Top-level JSON objects one at a time: the C decoder reads each from a rolling buffer."""
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8")()
    buffer = ""
    position = 0
    ended = False
    number = 0
    stored = 0  # bytes of the file as stored, read so far
    with _open(path) as raw:
        underlying = raw.fileobj if isinstance(raw, gzip.GzipFile) else raw

        def read_more() -> None:
            nonlocal buffer, position, ended, stored
            chunk = raw.read(_CHUNK)
            if progress is not None:
                now = underlying.tell()  # type: ignore[union-attr]  # gzip.open(path) wraps a real file
                progress(now - stored)
                stored = now
            ended = not chunk
            buffer = buffer[position:] + text.decode(chunk, final=ended)
            position = 0

        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n,[]":
                position += 1
            if position == len(buffer):
                if ended:
                    return
                read_more()
                continue
            if buffer[position] != "{":
                raise malformed(path.name, f"record {number + 1}", f"expected an object, found {buffer[position]!r}")
            try:
                record, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as error:
                if ended or len(buffer) - position > _MAX_RECORD:
                    raise malformed(path.name, f"record {number + 1}", error) from error
                read_more()  # the record goes on in the next chunk
                continue
            number += 1
            position = end
            yield record


def _open(path: Path) -> gzip.GzipFile | BufferedReader:
    try:
        return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")
    except OSError as error:
        raise InvalidInput(f"{path}: {error.strerror or error}", field="path") from error


def files_time(paths: Iterable[Path]) -> datetime:
    """When files saved from ESI were observed, for want of a better time: the oldest mtime."""
    times = [path.stat().st_mtime for path in paths]
    return datetime.fromtimestamp(min(times), UTC) if times else datetime.now(UTC)
