"""The write side's ports (``application.ports``), answered by the read models.

Each answer is current as of the log head: the projection it reads is first brought up to the
head here, in the caller's thread (safely alongside the runner: the runtime serialises on the
projection's row), so a decision never reads a read model older than a command already saved.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from uuid import UUID

from sqlalchemy import Engine

from domain.catalog.chains import CatalogSnapshot
from domain.catalog.universe import RouteCache, RouteRule
from domain.economics.region import RegionMarket
from domain.industry.blueprints import OwnedBlueprint
from domain.industry.game_sync import QueuedJob
from domain.industry.slots import BusySlot
from domain.stock.auto_production import MarkerDeficit, PendingKey
from projections.blueprints import blueprints_of_types
from projections.catalog import base_snapshot
from projections.industry.board import busy_slots
from projections.industry.jobs import linked_jobs, pending_output, promised_runs, unlinked_jobs
from projections.runtime import ProjectionRuntime
from projections.stockpiles import auto_production_markers
from projections.universe import map_version, places, solar_systems


class CurrentCatalogSnapshots:
    def __init__(self, runtime: ProjectionRuntime, engine: Engine) -> None:
        self._runtime = runtime
        self._engine = engine

    def current(self, key: UUID) -> CatalogSnapshot:
        self._runtime.catch_up("catalog")
        with self._engine.connect() as connection:
            return base_snapshot(connection, key)


class CurrentRegionMarkets:
    """``read`` is the cached region reader the queries use too: its cache is tagged with the
    market projection's position, so once the projection has caught up it reads afresh."""

    def __init__(self, runtime: ProjectionRuntime, read: Callable[[UUID, int], RegionMarket]) -> None:
        self._runtime = runtime
        self._read = read

    def current(self, owner: UUID, region_id: int) -> RegionMarket:
        self._runtime.catch_up("market")
        return self._read(owner, region_id)


class CurrentJobQueue:
    def __init__(self, runtime: ProjectionRuntime, engine: Engine) -> None:
        self._runtime = runtime
        self._engine = engine

    def promised_runs(self, owner: UUID, blueprint_ids: Collection[int]) -> dict[int, int]:
        self._runtime.catch_up("industry")
        with self._engine.connect() as connection:
            return promised_runs(connection, owner, blueprint_ids)

    def unlinked(self, owner: UUID) -> list[QueuedJob]:
        self._runtime.catch_up("industry")
        with self._engine.connect() as connection:
            return unlinked_jobs(connection, owner)

    def linked(self, owner: UUID, esi_job_ids: Sequence[int]) -> list[QueuedJob]:
        self._runtime.catch_up("industry")
        with self._engine.connect() as connection:
            return linked_jobs(connection, owner, esi_job_ids)


class CurrentSlotOccupancy:
    def __init__(self, runtime: ProjectionRuntime, engine: Engine) -> None:
        self._runtime = runtime
        self._engine = engine

    def busy(self, owner: UUID, character_ids: Collection[int]) -> list[BusySlot]:
        self._runtime.catch_up("industry")
        with self._engine.connect() as connection:
            return busy_slots(connection, owner, character_ids)


class CurrentStockDeficits:
    def __init__(self, runtime: ProjectionRuntime, engine: Engine) -> None:
        self._runtime = runtime
        self._engine = engine

    def markers(self) -> list[MarkerDeficit]:
        self._runtime.catch_up("stockpiles")
        with self._engine.connect() as connection:
            return auto_production_markers(connection)

    def pending_output(self, type_ids: Sequence[int]) -> dict[PendingKey, int]:
        self._runtime.catch_up("industry")
        with self._engine.connect() as connection:
            return {(p.owner_id, p.type_id, p.station_id): p.units for p in pending_output(connection, None, type_ids)}


class CurrentOwnedBlueprints:
    def __init__(self, runtime: ProjectionRuntime, engine: Engine) -> None:
        self._runtime = runtime
        self._engine = engine

    def of_types(self, owner: UUID, type_ids: Collection[int]) -> list[OwnedBlueprint]:
        self._runtime.catch_up("blueprints")
        with self._engine.connect() as connection:
            return blueprints_of_types(connection, owner, type_ids)


class CurrentStationRoutes:
    """Routes from the universe read model, cached in ``cache`` (the one the route query uses)."""

    def __init__(self, runtime: ProjectionRuntime, engine: Engine, cache: RouteCache) -> None:
        self._runtime = runtime
        self._engine = engine
        self._cache = cache

    def route(self, owner: UUID, from_station: int, to_station: int, rule: RouteRule) -> tuple[int, ...] | None:
        self._runtime.catch_up("universe")
        with self._engine.connect() as connection:
            found = places(connection, owner, (from_station, to_station))
            ends = [found[station].system_id if station in found else None for station in (from_station, to_station)]
            start, end = ends
            if start is None or end is None:
                return None
            version = map_version(connection, owner)
            route = self._cache.route(owner, version, start, end, rule, lambda: solar_systems(connection, owner))
        return route.systems if route is not None else None
