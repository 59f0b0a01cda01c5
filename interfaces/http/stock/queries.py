"""Query routes of assets, stockpile markers, buy lists and what can be built."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.system import Manufactory
from domain.catalog.chains import CatalogSnapshot
from domain.catalog.industry import validate_levels
from domain.errors import NotFound, RuleViolation
from domain.limits import INT64_MAX
from domain.stock.buildable import buildable, by_skills, coverage
from interfaces.http.catalog.queries import user_catalog
from interfaces.http.context import MinPosition, await_projection, query_projection
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset
from interfaces.http.stock.schemas import (
    Buildable,
    BuildableOut,
    Coverage,
    Deficits,
    HoldingView,
    LackingSkills,
    MarkerView,
)
from projections.cache import ReadCache
from projections.industry.characters import find_character
from projections.stockpiles import deficits, held_by_type, holdings, list_markers

PROJECTION = "stockpiles"


LocationQuery = Annotated[
    int | None, QueryParameter(name="locationId", ge=1, le=INT64_MAX, description="One location only")
]


class StockQueries(Controller):
    @get("/v1/assets", tags=["queries"])
    async def get_assets(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        location_id: LocationQuery = None,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[HoldingView]:
        """Holdings per location, item, owner, container and division, named where known."""
        await await_projection(system, "universe", min_position)  # the stations' names
        found = await query_projection(system, PROJECTION, min_position, holdings, user_id, location_id, limit, offset)
        return msgspec.convert(found, list[HoldingView], from_attributes=True)

    @get("/v1/stockpiles", tags=["queries"])
    async def get_stockpiles(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[MarkerView]:
        """Markers with their current quantity, deficit, linked plan and auto-production status."""
        markers = await query_projection(system, PROJECTION, min_position, list_markers, user_id, limit, offset)
        return msgspec.convert(markers, list[MarkerView], from_attributes=True)

    @get("/v1/stockpiles/deficits", tags=["queries"])
    async def get_deficits(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        location_id: LocationQuery = None,
        region_id: Annotated[
            int | None,
            QueryParameter(
                name="regionId",
                ge=1,
                le=INT64_MAX,
                description="Value at this region's prices (default: your only one)",
            ),
        ] = None,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> Deficits:
        """The buy list: deficits of markers that auto-production does not cover, named and
        valued by each marker's price rule (``priceSource`` sell, buy or split = midpoint, times
        ``pricePercentage``/100) in ``regionId`` (default: the marker's own region, from the
        catalog's map, where you have market data there, else your only region with market
        data; else ``value`` is null with ``valueReason``; ``priceRegionId`` says which), with
        totals per location and the short
        markers left out because auto-production covers them. ``limit`` and ``offset`` page
        ``items`` and ``leftOut`` alike; ``totals``, ``total`` and ``leftOutTotal`` are of the
        whole list."""
        # the roster's names, the regions' prices, the map's names and regions
        for names_and_prices in ("industry", "market", "universe"):
            await await_projection(system, names_and_prices, min_position)
        found = await query_projection(
            system, PROJECTION, min_position, deficits, user_id, location_id, region_id, limit, offset
        )
        return msgspec.convert(found, Deficits, from_attributes=True)

    @get("/v1/production/workflow/buildable", tags=["queries"])
    async def get_buildable(
        self,
        system: NamedDependency[Manufactory],
        catalog_cache: NamedDependency[ReadCache[CatalogSnapshot]],
        user_id: NamedDependency[UUID],
        location_id: LocationQuery = None,
        type_id: Annotated[
            int | None, QueryParameter(name="typeId", ge=1, le=INT64_MAX, description="A product to cover")
        ] = None,
        me: Annotated[int, QueryParameter(ge=0, le=10)] = 0,
        character_id: Annotated[
            int | None,
            QueryParameter(name="characterId", ge=1, le=INT64_MAX, description="Only what this character can run"),
        ] = None,
        min_position: MinPosition = None,
    ) -> BuildableOut:
        """Which recipes the held materials can run now (and how many runs), and for ``typeId``
        how many units the held raw materials cover through its whole chain, and what is
        missing for one more. With ``characterId`` (of your roster), only the recipes whose
        required skills the character has; ``lackingSkills`` lists the others with the skills
        missing (required level, level trained)."""
        validate_levels(me, 0)
        held = await query_projection(system, PROJECTION, min_position, held_by_type, user_id, location_id)
        snapshot = await user_catalog(system, catalog_cache, user_id, min_position)
        product = None
        if type_id is not None:
            if snapshot.graph.step(type_id) is None:
                raise RuleViolation(f"no recipe in your catalog builds type {type_id}", "type_id")
            product = coverage(snapshot.graph, type_id, held, me)
        recipes = buildable(snapshot.graph, held, me)
        character = None
        if character_id is not None:
            character = await query_projection(system, "industry", min_position, find_character, user_id, character_id)
            if character is None:
                raise NotFound(f"character {character_id} is not in your roster", "character_id")
        recipes, lacking = by_skills(recipes, snapshot.graph, character.skills) if character else (recipes, [])
        return BuildableOut(
            location_id=location_id,
            recipes=msgspec.convert(recipes, list[Buildable], from_attributes=True),
            product=msgspec.convert(product, Coverage | None, from_attributes=True),
            character_id=character_id,
            lacking_skills=msgspec.convert(lacking, list[LackingSkills], from_attributes=True),
        )
