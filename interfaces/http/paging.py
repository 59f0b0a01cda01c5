"""Page parameters of list queries: ``limit`` (with its default and maximum in the schema) and
``offset``. Every list a client can grow is read a page at a time, in a stable order, so no
query loads more rows than its maximum."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from domain.limits import INT32_MAX

DEFAULT_PAGE = 1000
MAX_PAGE = 10_000


def limit_parameter(default: int = DEFAULT_PAGE, maximum: int = MAX_PAGE) -> QueryParameter:
    """``limit`` of a list query (``Annotated[int, limit_parameter(...)]``); the handler's
    parameter default must be ``default``."""
    return QueryParameter(ge=1, le=maximum, description=f"At most this many (default {default}, at most {maximum})")


Limit = Annotated[int, limit_parameter()]
Offset = Annotated[
    int, QueryParameter(ge=0, le=INT32_MAX, description="Skip this many first (next page: offset + limit)")
]
