"""Every projection of Manufactory, in the order the runtime feeds them."""

from __future__ import annotations

from projections.catalog import CatalogProjection
from projections.industry import IndustryProjection
from projections.manufacturing import ManufacturingProjection
from projections.runtime import Projection
from projections.stockpiles import StockpilesProjection
from projections.users import UsersProjection


def all_projections() -> list[Projection]:
    return [
        UsersProjection(),
        ManufacturingProjection(),
        CatalogProjection(),
        IndustryProjection(),
        StockpilesProjection(),
    ]
