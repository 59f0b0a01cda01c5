"""Query routes of transport: your transport profiles."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency

from application.system import Manufactory
from interfaces.http.context import MinPosition, query_projection
from interfaces.http.transport.schemas import ProfileList
from projections.industry.transport import list_profiles


class TransportQueries(Controller):
    @get("/v1/transport/profiles", tags=["queries"])
    async def get_profiles(
        self, system: NamedDependency[Manufactory], user_id: NamedDependency[UUID], min_position: MinPosition = None
    ) -> ProfileList:
        """Your transport profiles by name; ``isDefault`` marks the one plans naming none haul with."""
        profiles = await query_projection(system, "industry", min_position, list_profiles, user_id)
        return ProfileList(profiles=profiles)
