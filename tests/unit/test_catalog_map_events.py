"""The map in the ``Catalog`` aggregate: recorded with an import as what changed, like items."""

from __future__ import annotations

import msgspec

from domain.catalog.catalog import (
    Catalog,
    CatalogItemsChanged,
    CatalogRegionsChanged,
    CatalogStationsChanged,
    CatalogSystemsChanged,
    CatalogVersionRecorded,
)
from domain.catalog.model import CatalogData
from domain.catalog.universe import Region, SolarSystem, Station
from tests.unit.given import META, OWNER, event, given, history_of
from tests.unit.test_catalog_events import DATA, OPENED, RECIPES, imported

FORGE = Region(region_id=10000002, name="The Forge")
JITA = SolarSystem(system_id=30000142, name="Jita", region_id=10000002, security=0.9459, neighbours=(30000144,))
PERIMETER = SolarSystem(system_id=30000144, name="Perimeter", region_id=10000002, security=1.0, neighbours=(30000142,))
PLANT = Station(station_id=60003760, name="Jita IV - Moon 4 - Caldari Navy Assembly Plant", system_id=30000142)
WITH_MAP = msgspec.structs.replace(DATA, regions=(FORGE,), systems=(JITA, PERIMETER), stations=(PLANT,))
ITEMS = event(CatalogItemsChanged, catalog_version=1, upserted=DATA.items, removed=())


def test_a_first_import_with_a_map_records_its_regions_systems_and_stations() -> None:
    given(OPENED).when(lambda catalog: catalog.import_data(WITH_MAP, "sde", META)).then(
        ITEMS,
        RECIPES,
        event(CatalogRegionsChanged, catalog_version=1, upserted=(FORGE,), removed=()),
        event(CatalogSystemsChanged, catalog_version=1, upserted=(JITA, PERIMETER), removed=()),
        event(CatalogStationsChanged, catalog_version=1, upserted=(PLANT,), removed=()),
        event(CatalogVersionRecorded, game="eve", source="sde"),
    )


def test_reimporting_the_same_map_records_nothing() -> None:
    catalog = Catalog.open(OWNER, META)
    catalog.import_data(WITH_MAP, "sde", META)
    given(*history_of(catalog)).when(lambda catalog: catalog.import_data(WITH_MAP, "again", META)).then_nothing()


def test_a_map_added_to_a_catalog_without_one_records_only_the_map() -> None:
    given(*imported()).when(lambda catalog: catalog.import_data(WITH_MAP, "sde", META)).then(
        event(CatalogRegionsChanged, catalog_version=2, upserted=(FORGE,), removed=()),
        event(CatalogSystemsChanged, catalog_version=2, upserted=(JITA, PERIMETER), removed=()),
        event(CatalogStationsChanged, catalog_version=2, upserted=(PLANT,), removed=()),
        event(CatalogVersionRecorded, game="eve", source="sde"),
    )


def test_a_catalog_without_a_map_keeps_its_content_hash() -> None:
    """The map joins the content hash only where there is one, so catalogs imported before
    maps existed do not look changed."""
    without, with_map = Catalog.open(OWNER, META), Catalog.open(OWNER, META)
    plain = without.import_data(DATA, "spec", META)
    mapped = with_map.import_data(WITH_MAP, "spec", META)
    assert plain is not None and mapped is not None
    assert plain.content_hash != mapped.content_hash
    assert plain.content_hash == "e61f2ea30ced95b0551b53a488c3df55"  # as computed before maps (main at eab2754)


def test_a_removed_gate_changes_both_its_systems() -> None:
    catalog = Catalog.open(OWNER, META)
    catalog.import_data(WITH_MAP, "sde", META)
    cut = msgspec.structs.replace(
        WITH_MAP,
        systems=tuple(msgspec.structs.replace(system, neighbours=()) for system in WITH_MAP.systems),
    )
    unlinked = tuple(msgspec.structs.replace(system, neighbours=()) for system in (JITA, PERIMETER))
    given(*history_of(catalog)).when(lambda catalog: catalog.import_data(cut, "sde", META)).then(
        event(CatalogSystemsChanged, catalog_version=2, upserted=unlinked, removed=()),
        event(CatalogVersionRecorded, game="eve", source="sde"),
    )


def test_catalog_data_without_a_map_decodes_as_before() -> None:
    assert msgspec.json.decode(b'{"items": [], "recipes": []}', type=CatalogData).systems == ()
