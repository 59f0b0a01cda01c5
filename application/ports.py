"""What the write side asks of the read models, as ports (the projections implement them).

A command decides on the event log, but some of what it needs lives only in read models: the
user's production graph, a region's prices, the queue of jobs, the stockpile deficits. Each
port below is one such question, and every answer is current as of the log head: the
implementation brings its read model up to the head of the log before answering, so a
decision never reads a read model older than a command already saved.

The services take these ports and never a projection runtime or a database engine; the
composition root (``application.system``) hands them the projections' implementations, and a
unit test hands them a small in-memory fake.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol
from uuid import UUID

from domain.catalog.chains import CatalogSnapshot
from domain.catalog.universe import RouteRule
from domain.economics.region import RegionMarket
from domain.industry.blueprints import OwnedBlueprint
from domain.industry.game_sync import QueuedJob
from domain.industry.slots import BusySlot
from domain.stock.auto_production import MarkerDeficit, PendingKey


class CatalogSnapshots(Protocol):
    """A catalog as a production graph (recipes, items), before any user's bought marks."""

    def current(self, key: UUID) -> CatalogSnapshot:
        """The catalog read model under ``key`` (a user's id, or the shared catalog's owner),
        current as of the log head."""
        ...


class RegionMarkets(Protocol):
    """The user's market data in a region, to price jobs and hauls with."""

    def current(self, owner: UUID, region_id: int) -> RegionMarket:
        """The region's quotes, adjusted prices and job site, current as of the log head;
        NotFound if the owner has no market data there."""
        ...


class JobQueue(Protocol):
    """The user's queued jobs, as the game-job sync matches them."""

    def promised_runs(self, owner: UUID, blueprint_ids: Collection[int]) -> dict[int, int]:
        """Runs of these owned blueprints (by item id) the owner's planned jobs hold, current
        as of the log head; a blueprint none holds is absent."""
        ...

    def unlinked(self, owner: UUID) -> list[QueuedJob]:
        """Every job of the owner a game job may still claim: the planned ones, and the active
        ones started by hand without a game job id, current as of the log head."""
        ...

    def linked(self, owner: UUID, esi_job_ids: Sequence[int]) -> list[QueuedJob]:
        """The owner's jobs already linked to one of these game jobs, current as of the log head."""
        ...


class StockDeficits(Protocol):
    """What auto-production decides on: the deficits of the stockpile markers, and the output
    already on its way."""

    def markers(self) -> list[MarkerDeficit]:
        """Every user's enabled markers with a linked plan, with their gross deficits, current
        as of the log head."""
        ...

    def pending_output(self, type_ids: Sequence[int]) -> dict[PendingKey, int]:
        """Units every planned or active job making one of these items will deliver, per
        (user, item, station), current as of the log head."""
        ...


class OwnedBlueprints(Protocol):
    """The user's blueprint library, which run generation builds with."""

    def of_types(self, owner: UUID, type_ids: Collection[int]) -> list[OwnedBlueprint]:
        """The blueprints of these types the owner holds, current as of the log head."""
        ...


class SlotOccupancy(Protocol):
    """The job slots the user's characters have busy, which run generation plans around."""

    def busy(self, owner: UUID, character_ids: Collection[int]) -> list[BusySlot]:
        """One entry per busy slot of these characters of the owner: jobs the game reports
        active or ready (not yet delivered), and jobs started here the game has not reported
        yet, current as of the log head."""
        ...


class StationRoutes(Protocol):
    """Routes between stations on the user's map, which hauls are counted in jumps on."""

    def route(self, owner: UUID, from_station: int, to_station: int, rule: RouteRule) -> tuple[int, ...] | None:
        """The solar systems from the first station's to the second's by ``rule``, both
        included (one system: the same one), current as of the log head; None when a station
        or its system is not on the owner's map, or no route keeps to the rule."""
        ...
