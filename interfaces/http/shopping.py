"""Shopping lists as HTTP answers: what the chain and plan-run routes share.

The lines are worked out in the domain (``domain.industry.shopping``); here they are read
(holdings at a location, a region's market) and written in the format asked: ``json`` (the
lines and totals), ``csv`` (a header row, then one row per line, quoted as RFC 4180 says:
names can hold commas and quotes) or ``multibuy`` (the game's multibuy paste: ``Name<TAB>units``
per line, plain integers, as ``text/plain``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio.to_thread
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import QueryParameter
from litestar.response import Response

from application.system import Manufactory
from domain.catalog.chains import CatalogSnapshot
from domain.economics.market import MarketData, Missing
from domain.errors import RuleViolation
from domain.industry.shopping import ShoppingLine, ShoppingList, ShoppingTotals, shopping_list
from domain.limits import INT64_MAX
from interfaces.http.bodies import Response as ResponseBody
from interfaces.http.context import await_projection, query_projection
from projections.stockpiles import held_by_type

ShoppingFormat = Literal["json", "csv", "multibuy"]

FormatQuery = Annotated[
    ShoppingFormat,
    QueryParameter(description="json (lines and totals), csv (a header row, RFC 4180) or multibuy (Name<TAB>units)"),
]
LocationQuery = Annotated[
    int | None,
    QueryParameter(
        name="locationId", ge=1, le=INT64_MAX, description="Subtract what you hold here: list only what is missing"
    ),
]
RegionQuery = Annotated[
    int | None, QueryParameter(ge=1, le=INT64_MAX, description="Price each line at the lowest sell in this region")
]

CSV_COLUMNS = ("typeId", "name", "required", "held", "toBuy", "volume", "unitPrice", "cost")
# Litestar adds "; charset=utf-8" to a text/ media type
CSV_MEDIA_TYPE = "text/csv; header=present"
MULTIBUY_MEDIA_TYPE = "text/plain"


@dataclass
class ShoppingListOperation(Operation):
    """A shopping-list route in the OpenAPI schema: its 200 is the JSON body the handler is
    annotated with, or the CSV or multibuy text (``operation_class=ShoppingListOperation``)."""

    def __post_init__(self) -> None:
        success = (self.responses or {}).get("200")
        if isinstance(success, OpenAPIResponse) and success.content is not None:
            text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
            success.content = {**success.content, "text/csv": text, "text/plain": text}


class ShoppingListOut(ResponseBody):
    location_id: int | None  # what is held there was subtracted
    region_id: int | None  # priced there
    lines: list[ShoppingLine]
    totals: ShoppingTotals
    missing: list[Missing]


class ChainShoppingListOut(ShoppingListOut):
    type_id: int
    name: str
    runs: int
    catalog_version: int


class RunShoppingListOut(ShoppingListOut):
    run_id: UUID
    plan_id: UUID


async def shopping(
    system: Manufactory,
    user_id: UUID,
    required: Mapping[int, int],
    snapshot: CatalogSnapshot,
    held: Mapping[int, int] | None,
    region_id: int | None,
    min_position: int | None,
) -> ShoppingList:
    """The shopping list for ``required`` units per item, less ``held``, priced in ``region_id``."""
    market = await _market(system, user_id, region_id, min_position) if region_id is not None else None
    return shopping_list(required, snapshot.names, snapshot.volumes, held, market)


async def held_at(
    system: Manufactory, user_id: UUID, location_id: int | None, min_position: int | None
) -> dict[int, int] | None:
    """Units per item the user holds at ``location_id`` (None without a location)."""
    if location_id is None:
        return None
    return await query_projection(system, "stockpiles", min_position, held_by_type, user_id, location_id)


async def _market(system: Manufactory, user_id: UUID, region_id: int, min_position: int | None) -> MarketData:
    await await_projection(system, "market", min_position)
    region = await anyio.to_thread.run_sync(system.read_economics.region, user_id, region_id)
    return region.data


def answer(body: ShoppingListOut, format: ShoppingFormat) -> Response[Any]:
    """``body`` in the format asked."""
    if format == "csv":
        return Response(as_csv(body.lines), media_type=CSV_MEDIA_TYPE)
    if format == "multibuy":
        return Response(as_multibuy(body.lines), media_type=MULTIBUY_MEDIA_TYPE)
    return Response(body)


def as_csv(lines: Sequence[ShoppingLine]) -> str:
    """A header row, then a row per line; an unknown value is an empty cell."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180: CRLF, quotes where needed, doubled inside
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        cells = (
            line.type_id,
            line.name,
            line.required,
            line.held,
            line.to_buy,
            line.volume,
            line.unit_price,
            line.cost,
        )
        writer.writerow(_cell(cell) for cell in cells)
    return text.getvalue()


def _cell(value: int | float | str | None) -> str:
    """A plain number (never an exponent: 1e+16 is no spreadsheet's ISK) or the text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def as_multibuy(lines: Sequence[ShoppingLine]) -> str:
    """The game's multibuy paste: ``Name<TAB>units`` per line, units a plain integer. A line
    the game could not read (an item without a name, a name with a tab or line break) is
    refused rather than left out: a paste short of a material is the bug this list exists to
    avoid."""
    unreadable = [line.type_id for line in lines if line.name is None or not _pasteable(line.name)]
    if unreadable:
        raise RuleViolation(
            f"items {', '.join(map(str, unreadable))} have no name the game's multibuy can read; ask for json or csv",
            "format",
        )
    return "".join(f"{line.name}\t{line.to_buy}\n" for line in lines)


def _pasteable(name: str) -> bool:
    return bool(name.strip()) and not any(character in name for character in "\t\r\n")
