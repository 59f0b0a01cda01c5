"""How the pages write numbers, amounts and times (Jinja filters)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any


def duration(seconds: float | None) -> str:
    """``5400`` -> ``1 h 30 min``; under a minute ``45 s``; days for long jobs; ``-`` when unknown."""
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def number(value: float | int | None) -> str:
    """Thousands separated, at most two decimals; ``-`` when unknown."""
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def moment(value: datetime | None) -> str:
    """A UTC time as the game shows it: ``2026-12-03 00:15``."""
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def words(value: str) -> str:
    """``in_progress`` -> ``in progress``."""
    return value.replace("_", " ").replace("-", " ")


FILTERS: dict[str, Callable[..., Any]] = {"duration": duration, "number": number, "moment": moment, "words": words}
