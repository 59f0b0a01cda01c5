"""Where a plan step takes its inputs from and puts its output: whose hangar, at which
station or structure, which corporation division and which container.

The seed system (pinky.tools) names a step's input and output place by owner (a character or
a corporation), location, division and container; the game's assets carry the same four
facts, so a step's place and the assets found there compare like with like. Divisions are
the corporation hangar's seven (1-7); a character's hangar has none.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from domain.errors import InvalidInput
from domain.limits import GameId

OwnerKind = Literal["character", "corporation"]
Division = Annotated[int, msgspec.Meta(ge=1, le=7, description="A corporation hangar division, 1-7")]


class StepPlace(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One place goods sit: an owner's hangar at a location (division, container optional)."""

    owner_kind: OwnerKind
    owner_id: GameId
    location_id: GameId  # a station or structure
    division: Division | None = None  # corporations only
    container_id: GameId | None = None  # the container's item id

    def validated(self, field: str) -> StepPlace:
        """A division belongs to a corporation's hangar; ``field`` names the place in errors."""
        if self.division is not None and self.owner_kind != "corporation":
            raise InvalidInput("only a corporation's hangar has divisions", f"{field}.division")
        if self.division is not None and not 1 <= self.division <= 7:
            raise InvalidInput("division is 1-7", f"{field}.division")
        return self
