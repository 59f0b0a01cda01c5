"""The CSV dump most EVE tools use (Fuzzwork's ``inv*`` and ``industry*`` tables).

Columns are read by header name, so extra or reordered columns do not matter; ``None`` and
empty cells are absent values. Headers verified in cjkilman/eve-sde-dump (``industryActivity.csv``:
typeID,activityID,time; ``industryActivityMaterials.csv``: typeID,activityID,materialTypeID,quantity;
``industryActivityProbabilities.csv``: typeID,activityID,productTypeID,probability;
``industryActivitySkills.csv``: typeID,activityID,skillID,level; ``industryBlueprints.csv``:
typeID,maxProductionLimit; ``invCategories.csv``: categoryID,categoryName,iconID,published; Rifter
Blueprint 691 rows match the YAML's). ``industryActivityProducts.csv`` (typeID,activityID,
productTypeID,quantity), ``invTypes.csv`` (typeID,groupID,typeName,description,mass,volume,capacity,
portionSize,raceID,basePrice,published,marketGroupID,iconID,soundID,graphicID) and ``invGroups.csv``
(groupID,categoryID,groupName,iconID,useBasePrice,anchored,anchorable,fittableNonSingleton,published)
were matched against code reading them (found with the code search), not a stored dump.
The map is optional (without ``mapSolarSystems.csv`` the catalog has none): ``mapRegions.csv``
(regionID,regionName,...), ``mapSolarSystems.csv`` (regionID,constellationID,solarSystemID,
solarSystemName,...,security,...), ``mapSolarSystemJumps.csv`` (fromRegionID,fromConstellationID,
fromSolarSystemID,toSolarSystemID,toConstellationID,toRegionID: each gate once per direction) and
``staStations.csv`` (stationID,...,solarSystemID,...,stationName,...), Fuzzwork's column names.
``dgmTypeAttributes.csv`` (typeID,attributeID,valueInt,valueFloat: one of the two values set)
was checked in michaeldarcy/Theorycrafter's copy; it is optional, and only the decryptors' rows
are kept. Every file is streamed row by row.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TypeVar

from application.catalog_sources.assemble import (
    DECRYPTOR_ATTRIBUTES,
    ByteProgress,
    Group,
    ProgressCallback,
    Taxonomy,
    decryptor,
    decryptor_ids,
    items_and_names,
    make_recipe,
    malformed,
    with_decryptors,
)
from domain.catalog.model import Activity, ActivityKind, CatalogData, Decryptor, Item, Material, Product, Recipe, Skill
from domain.catalog.universe import Region, SolarSystem, Station, link_jumps
from domain.errors import InvalidInput

KEY_FILE = "industryActivity.csv"
_REQUIRED = (
    "invGroups.csv",
    "invTypes.csv",
    "industryBlueprints.csv",
    KEY_FILE,
    "industryActivityProbabilities.csv",
    "industryActivityMaterials.csv",
    "industryActivityProducts.csv",
    "industryActivitySkills.csv",
)
_CATEGORIES = "invCategories.csv"
_TYPE_ATTRIBUTES = "dgmTypeAttributes.csv"
_REGIONS, _SYSTEMS, _JUMPS, _STATIONS = (
    "mapRegions.csv",
    "mapSolarSystems.csv",
    "mapSolarSystemJumps.csv",
    "staStations.csv",
)
_MAP = (_REGIONS, _SYSTEMS, _JUMPS, _STATIONS)
_NULLS = frozenset({"", "None", "NULL", "\\N"})

T = TypeVar("T")
Row = dict[str, str]
ActivityKey = tuple[int, ActivityKind]  # (blueprint type id, activity)


def locate(path: Path) -> Path | None:
    return path if (path / KEY_FILE).is_file() else None


def read(folder: Path, progress: ProgressCallback | None = None) -> CatalogData:
    missing = [name for name in _REQUIRED if not (folder / name).is_file()]
    if missing:
        raise InvalidInput(f"{folder}: CSV dump incomplete, missing {', '.join(missing)}", field="path")
    optional = (_CATEGORIES, _TYPE_ATTRIBUTES, *_MAP)
    files = [folder / name for name in (*optional, *_REQUIRED) if (folder / name).is_file()]
    return _Reader(folder, ByteProgress(progress, sum(path.stat().st_size for path in files))).catalog()


class _Reader:
    """Reads the tables in dependency order: names before items, probabilities before products."""

    def __init__(self, folder: Path, progress: ByteProgress) -> None:
        self._folder = folder
        self._progress = progress

    def catalog(self) -> CatalogData:
        taxonomy = Taxonomy(groups=self._groups(), categories=self._categories())
        items, type_names = items_and_names(
            self._rows("invTypes.csv", lambda row: (_item(row, taxonomy), _text(row, "typeName")))
        )
        items = with_decryptors(items, self._decryptors(decryptor_ids(items)))
        return CatalogData(
            game="eve",
            items=items,
            recipes=self._recipes(type_names),
            regions=tuple(self._optional_rows(_REGIONS, _region)),
            systems=link_jumps(self._optional_rows(_SYSTEMS, _system), self._optional_rows(_JUMPS, _jump)),
            stations=tuple(self._optional_rows(_STATIONS, _station)),
        )

    def _optional_rows(self, name: str, convert: Callable[[Row], T]) -> Iterator[T]:
        """A map table's rows, none where the dump leaves the map out (a map without its
        systems is none, as in the SDE readers)."""
        if (self._folder / name).is_file() and (self._folder / _SYSTEMS).is_file():
            yield from self._rows(name, convert)

    def _decryptors(self, wanted: Collection[int]) -> dict[int, Decryptor]:
        """The invention effects of the decryptor types ``wanted``, from their dogma attributes."""
        if not wanted or not (self._folder / _TYPE_ATTRIBUTES).is_file():
            return {}

        def entry(row: Row) -> tuple[int, int, float] | None:
            type_id, attribute_id = _int(row, "typeID"), _int(row, "attributeID")
            if type_id not in wanted or attribute_id not in DECRYPTOR_ATTRIBUTES:
                return None
            return type_id, attribute_id, _attribute_value(row)

        attributes: dict[int, dict[int, float]] = defaultdict(dict)
        for type_id, attribute_id, value in filter(None, self._rows(_TYPE_ATTRIBUTES, entry)):
            attributes[type_id][attribute_id] = value
        found = {type_id: decryptor(values) for type_id, values in attributes.items()}
        return {type_id: effects for type_id, effects in found.items() if effects is not None}

    def _categories(self) -> dict[int, str]:
        if not (self._folder / _CATEGORIES).is_file():
            return {}
        rows = self._rows(_CATEGORIES, lambda row: (_int(row, "categoryID"), _text(row, "categoryName")))
        return {category_id: name for category_id, name in rows if name is not None}

    def _groups(self) -> dict[int, Group]:
        rows = self._rows("invGroups.csv", lambda row: (_int(row, "groupID"), _group(row)))
        return dict(rows)

    def _recipes(self, type_names: dict[int, str]) -> tuple[Recipe, ...]:
        max_runs = dict(
            self._rows(
                "industryBlueprints.csv", lambda row: (_int(row, "typeID"), _optional_int(row, "maxProductionLimit"))
            )
        )
        times = dict(self._keyed(KEY_FILE, lambda row: _int(row, "time")))
        probabilities = self._probabilities()
        materials = _grouped(self._keyed("industryActivityMaterials.csv", _material))
        products = _grouped(self._keyed("industryActivityProducts.csv", lambda row: _product(row, probabilities)))
        skills = _grouped(self._keyed("industryActivitySkills.csv", _skill))
        activities: dict[int, list[Activity]] = defaultdict(list)
        for key in dict.fromkeys([*times, *materials, *products, *skills]):
            blueprint_id, kind = key
            activities[blueprint_id].append(
                Activity(
                    kind=kind,
                    time=times.get(key, 0),
                    materials=tuple(materials.get(key, ())),
                    products=tuple(products.get(key, ())),
                    skills=tuple(skills.get(key, ())),
                )
            )
        blueprint_ids = dict.fromkeys([*max_runs, *activities])
        return tuple(
            make_recipe(blueprint_id, activities.get(blueprint_id, ()), max_runs.get(blueprint_id), type_names)
            for blueprint_id in blueprint_ids
        )

    def _probabilities(self) -> dict[tuple[int, int, int], float]:
        def entry(row: Row) -> tuple[tuple[int, int, int], float]:
            key = (_int(row, "typeID"), _int(row, "activityID"), _int(row, "productTypeID"))
            return key, _float(row, "probability")

        return dict(self._rows("industryActivityProbabilities.csv", entry))

    def _keyed(self, name: str, convert: Callable[[Row], T]) -> Iterator[tuple[ActivityKey, T]]:
        """Rows of an ``industryActivity*`` table under (blueprint, activity); unknown activities skipped."""

        def entry(row: Row) -> tuple[ActivityKey, T] | None:
            kind = ActivityKind.from_id(_int(row, "activityID"))
            return None if kind is None else ((_int(row, "typeID"), kind), convert(row))

        return (pair for pair in self._rows(name, entry) if pair is not None)

    def _rows(self, name: str, convert: Callable[[Row], T]) -> Iterator[T]:
        """Each row converted, with the file and line named if the row is malformed."""
        path = self._folder / name
        with io.TextIOWrapper(path.open("rb"), encoding="utf-8-sig", newline="") as text:
            reader = csv.DictReader(text)
            try:
                for row in reader:
                    value = convert(row)
                    self._progress.at(text.buffer.tell())
                    yield value
            except (csv.Error, ValueError) as error:
                raise malformed(name, f"line {reader.line_num}", error) from error
        self._progress.file_done(path.stat().st_size)


def _item(row: Row, taxonomy: Taxonomy) -> Item:
    return taxonomy.item(
        _int(row, "typeID"),
        _text(row, "typeName"),
        _optional_int(row, "groupID"),
        volume=_optional_float(row, "volume"),
        portion_size=_optional_int(row, "portionSize") or 1,
        market_group_id=_optional_int(row, "marketGroupID"),
        published=_flag(row, "published"),
    )


def _region(row: Row) -> Region:
    return Region(region_id=_int(row, "regionID"), name=_name(row, "regionName"))


def _system(row: Row) -> SolarSystem:
    return SolarSystem(
        system_id=_int(row, "solarSystemID"),
        name=_name(row, "solarSystemName"),
        region_id=_optional_int(row, "regionID"),
        security=_float(row, "security"),
    )


def _jump(row: Row) -> tuple[int, int]:
    return _int(row, "fromSolarSystemID"), _int(row, "toSolarSystemID")


def _station(row: Row) -> Station:
    return Station(
        station_id=_int(row, "stationID"), name=_name(row, "stationName"), system_id=_optional_int(row, "solarSystemID")
    )


def _name(row: Row, column: str) -> str:
    value = _text(row, column)
    if value is None:
        raise ValueError(f"{column} is empty")
    return value


def _attribute_value(row: Row) -> float:
    """The float where the dump gives one, else the integer."""
    value = _optional_float(row, "valueFloat")
    return float(_int(row, "valueInt")) if value is None else value


def _group(row: Row) -> Group:
    return Group(category_id=_optional_int(row, "categoryID"), name=_text(row, "groupName"))


def _material(row: Row) -> Material:
    return Material(type_id=_int(row, "materialTypeID"), quantity=_int(row, "quantity"))


def _product(row: Row, probabilities: dict[tuple[int, int, int], float]) -> Product:
    type_id = _int(row, "productTypeID")
    key = (_int(row, "typeID"), _int(row, "activityID"), type_id)
    return Product(type_id=type_id, quantity=_int(row, "quantity"), probability=probabilities.get(key))


def _skill(row: Row) -> Skill:
    return Skill(type_id=_int(row, "skillID"), level=_int(row, "level"))


def _grouped(pairs: Iterator[tuple[ActivityKey, T]]) -> dict[ActivityKey, list[T]]:
    grouped: dict[ActivityKey, list[T]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return grouped


def _text(row: Row, column: str) -> str | None:
    value = _cell(row, column)
    return None if value in _NULLS else value


def _cell(row: Row, column: str) -> str:
    if column not in row:
        raise ValueError(f"no {column} column in the header")
    value = row[column]
    if value is None:  # a short row: DictReader fills the missing cells with None
        raise ValueError(f"no value for {column}")
    return value.strip()


N = TypeVar("N", int, float)


def _number(row: Row, column: str, kind: Callable[[str], N], what: str) -> N | None:
    value = _text(row, column)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{column} is not {what}: {value!r}") from None


def _required(value: N | None, column: str) -> N:
    if value is None:
        raise ValueError(f"{column} is empty")
    return value


def _optional_int(row: Row, column: str) -> int | None:
    return _number(row, column, int, "an integer")


def _int(row: Row, column: str) -> int:
    return _required(_optional_int(row, column), column)


def _optional_float(row: Row, column: str) -> float | None:
    return _number(row, column, float, "a number")


def _float(row: Row, column: str) -> float:
    return _required(_optional_float(row, column), column)


def _flag(row: Row, column: str) -> bool:
    return (_text(row, column) or "").lower() in ("1", "true")
