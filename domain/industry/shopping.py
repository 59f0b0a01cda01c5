"""Shopping lists: what to buy for a chain or a plan run, less what is already held.

The quantities required come from the chain math (materials rounded per job, as the game
does: ``domain.catalog.chains``) or from a run's recorded jobs, and are never rounded again
here: public planners are known for lists short of materials, so every unit is carried as
the jobs will consume it. What to buy is required less held, never below 0, and an item the
holdings cover is not listed (the list is the delta). Volume and cost follow the hauls' and
economics' rule: an unknown volume or price is listed in ``missing`` and makes the total
None, never read as 0.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import msgspec

from domain.economics.market import SELL, MarketData, Missing, PricePoint
from domain.industry.generation import SkippedItem, apportion, volume_of
from domain.industry.jobs import JobMaterial


class ShoppingLine(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    type_id: int
    name: str | None  # None: the catalog has no such item (listed in missing)
    required: int
    held: int  # at the location asked (0 without one)
    to_buy: int  # required - held, above 0 (a line is listed only then)
    volume: float | None  # m3 of to_buy; None: the catalog has no volume for the item
    unit_price: float | None  # lowest sell in the region asked; None without one or without a sell order
    cost: float | None  # to_buy x unit_price


class ShoppingTotals(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    items: int  # lines
    units: int  # every line's to_buy
    volume: float | None  # m3 in all; None when a line's volume is unknown
    cost: float | None  # None without a region, or when a line's price is missing
    prices_as_of: datetime | None  # the oldest order book the cost rests on


class ShoppingList(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    lines: tuple[ShoppingLine, ...]  # by type id
    totals: ShoppingTotals
    missing: tuple[Missing, ...]  # what = "name", "volume" or "sell_price"; id = the item


def shopping_list(
    required: Mapping[int, int],
    names: Mapping[int, str],
    volumes: Mapping[int, float | None],
    held: Mapping[int, int] | None = None,
    market: MarketData | None = None,
) -> ShoppingList:
    """The lines to buy for ``required`` units per item, less what is ``held`` (at one
    location), with each line's volume and, with a ``market``, its cost at the lowest sell."""
    lines: list[ShoppingLine] = []
    missing: list[Missing] = []
    observed: list[datetime] = []
    for type_id, units in sorted(required.items()):
        have = (held or {}).get(type_id, 0)
        to_buy = max(units - have, 0)
        if to_buy == 0:
            continue
        name = names.get(type_id)
        if name is None:
            missing.append(Missing(what="name", id=type_id, reason="the catalog has no such item"))
        volume = volume_of(to_buy, volumes.get(type_id))
        if volume is None:
            missing.append(Missing(what="volume", id=type_id, reason="the catalog has no volume for the item"))
        price: float | None = None
        if market is not None:
            point = market.price(type_id, SELL)
            if isinstance(point, PricePoint):
                price = point.price
                observed.append(point.observed_at)
            else:
                missing.append(point)
        lines.append(
            ShoppingLine(
                type_id=type_id,
                name=name,
                required=units,
                held=have,
                to_buy=to_buy,
                volume=volume,
                unit_price=price,
                cost=None if price is None else round(to_buy * price, 2),
            )
        )
    volumes_known = [line.volume for line in lines if line.volume is not None]
    costs_known = [line.cost for line in lines if line.cost is not None]
    totals = ShoppingTotals(
        items=len(lines),
        units=sum(line.to_buy for line in lines),
        volume=round(math.fsum(volumes_known), 4) if len(volumes_known) == len(lines) else None,
        cost=round(math.fsum(costs_known), 2) if market is not None and len(costs_known) == len(lines) else None,
        prices_as_of=min(observed, default=None),
    )
    return ShoppingList(lines=tuple(lines), totals=totals, missing=tuple(missing))


class RunJobNeeds(msgspec.Struct, frozen=True, kw_only=True):
    """What one job of a run consumes, and whether it is still planned (a job started in the
    game has its materials already; a cancelled one needs none)."""

    planned: bool
    materials: tuple[JobMaterial, ...]


def run_purchases(jobs: Sequence[RunJobNeeds], skipped: Iterable[SkippedItem]) -> dict[int, int]:
    """Units per item a run still has to buy: what its planned jobs consume of what the run
    buys, not what its own jobs make.

    A material a job buys (source ``buy``) is bought whole. One it makes (``make``) is not
    bought. A ``mixed`` one is consumed by a merged job whose steps partly make it and partly
    buy it, and the job does not store the split; the run does: ``skipped`` is every unit
    the generation decided to buy, so what the mixed jobs buy of an item is its skipped units
    less what its ``buy`` jobs consume (equally, what they consume less what the run's jobs
    make of it for them). That is shared among the mixed jobs in proportion to what each
    consumes (the whole bought part is exact; its split among several merged steps is the
    proportional one), so a started mixed job takes its share with it."""
    bought: dict[int, int] = defaultdict(int)
    for item in skipped:
        bought[item.type_id] += item.quantity
    for job in jobs:
        for material in job.materials:
            if material.source == "buy":
                bought[material.type_id] -= material.quantity
    mixed: dict[int, list[tuple[bool, int]]] = defaultdict(list)
    needs: dict[int, int] = defaultdict(int)
    for job in jobs:
        for material in job.materials:
            if material.source == "mixed":
                mixed[material.type_id].append((job.planned, material.quantity))
            elif material.source == "buy" and job.planned:
                needs[material.type_id] += material.quantity
    for type_id, consumers in mixed.items():
        shares = apportion(max(bought[type_id], 0), [quantity for _, quantity in consumers])
        needs[type_id] += sum(share for (planned, _), share in zip(consumers, shares, strict=True) if planned)
    return {type_id: units for type_id, units in sorted(needs.items()) if units > 0}
