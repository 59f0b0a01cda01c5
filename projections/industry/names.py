"""The catalog name of a read model's product, for queries that show it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from projections.catalog import item_name


def product_name(table: Table) -> Any:
    """The name of the row's ``product_type_id`` for its owner (``item_name``)."""
    return item_name(table.c.owner_id, table.c.product_type_id)
