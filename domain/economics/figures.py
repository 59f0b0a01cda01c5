"""Figures: numbers that know how old their prices are, and the arithmetic that keeps it so.

A figure is unknown (None) where any price behind it is missing: never read as 0. Its ``as_of``
is the observation time of the oldest price behind it. Shared by the per-item economics and the
invention costs, which feed each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from domain.economics.market import Missing, PricePoint, Value


class Figure(Value, frozen=True):
    """A number with the observation time of the oldest price behind it; None where unknown."""

    value: float | None = None
    as_of: datetime | None = None


UNKNOWN = Figure()


def price_figure(found: PricePoint | Missing, missing: list[Missing], approximate: list[int], type_id: int) -> Figure:
    """A price as a figure; a missing one is added to ``missing`` (and unknown), an approximate
    one's item to ``approximate``."""
    if isinstance(found, Missing):
        missing.append(found)
        return UNKNOWN
    if found.approximate:
        approximate.append(type_id)
    return Figure(value=found.price, as_of=found.observed_at)


def combine(function: Callable[..., float | None], *figures: Figure) -> Figure:
    """``function`` of the figures' values, as of the oldest; unknown if any input is."""
    if any(figure.value is None for figure in figures):
        return UNKNOWN
    value = function(*(figure.value for figure in figures))
    if value is None:
        return UNKNOWN
    times = [figure.as_of for figure in figures if figure.as_of is not None]
    return Figure(value=value, as_of=min(times) if times else None)


def total_of(figures: Iterable[Figure]) -> Figure:
    """The sum as of the oldest figure; unknown if any figure is (``combine`` folded, unrolled
    because it runs once per material of every item of a full recomputation)."""
    total = 0.0
    oldest: datetime | None = None
    for figure in figures:
        if figure.value is None:
            return UNKNOWN
        total += figure.value
        if figure.as_of is not None and (oldest is None or figure.as_of < oldest):
            oldest = figure.as_of
    return Figure(value=total, as_of=oldest)
