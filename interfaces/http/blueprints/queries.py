"""Query routes of the blueprint library."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.system import Manufactory
from domain.limits import INT64_MAX
from interfaces.http.blueprints.schemas import Blueprint
from interfaces.http.context import MinPosition, query_projection
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset
from projections.blueprints import list_blueprints

PROJECTION = "blueprints"


class BlueprintQueries(Controller):
    @get("/v1/blueprints", tags=["queries"])
    async def get_blueprints(
        self,
        system: NamedDependency[Manufactory],
        user_id: NamedDependency[UUID],
        type_id: Annotated[
            int | None, QueryParameter(name="typeId", ge=1, le=INT64_MAX, description="One blueprint type only")
        ] = None,
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        min_position: MinPosition = None,
    ) -> list[Blueprint]:
        """Your blueprints (from the game and added by hand), by type, best first (ME, TE,
        originals before copies)."""
        found = await query_projection(
            system, PROJECTION, min_position, list_blueprints, user_id, type_id, limit, offset
        )
        return msgspec.convert(found, list[Blueprint], from_attributes=True)
