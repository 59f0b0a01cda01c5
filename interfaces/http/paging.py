"""Page parameters of list queries: ``limit`` (with its default and maximum in the schema) and
``offset``. Every list a client can grow is read a page at a time, in a stable order, so no
query loads more rows than its maximum."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import QueryParameter

from domain.limits import INT32_MAX

DEFAULT_PAGE = 1000
MAX_PAGE = 10_000


def limit(default: int = DEFAULT_PAGE, maximum: int = MAX_PAGE) -> Any:
    """``limit`` of a list query; the handler's parameter default must be ``default``."""
    return Annotated[
        int, QueryParameter(ge=1, le=maximum, description=f"At most this many (default {default}, at most {maximum})")
    ]


Limit = limit()
Offset = Annotated[
    int, QueryParameter(ge=0, le=INT32_MAX, description="Skip this many first (next page: offset + limit)")
]
