"""The map part of each catalog source: regions, systems with their gates, stations.

The fixtures hold a small map (tests/fixtures/MAP.md): Jita, Niyabainen, Perimeter and New
Caldari of The Forge, and the low-sec Tama of The Citadel, gated Jita-Niyabainen, Jita-Perimeter,
Perimeter-New Caldari, Niyabainen-Tama and Tama-New Caldari.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from application.catalog_sources import read_catalog
from domain.catalog.universe import Region, SolarSystem, Station

FIXTURES = Path(__file__).parents[1] / "fixtures"
SOURCES = ("sde_yaml", "sde_jsonl", "csv_dump")
JITA, NIYABAINEN, PERIMETER, NEW_CALDARI, TAMA = 30000142, 30000143, 30000144, 30000145, 30002813


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_reads_regions_systems_with_their_gates_and_stations(source: str) -> None:
    catalog = read_catalog(FIXTURES / source)

    assert catalog.regions == (
        Region(region_id=10000002, name="The Forge"),
        Region(region_id=10000033, name="The Citadel"),
    )
    assert catalog.systems == (
        SolarSystem(
            system_id=JITA, name="Jita", region_id=10000002, security=0.9459, neighbours=(NIYABAINEN, PERIMETER)
        ),
        SolarSystem(system_id=NIYABAINEN, name="Niyabainen", region_id=10000002, security=1.0, neighbours=(JITA, TAMA)),
        SolarSystem(
            system_id=PERIMETER, name="Perimeter", region_id=10000002, security=1.0, neighbours=(JITA, NEW_CALDARI)
        ),
        SolarSystem(
            system_id=NEW_CALDARI, name="New Caldari", region_id=10000002, security=1.0, neighbours=(PERIMETER, TAMA)
        ),
        SolarSystem(
            system_id=TAMA, name="Tama", region_id=10000033, security=0.3, neighbours=(NIYABAINEN, NEW_CALDARI)
        ),
    )
    assert catalog.stations == (
        Station(station_id=60003760, name="Jita IV - Moon 4 - Caldari Navy Assembly Plant", system_id=JITA),
    )


@pytest.mark.parametrize(
    ("source", "systems"),
    [
        ("sde_yaml", "fsd/mapSolarSystems.yaml"),
        ("sde_jsonl", "mapSolarSystems.jsonl"),
        ("csv_dump", "mapSolarSystems.csv"),
    ],
)
def test_a_source_without_systems_imports_without_a_map(source: str, systems: str, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(FIXTURES / source, tmp_path / source))
    (copy / systems).unlink()

    catalog = read_catalog(copy)

    assert (catalog.regions, catalog.systems, catalog.stations) == ((), (), ())
    assert len(catalog.items) == 11


def test_a_gate_given_one_way_links_both_systems(tmp_path: Path) -> None:
    """The CSV dump lists each gate once per direction; a dump listing one still links both."""
    copy = Path(shutil.copytree(FIXTURES / "csv_dump", tmp_path / "csv_dump"))
    jumps = copy / "mapSolarSystemJumps.csv"
    header, *rows = jumps.read_text().splitlines()
    jumps.write_text("\n".join([header, *(row for row in rows if row.split(",")[2] < row.split(",")[3])]) + "\n")

    catalog = read_catalog(copy)

    assert {system.system_id: system.neighbours for system in catalog.systems}[TAMA] == (NIYABAINEN, NEW_CALDARI)


def test_sde_stations_without_a_name_are_left_out(tmp_path: Path) -> None:
    """CCP's npcStations carry no name; a station is kept only where one is given."""
    copy = Path(shutil.copytree(FIXTURES / "sde_jsonl", tmp_path / "sde_jsonl"))
    (copy / "npcStations.jsonl").write_text('{"_key": 60003760, "solarSystemID": 30000142}\n')

    assert read_catalog(copy).stations == ()
