"""Routes on the map of the user's catalog: ``GET /v1/universe/route``.

Under ``/v1/universe`` (ESI's word for the map) rather than ``/v1/catalog``: the map comes
with the catalog, but a route is a question about places, not items."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.system import Manufactory
from domain.catalog.universe import RouteCache, RouteRule, displayed_security
from domain.limits import INT64_MAX
from interfaces.http.bodies import Response
from interfaces.http.context import MinPosition, query_projection
from projections.universe import find_route

PROJECTION = "universe"


class RouteSystem(Response):
    system_id: int
    name: str
    region_id: int | None
    security: float  # as the SDE gives it
    displayed_security: float  # rounded as the game shows it: 0.5 and above is high-sec


class RouteOut(Response):
    """``jumps`` is one less than the systems, which run from the start to the destination."""

    jumps: int
    rule: RouteRule
    systems: list[RouteSystem]


class UniverseController(Controller):
    @get("/v1/universe/route", tags=["queries"])
    async def get_route(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        route_cache: NamedDependency[RouteCache],
        from_system: Annotated[int, QueryParameter(name="from", description="Solar system id", ge=1, le=INT64_MAX)],
        to_system: Annotated[int, QueryParameter(name="to", description="Solar system id", ge=1, le=INT64_MAX)],
        rule: Annotated[
            RouteRule,
            QueryParameter(description="shortest: fewest jumps; secure: fewest jumps through high-sec only"),
        ] = RouteRule.SHORTEST,
        min_position: MinPosition = None,
    ) -> RouteOut:
        """The fewest stargate jumps between two systems of your catalog's map. A system not in
        the map is a 404 naming `from` or `to`; no route (by `secure`: none through high-sec
        alone) a 422."""
        systems = await query_projection(
            system, PROJECTION, min_position, find_route, route_cache, user_id, from_system, to_system, rule
        )
        return RouteOut(
            jumps=len(systems) - 1,
            rule=rule,
            systems=[
                RouteSystem(
                    system_id=entry.system_id,
                    name=entry.name,
                    region_id=entry.region_id,
                    security=entry.security,
                    displayed_security=displayed_security(entry.security),
                )
                for entry in systems
            ],
        )
