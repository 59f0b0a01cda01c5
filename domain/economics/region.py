"""One region as economics prices it: the user's market data there and where its jobs run."""

from __future__ import annotations

import msgspec

from domain.economics.market import MarketData
from domain.economics.settings import JobSite


class RegionMarket(msgspec.Struct, frozen=True):
    """What economics needs of one region: its market data and where its jobs are priced."""

    data: MarketData
    job_site: JobSite | None
