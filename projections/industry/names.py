"""The catalog name of a read model's product, for queries that show it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from projections.catalog import CATALOG_ITEMS, catalog_key_of


def product_name(table: Table) -> Any:
    """A scalar subquery: the catalog name (of the catalog the owner follows) of the row's
    ``product_type_id``."""
    items = CATALOG_ITEMS.view
    return (
        select(items.c.name)
        .where(items.c.owner_id == catalog_key_of(table.c.owner_id), items.c.type_id == table.c.product_type_id)
        .scalar_subquery()
    )
