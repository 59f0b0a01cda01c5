"""The catalog name of a read model's product, for queries that show it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from projections.catalog import CATALOG_ITEMS


def product_name(table: Table) -> Any:
    """A scalar subquery: the owner's catalog name of the row's ``product_type_id``."""
    items = CATALOG_ITEMS.view
    return (
        select(items.c.name)
        .where(items.c.owner_id == table.c.owner_id, items.c.type_id == table.c.product_type_id)
        .scalar_subquery()
    )
