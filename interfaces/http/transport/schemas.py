"""Bodies of the transport routes: a profile as sent and as shown."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from domain.catalog.universe import RouteRule
from domain.industry.transport import MAX_NAME, Rate, TransportMethod, TransportProfile
from domain.limits import MAX_AMOUNT, Fraction, text
from interfaces.http.bodies import Request, Response

Hold = Annotated[float, msgspec.Meta(gt=0.0, le=MAX_AMOUNT, description="m³ one trip carries")]


class ProfileIn(Request):
    """A profile's every field (a PUT replaces them all)."""

    name: Annotated[str, text(MAX_NAME, min_length=1)]
    method: TransportMethod
    rate_per_m3: Rate = 0.0  # a courier contract's flat ISK per m³
    rate_per_m3_per_jump: Rate = 0.0  # ISK per m³ per gate jump
    collateral_rate: Fraction = 0.0
    max_volume: Hold | None = None  # a ship's hold; a courier contract's limit, if it has one
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
