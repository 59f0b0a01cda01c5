"""Request and response bodies of the blueprint library."""

from __future__ import annotations

from domain.industry import blueprints
from interfaces.http.bodies import Response
from interfaces.http.wire import wire


@wire
class Blueprint(blueprints.OwnedBlueprint, frozen=True):
    """An owned blueprint: ``kind`` bpo (an original) or bpc (a copy, with ``runs`` left),
    held by a character or a corporation (``holderKind``, ``holderId``), reported by the game
    (``source`` esi) or added by hand (manual, with a negative ``blueprintId``)."""


@wire
class AddBlueprint(blueprints.BlueprintEntry, frozen=True, forbid_unknown_fields=True):
    """A blueprint the game cannot report: ``runs`` for a copy only."""


class BlueprintAdded(Response):
    blueprint: Blueprint
    position: int


class BlueprintRemoved(Response):
    status: str
    position: int
