"""Request and response bodies of assets, stockpile markers and buildability."""

from __future__ import annotations

from typing import Annotated

import msgspec

from domain.limits import MAX_BATCH, GameId
from domain.stock import assets, buildable, markers
from interfaces.http.bodies import Request, Response
from interfaces.http.wire import wire
from projections import stockpiles


@wire
class Holding(assets.Holding, frozen=True, omit_defaults=True):
    """The spot fields (``ownerType``, ``ownerId``, ``containerId``, ``divisionNumber``) are
    left out when not given: an unowned holding reads as it did before owners existed."""


@wire
class HoldingView(stockpiles.HoldingView, frozen=True, omit_defaults=True):
    """A holding as ``GET /v1/assets`` shows it: its spot fields as ``Holding``'s, and
    ``locationName`` (a station's from the catalog's map, a structure's from the game) and
    ``containerName`` (from the game) when known."""


@wire
class Buildable(buildable.Buildable, frozen=True):
    pass


@wire
class Coverage(buildable.Coverage, frozen=True):
    pass


@wire
class LackingSkills(buildable.LackingSkills, frozen=True):
    pass


@wire
class MarkerView(stockpiles.MarkerView, frozen=True):
    pass


@wire
class Deficit(stockpiles.Deficit, frozen=True):
    pass


@wire
class LocationTotal(stockpiles.LocationTotal, frozen=True):
    pass


@wire
class LeftOut(stockpiles.LeftOut, frozen=True):
    pass


class Deficits(Response):
    items: list[Deficit]  # the page asked for
    totals: list[LocationTotal]  # per location, over every deficit
    left_out: list[LeftOut]  # the page asked for of the short markers auto-production covers (not to buy)
    total: int  # deficits in all
    left_out_total: int  # short markers auto-production covers, in all


class ReplaceAssets(Request, kw_only=True):
    location_id: GameId | None = None  # replace only this location's holdings (all when absent)
    assets: Annotated[list[Holding], msgspec.Meta(max_length=MAX_BATCH)]


class AssetsReplaced(Response):
    changed: int  # (location, type) quantities that changed
    position: int


@wire
class UpsertMarker(markers.MarkerUpsert, frozen=True, forbid_unknown_fields=True):
    """``ownerType``+``ownerId``, ``containerId`` and ``divisionNumber`` say which marker (none:
    the unowned one, counting every unit at the location). Other optional fields left out keep
    the marker's value (a new marker: no plan, parallelism 0 = unlimited, auto-production off,
    no notes, ``priceSource`` sell at ``pricePercentage`` 100); ``planId: null`` unlinks."""


class MarkerChanged(Response):
    marker: MarkerView
    position: int
    changed: bool


class MarkerRemoved(Response):
    status: str
    position: int


class BuildableOut(Response):
    location_id: int | None
    recipes: list[Buildable]  # with characterId: only those the character has the skills for
    product: Coverage | None = None
    character_id: int | None = None
    lacking_skills: list[LackingSkills] = msgspec.field(
        default_factory=list
    )  # with characterId: recipes the materials allow but skills do not
