"""Bodies of the transport routes: a profile as sent and as shown."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from domain.catalog.universe import RouteRule
from domain.industry.transport import MAX_NAME, TransportMethod, TransportProfile
from interfaces.http.bodies import Request, Response

Text = Annotated[str, msgspec.Meta(max_length=10 * MAX_NAME)]  # its rules: ``TransportProfile.validated``


class ProfileIn(Request):
    """A profile's every field (a PUT replaces them all). Its values are checked by the
    domain's rules (``TransportProfile.validated``): a refused one is a 422 naming it."""

    name: Text
    method: TransportMethod
    rate_per_m3: float = 0.0  # a courier contract's flat ISK per m³
    rate_per_m3_per_jump: float = 0.0  # ISK per m³ per gate jump
    collateral_rate: float = 0.0  # a fraction of the goods' value
    max_volume: float | None = None  # m³ a trip carries: a ship's hold; a courier contract's limit, if any
    route_rule: RouteRule = RouteRule.SHORTEST
    is_default: bool = False  # the profile a plan naming none hauls with (one per user)

    def profile(self, profile_id: uuid.UUID) -> TransportProfile:
        return TransportProfile(profile_id=profile_id, **msgspec.structs.asdict(self))


class ProfileSaved(Response):
    profile: TransportProfile
    position: int


class ProfileList(Response):
    profiles: list[TransportProfile]


class ProfileRemoved(Response):
    profile_id: uuid.UUID
    status: str
    position: int
