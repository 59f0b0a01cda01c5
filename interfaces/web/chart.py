"""A price history as a line chart's geometry, worked out on the server so the page draws it as
inline SVG: no chart library and no script (an offline install shows it, and so does a browser
without JavaScript). The template (``price_chart.html``) draws what this computes; the same
points are listed in a table beside it for a screen reader and for exact values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from projections.market import PricePointView

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 84, 16, 12, 28  # room for the price labels on the left, dates below
Y_TICKS = 4


class Dot(msgspec.Struct, frozen=True, kw_only=True):
    x: float
    y: float
    value: float
    at: datetime


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """One series: ``points`` for the SVG polyline, ``dots`` to mark (and title) each value."""

    name: str  # "sell" or "buy": the CSS class that colours it
    label: str
    points: str
    dots: list[Dot]


class Tick(msgspec.Struct, frozen=True, kw_only=True):
    position: float
    value: float


class DateMark(msgspec.Struct, frozen=True, kw_only=True):
    x: float
    at: datetime
    anchor: str  # SVG text-anchor: the first date starts at its point, the last ends at it


class PriceChart(msgspec.Struct, frozen=True, kw_only=True):
    width: int
    height: int
    left: int
    right: float  # x of the plot's right edge
    top: int
    bottom: float  # y of the plot's bottom edge
    lines: list[Line]
    ticks: list[Tick]
    dates: list[DateMark]


def price_chart(history: Sequence[PricePointView]) -> PriceChart | None:
    """The lowest sell and the highest buy over time; None when no point has a price."""
    series = {
        "sell": [(point.observed_at, point.lowest_sell) for point in history if point.lowest_sell is not None],
        "buy": [(point.observed_at, point.highest_buy) for point in history if point.highest_buy is not None],
    }
    values = [value for points in series.values() for _, value in points]
    if not values:
        return None
    times = [point.observed_at for point in history]
    first, last = min(times), max(times)
    span = (last - first).total_seconds()
    low, high = min(values), max(values)
    if high == low:  # a flat price: a band around it, so the line sits in the middle
        low, high = low - max(abs(low) * 0.05, 1.0), high + max(abs(high) * 0.05, 1.0)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x_of(at: datetime) -> float:
        share = (at - first).total_seconds() / span if span else 0.5
        return round(LEFT + share * (right - LEFT), 1)

    def y_of(value: float) -> float:
        return round(bottom - (value - low) / (high - low) * (bottom - TOP), 1)

    labels = {"sell": "Lowest sell", "buy": "Highest buy"}
    lines = []
    for name, points in series.items():
        if points:
            dots = [Dot(x=x_of(at), y=y_of(value), value=value, at=at) for at, value in points]
            lines.append(Line(name=name, label=labels[name], points=" ".join(f"{d.x},{d.y}" for d in dots), dots=dots))
    step = (high - low) / Y_TICKS
    ticks = [Tick(position=y_of(low + i * step), value=low + i * step) for i in range(Y_TICKS + 1)]
    dates = [DateMark(x=x_of(first), at=first, anchor="start" if span else "middle")]
    if span:
        dates.append(DateMark(x=x_of(last), at=last, anchor="end"))
    frame = {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": right, "top": TOP, "bottom": bottom}
    return PriceChart(**frame, lines=lines, ticks=ticks, dates=dates)
