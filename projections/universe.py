"""Read model of each catalog's map: regions, solar systems with their neighbours, stations.
A private catalog's map is keyed by its user, the shared catalog's by its well-known owner
(``projections.catalog.catalog_key``). A user reads their own map if they imported one, else
the shared catalog's (``map_key_of``, resolved in the query itself from this projection's own
tables: a query that waits for this projection alone never reads another's half-applied state).

Kept apart from the catalog's items and recipes (its own projection) since nothing of the
production graph depends on it; rebuilt from the catalog's map events alone. Also the place
that answers names and loads the systems for a route.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Uuid,
    and_,
    delete,
    func,
    literal,
    select,
)

from domain.catalog.catalog import (
    SHARED_CATALOG_OWNER,
    CatalogRegionsChanged,
    CatalogStationsChanged,
    CatalogSystemsChanged,
)
from domain.catalog.universe import RouteCache, RouteRule, SolarSystem
from domain.errors import NotFound, RuleViolation
from projections.catalog import catalog_key
from projections.readmodel import BatchWriter, ReadModelTable, struct_cells
from projections.runtime import Projection, handles

REGIONS = ReadModelTable(
    "universe_regions",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("region_id", BigInteger, primary_key=True),
        Column("name", String(255), nullable=False),
    ],
)
SYSTEMS = ReadModelTable(
    "universe_systems",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("system_id", BigInteger, primary_key=True),
        Column("name", String(255), nullable=False),
        Column("region_id", BigInteger),
        Column("security", Float, nullable=False),
        Column("neighbours", JSON, nullable=False),  # system ids one stargate jump away
    ],
)
STATIONS = ReadModelTable(
    "universe_stations",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("station_id", BigInteger, primary_key=True),
        Column("name", String(255), nullable=False),
        Column("system_id", BigInteger),
    ],
)
MAP_VERSIONS = ReadModelTable(
    "universe_map_versions",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("catalog_version", Integer, nullable=False),  # the import that last changed the map
    ],
)
_CHUNK = 5000


def map_key_of(user: UUID) -> Any:
    """SQL: whose map ``user`` reads: their own, if a catalog import of theirs brought one,
    else the shared catalog's."""
    versions = MAP_VERSIONS.view
    own = select(versions.c.owner_id).where(versions.c.owner_id == user).limit(1).scalar_subquery()
    return func.coalesce(own, literal(SHARED_CATALOG_OWNER, Uuid))


class UniverseProjection(Projection):
    name = "universe"
    version = 2  # 2: the shared catalog's map under its own key, not its importing admin's
    tables = (REGIONS, SYSTEMS, STATIONS, MAP_VERSIONS)

    @handles(CatalogRegionsChanged)
    def _regions_changed(self, writer: BatchWriter, event: CatalogRegionsChanged) -> None:
        _replace_part(writer, event, "universe_regions", "region_id")

    @handles(CatalogSystemsChanged)
    def _systems_changed(self, writer: BatchWriter, event: CatalogSystemsChanged) -> None:
        _replace_part(writer, event, "universe_systems", "system_id")

    @handles(CatalogStationsChanged)
    def _stations_changed(self, writer: BatchWriter, event: CatalogStationsChanged) -> None:
        _replace_part(writer, event, "universe_stations", "station_id")


def _replace_part(
    writer: BatchWriter,
    event: CatalogRegionsChanged | CatalogSystemsChanged | CatalogStationsChanged,
    table: str,
    key: str,
) -> None:
    """One part of the map changed: its changed and removed rows deleted, the changed ones
    inserted again (a row is the part's fields, as the table names its columns)."""
    owner = catalog_key(event)
    keys = [getattr(part, key) for part in event.upserted] + list(event.removed)
    _map_changed(writer, owner, event.catalog_version)
    _delete_keys(writer, table, owner, key, keys)
    writer.insert(table, *({"owner_id": owner, **struct_cells(part)} for part in event.upserted))


def _map_changed(writer: BatchWriter, owner: UUID, catalog_version: int) -> None:
    """Remember the import that changed the map: routes are cached under it."""
    table = writer.tables["universe_map_versions"]
    writer.execute(delete(table).where(table.c.owner_id == owner))
    writer.execute(table.insert().values(owner_id=owner, catalog_version=catalog_version))


def _delete_keys(writer: BatchWriter, name: str, owner: UUID, column: str, keys: list[int]) -> None:
    table = writer.tables[name]
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        writer.execute(delete(table).where(table.c.owner_id == owner, table.c[column].in_(chunk)))


def solar_systems(connection: Connection, owner: UUID) -> dict[int, SolarSystem]:
    """The owner's whole map of systems, for a route (loaded once per catalog version: see
    ``RouteCache``)."""
    table = SYSTEMS.view
    rows = connection.execute(
        select(table.c.system_id, table.c.name, table.c.region_id, table.c.security, table.c.neighbours).where(
            table.c.owner_id == map_key_of(owner)
        )
    )
    return {
        row.system_id: SolarSystem(
            system_id=row.system_id,
            name=row.name,
            region_id=row.region_id,
            security=row.security,
            neighbours=tuple(row.neighbours),
        )
        for row in rows
    }


def map_version(connection: Connection, owner: UUID) -> int:
    """The catalog version that last changed the owner's map (0: no map)."""
    table = MAP_VERSIONS.view
    mine = table.c.owner_id == map_key_of(owner)
    version = connection.execute(select(table.c.catalog_version).where(mine)).scalar()
    return version or 0


def systems_by_id(connection: Connection, owner: UUID, system_ids: Iterable[int]) -> dict[int, SolarSystem]:
    """Those of ``system_ids`` in the owner's map, with name, region and security."""
    table = SYSTEMS.view
    rows = connection.execute(
        select(table.c.system_id, table.c.name, table.c.region_id, table.c.security).where(
            table.c.owner_id == map_key_of(owner), table.c.system_id.in_(sorted(set(system_ids)))
        )
    )
    return {
        row.system_id: SolarSystem(
            system_id=row.system_id, name=row.name, region_id=row.region_id, security=row.security
        )
        for row in rows
    }


def system_names(connection: Connection, owner: UUID, system_ids: Iterable[int]) -> dict[int, str]:
    return _names(connection, SYSTEMS, "system_id", owner, system_ids)


def region_names(connection: Connection, owner: UUID, region_ids: Iterable[int]) -> dict[int, str]:
    return _names(connection, REGIONS, "region_id", owner, region_ids)


def station_names(connection: Connection, owner: UUID, station_ids: Iterable[int]) -> dict[int, str]:
    return _names(connection, STATIONS, "station_id", owner, station_ids)


def _names(
    connection: Connection, table: ReadModelTable, column: str, owner: UUID, ids: Iterable[int]
) -> dict[int, str]:
    wanted = sorted(set(ids))
    names: dict[int, str] = {}
    view = table.view
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = connection.execute(
            select(view.c[column], view.c.name).where(view.c.owner_id == map_key_of(owner), view.c[column].in_(chunk))
        )
        names.update({row[0]: row[1] for row in rows})
    return names


def find_route(
    connection: Connection, cache: RouteCache, owner: UUID, start: int, end: int, rule: RouteRule
) -> list[SolarSystem]:
    """The systems of the fewest-jumps route from ``start`` to ``end`` by ``rule``, each with
    name, region and security; a system not in the owner's map is NotFound naming its
    parameter (``from``/``to``), no route a RuleViolation. Routes are cached under the import
    that last changed the map, so the whole map is loaded only for a route not found before."""
    ends = systems_by_id(connection, owner, (start, end))
    for system_id, field in ((start, "from"), (end, "to")):
        if system_id not in ends:
            raise NotFound(f"solar system {system_id} is not in your catalog's map", field)
    version = map_version(connection, owner)
    route = cache.route(owner, version, start, end, rule, lambda: solar_systems(connection, owner))
    if route is None:
        how = "keeping to high-sec (0.5 and above, as the game shows security)" if rule is RouteRule.SECURE else ""
        raise RuleViolation(f"no route from {start} to {end} {how}".strip(), "to")
    found = systems_by_id(connection, owner, route.systems)
    return [found[system_id] for system_id in route.systems]


class Place(msgspec.Struct, frozen=True, kw_only=True):
    """Where a station is, named: its system and region (null where the map does not say)."""

    name: str
    system_id: int | None = None
    system_name: str | None = None
    region_id: int | None = None
    region_name: str | None = None


def places(connection: Connection, owner: UUID, location_ids: Iterable[int]) -> dict[int, Place]:
    """The stations among ``location_ids`` with their system and region, from the owner's map
    (structures are not in the static data: absent, as any id the map does not know)."""
    stations, systems = STATIONS.view, SYSTEMS.view
    wanted = sorted(set(location_ids))
    same_system = and_(systems.c.owner_id == stations.c.owner_id, systems.c.system_id == stations.c.system_id)
    rows: list[tuple[int, str, int | None, str | None, int | None]] = []
    for start in range(0, len(wanted), _CHUNK):
        query = (
            select(stations.c.station_id, stations.c.name, stations.c.system_id, systems.c.name, systems.c.region_id)
            .select_from(stations.outerjoin(systems, same_system))
            .where(
                stations.c.owner_id == map_key_of(owner),
                stations.c.station_id.in_(wanted[start : start + _CHUNK]),
            )
        )
        rows.extend(tuple(row) for row in connection.execute(query))
    regions = region_names(connection, owner, (row[4] for row in rows if row[4] is not None))
    return {
        station_id: Place(
            name=name,
            system_id=system_id,
            system_name=system_name,
            region_id=region_id,
            region_name=regions.get(region_id) if region_id is not None else None,
        )
        for station_id, name, system_id, system_name, region_id in rows
    }
