"""The SDE's records, shared by its YAML and JSON-lines editions (same fields in both).

Typed with msgspec so a wrong value is refused with its path (``$.activities...quantity``)
instead of slipping into the catalog. Only the fields we use are declared; the rest are ignored.
The JSON-lines records add ``_key`` (the id the YAML holds as the mapping key).

Verified layouts (fields and nesting):
- ``blueprints.yaml``: xiboliyadongtu/eve-blueprint-data ``fsd/blueprints.yaml`` (e.g. 691 Rifter
  Blueprint: manufacturing materials 34x32000, 35x6000, 36x2500, 37x500, time 6000, skill 3380 L1;
  invention products with ``probability: 0.3``; ``blueprintTypeID``, ``maxProductionLimit: 30``),
  and timpanogos/eveonline-third-party-documentation ``docs/sde/yaml/yaml_blueprints.md``.
- ``typeIDs.yaml``: timpanogos/eveonline-third-party-documentation ``docs/sde/yaml/yaml_typeIDs.md``
  (groupID, name {de, en, ...}, portionSize, published, volume, marketGroupID).
- JSON lines: esi/esi-docs ``docs/services/static-data/index.md`` (integer keys become ``_key``;
  the SDE ships as JSON lines and YAML with the same datasets).
- ``typeDogma`` (``fsd/typeDogma.yaml``, ``typeDogma.jsonl``): a type id -> ``dogmaAttributes``, a
  list of ``{attributeID, value}`` (and ``dogmaEffects``, not read); EVEShipFit/react
  ``src/EveDataProvider/DataTypes.tsx`` (``TypeDogma``), and public readers of both editions found
  with the code search (``sde/fsd/typeDogma.yaml``; ``{"_key": 601, "dogmaAttributes":
  [{"attributeID": 37, "value": 295}, ...], "dogmaEffects": [...]}``). Optional: without it the
  catalog simply has no decryptors.
- The map (optional; without ``mapSolarSystems`` the catalog has none), CCP's current export
  (esi/esi-docs ``docs/services/static-data/index.md`` lists ``mapRegions``, ``mapSolarSystems``,
  ``mapStargates``, ``npcStations``): a region's ``name``; a system's ``name``, ``regionID`` and
  ``securityStatus`` (ESI's ``/universe/systems/30000142/`` answers Jita's 0.9459); a stargate's
  ``solarSystemID`` and ``destination: {solarSystemID, stargateID}``; a station's ``solarSystemID``
  (npcStations carry no name in that export: a station is kept only where a ``name`` is given).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import msgspec

from application.catalog_sources.assemble import (
    Group,
    Taxonomy,
    activity_kind,
    decryptor,
    decryptor_ids,
    english,
    items_and_names,
    make_recipe,
    with_decryptors,
)
from domain.catalog.model import (
    Activity,
    ActivityKind,
    CatalogData,
    Decryptor,
    Item,
    Material,
    Product,
    Recipe,
    Skill,
)
from domain.catalog.universe import Region, SolarSystem, Station, link_jumps

Name = dict[str, str] | str | None


class _Record(msgspec.Struct, kw_only=True):
    """Keyword-only, so fields with and without defaults can come in the SDE's own order."""


class SdeRecord(_Record):
    """A top-level record; ``key`` is only set in the JSON-lines edition."""

    key: int | None = msgspec.field(default=None, name="_key")


class SdeCategory(SdeRecord):
    name: Name = None


class SdeGroup(SdeRecord):
    category_id: int | None = msgspec.field(default=None, name="categoryID")
    name: Name = None


class SdeType(SdeRecord):
    group_id: int | None = msgspec.field(default=None, name="groupID")
    name: Name = None
    volume: float | None = None
    portion_size: int = msgspec.field(default=1, name="portionSize")
    market_group_id: int | None = msgspec.field(default=None, name="marketGroupID")
    published: bool = False


class SdeMaterial(_Record):
    type_id: int = msgspec.field(name="typeID")
    quantity: int


class SdeProduct(_Record):
    type_id: int = msgspec.field(name="typeID")
    quantity: int
    probability: float | None = None


class SdeSkill(_Record):
    type_id: int = msgspec.field(name="typeID")
    level: int


class SdeActivity(_Record):
    time: int = 0
    materials: list[SdeMaterial] = []
    products: list[SdeProduct] = []
    skills: list[SdeSkill] = []


class SdeDogmaAttribute(_Record):
    attribute_id: int = msgspec.field(name="attributeID")
    value: float


class SdeTypeDogma(SdeRecord):
    dogma_attributes: list[SdeDogmaAttribute] = msgspec.field(default=[], name="dogmaAttributes")


class SdeBlueprint(SdeRecord):
    activities: dict[str, SdeActivity] = {}
    max_production_limit: int | None = msgspec.field(default=None, name="maxProductionLimit")


class SdeRegion(SdeRecord):
    name: Name = None


class SdeSolarSystem(SdeRecord):
    name: Name = None
    region_id: int | None = msgspec.field(default=None, name="regionID")
    security_status: float = msgspec.field(default=0.0, name="securityStatus")


class SdeDestination(_Record):
    solar_system_id: int = msgspec.field(name="solarSystemID")


class SdeStargate(SdeRecord, kw_only=True):
    solar_system_id: int = msgspec.field(name="solarSystemID")
    destination: SdeDestination


class SdeStation(SdeRecord):
    name: Name = None
    solar_system_id: int | None = msgspec.field(default=None, name="solarSystemID")


R = TypeVar("R", bound=SdeRecord)


class RecordReader(Protocol):
    """Yields (id, record) for each record of one file, as the edition stores them; with ``keys``
    only the records of those ids (an edition may skip parsing the others)."""

    def __call__(
        self, path: Path, record_type: type[R], keys: Collection[int] | None = None
    ) -> Iterator[tuple[int, R]]: ...


@dataclass(frozen=True, slots=True)
class SdeFiles:
    blueprints: Path
    types: Path
    groups: Path | None
    categories: Path | None
    type_dogma: Path | None
    regions: Path | None = None
    systems: Path | None = None
    stargates: Path | None = None
    stations: Path | None = None

    @property
    def all(self) -> tuple[Path, ...]:
        """Every file to read, for the progress total."""
        present = (
            self.categories,
            self.groups,
            self.types,
            self.type_dogma,
            self.blueprints,
            *self.map_files,
        )
        return tuple(path for path in present if path is not None)

    @property
    def map_files(self) -> tuple[Path | None, ...]:
        """The map's files, all None without ``mapSolarSystems`` (a map without systems is none)."""
        if self.systems is None:
            return ()
        return (self.regions, self.systems, self.stargates, self.stations)


def read_sde(files: SdeFiles, records: RecordReader) -> CatalogData:
    categories = _categories(files.categories, records)
    groups = _groups(files.groups, records)
    taxonomy = Taxonomy(groups=groups, categories=categories)
    items, type_names = items_and_names(
        (item(type_id, record, taxonomy), english(record.name)) for type_id, record in records(files.types, SdeType)
    )
    items = with_decryptors(items, _decryptors(files.type_dogma, records, decryptor_ids(items)))
    recipes = tuple(
        recipe(blueprint_id, record, type_names) for blueprint_id, record in records(files.blueprints, SdeBlueprint)
    )
    regions, systems, stations = _map(files, records)
    return CatalogData(game="eve", items=items, recipes=recipes, regions=regions, systems=systems, stations=stations)


def _map(
    files: SdeFiles, records: RecordReader
) -> tuple[tuple[Region, ...], tuple[SolarSystem, ...], tuple[Station, ...]]:
    if files.systems is None:
        return (), (), ()
    regions = tuple(
        Region(region_id=region_id, name=english(record.name) or f"Region {region_id}")
        for region_id, record in _optional_records(files.regions, SdeRegion, records)
    )
    systems = [
        SolarSystem(
            system_id=system_id,
            name=english(record.name) or f"System {system_id}",
            region_id=record.region_id,
            security=record.security_status,
        )
        for system_id, record in records(files.systems, SdeSolarSystem)
    ]
    jumps = (
        (record.solar_system_id, record.destination.solar_system_id)
        for _, record in _optional_records(files.stargates, SdeStargate, records)
    )
    named = (
        (station_id, english(record.name), record.solar_system_id)
        for station_id, record in _optional_records(files.stations, SdeStation, records)
    )
    stations = tuple(
        Station(station_id=station_id, name=name, system_id=system_id)
        for station_id, name, system_id in named
        if name is not None
    )
    return regions, link_jumps(systems, jumps), stations


def _optional_records(path: Path | None, record_type: type[R], records: RecordReader) -> Iterator[tuple[int, R]]:
    if path is not None:
        yield from records(path, record_type)


def _decryptors(path: Path | None, records: RecordReader, wanted: Collection[int]) -> dict[int, Decryptor]:
    """The invention effects of the decryptor types ``wanted``, from their dogma attributes."""
    if path is None or not wanted:
        return {}
    found = {}
    for type_id, record in records(path, SdeTypeDogma, wanted):
        effects = decryptor({attribute.attribute_id: attribute.value for attribute in record.dogma_attributes})
        if effects is not None:
            found[type_id] = effects
    return found


def _categories(path: Path | None, records: RecordReader) -> dict[int, str]:
    if path is None:
        return {}
    named = ((category_id, english(record.name)) for category_id, record in records(path, SdeCategory))
    return {category_id: name for category_id, name in named if name is not None}


def _groups(path: Path | None, records: RecordReader) -> dict[int, Group]:
    if path is None:
        return {}
    return {group_id: group(record) for group_id, record in records(path, SdeGroup)}


def group(record: SdeGroup) -> Group:
    return Group(category_id=record.category_id, name=english(record.name))


def item(type_id: int, record: SdeType, taxonomy: Taxonomy) -> Item:
    return taxonomy.item(
        type_id,
        english(record.name),
        record.group_id,
        volume=record.volume,
        portion_size=record.portion_size,
        market_group_id=record.market_group_id,
        published=record.published,
    )


def recipe(blueprint_id: int, record: SdeBlueprint, type_names: Mapping[int, str]) -> Recipe:
    activities = (
        _activity(kind, activity)
        for name, activity in record.activities.items()
        if (kind := activity_kind(name)) is not None
    )
    return make_recipe(blueprint_id, activities, record.max_production_limit, type_names)


def _activity(kind: ActivityKind, record: SdeActivity) -> Activity:
    return Activity(
        kind=kind,
        time=record.time,
        materials=tuple(Material(type_id=m.type_id, quantity=m.quantity) for m in record.materials),
        products=tuple(
            Product(type_id=p.type_id, quantity=p.quantity, probability=p.probability) for p in record.products
        ),
        skills=tuple(Skill(type_id=s.type_id, level=s.level) for s in record.skills),
    )
