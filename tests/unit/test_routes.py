"""Routes by stargate jumps, on the fixture map (tests/fixtures/MAP.md):

    Jita - Niyabainen - Tama(0.3) - New Caldari
      \\                              /
       +-------- Perimeter ----------+

Hand-counted: Jita to New Caldari is two jumps by Perimeter; Niyabainen to New Caldari is two
by Tama, but Tama is low-sec, so the secure rule goes round by Jita and Perimeter: three.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from application.catalog_sources import read_catalog
from domain.catalog.universe import (
    Route,
    RouteCache,
    RouteRule,
    SolarSystem,
    displayed_security,
    is_high_sec,
    shortest_route,
)

JITA, NIYABAINEN, PERIMETER, NEW_CALDARI, TAMA = 30000142, 30000143, 30000144, 30000145, 30002813
SYSTEMS = {
    system.system_id: system for system in read_catalog(Path(__file__).parents[1] / "fixtures" / "csv_dump").systems
}


@pytest.mark.parametrize(
    ("start", "end", "rule", "expected"),
    [
        (JITA, JITA, RouteRule.SHORTEST, (JITA,)),
        (JITA, PERIMETER, RouteRule.SHORTEST, (JITA, PERIMETER)),
        (JITA, NEW_CALDARI, RouteRule.SHORTEST, (JITA, PERIMETER, NEW_CALDARI)),
        (NIYABAINEN, NEW_CALDARI, RouteRule.SHORTEST, (NIYABAINEN, TAMA, NEW_CALDARI)),
        (NIYABAINEN, NEW_CALDARI, RouteRule.SECURE, (NIYABAINEN, JITA, PERIMETER, NEW_CALDARI)),
        (JITA, NEW_CALDARI, RouteRule.SECURE, (JITA, PERIMETER, NEW_CALDARI)),
    ],
)
def test_fewest_jumps_by_rule(start: int, end: int, rule: RouteRule, expected: tuple[int, ...]) -> None:
    route = shortest_route(SYSTEMS, start, end, rule)

    assert route == Route(systems=expected)
    assert route.jumps == len(expected) - 1


def test_a_secure_route_into_low_sec_does_not_exist() -> None:
    assert shortest_route(SYSTEMS, JITA, TAMA, RouteRule.SECURE) is None
    assert shortest_route(SYSTEMS, JITA, TAMA, RouteRule.SHORTEST) == Route(systems=(JITA, NIYABAINEN, TAMA))


def test_unconnected_systems_have_no_route() -> None:
    island = SolarSystem(system_id=31000005, name="Thera", security=-1.0)

    assert shortest_route({**SYSTEMS, island.system_id: island}, JITA, island.system_id) is None


@pytest.mark.parametrize(
    ("security", "shown", "high"),
    [
        (0.9459, 0.9, True),
        (0.45, 0.5, True),
        (0.4499, 0.4, False),
        (0.5, 0.5, True),
        (0.3, 0.3, False),
        (-0.2, -0.2, False),
    ],
)
def test_security_is_rounded_as_the_game_shows_it(security: float, shown: float, high: bool) -> None:
    """The game shows one decimal, halves up: a 0.45 system is 0.5, high-sec."""
    assert displayed_security(security) == shown
    assert is_high_sec(security) is high


def test_routes_are_cached_per_catalog_version_and_rule() -> None:
    loads: list[int] = []

    def systems() -> dict[int, SolarSystem]:
        loads.append(1)
        return SYSTEMS

    cache = RouteCache()
    first = cache.route("alice", 1, NIYABAINEN, NEW_CALDARI, RouteRule.SHORTEST, systems)
    again = cache.route("alice", 1, NIYABAINEN, NEW_CALDARI, RouteRule.SHORTEST, systems)
    secure = cache.route("alice", 1, NIYABAINEN, NEW_CALDARI, RouteRule.SECURE, systems)
    next_version = cache.route("alice", 2, NIYABAINEN, NEW_CALDARI, RouteRule.SHORTEST, systems)

    assert first == again == next_version and first is not None and first.jumps == 2
    assert secure is not None and secure.jumps == 3
    assert len(loads) == 3  # the repeated question was answered from the cache


def test_the_sample_catalog_ships_a_small_map() -> None:
    """domain/catalog/sample-catalog.SOURCES.md: The Forge, Jita and Perimeter one gate apart."""
    sample = read_catalog(Path(__file__).parents[2] / "domain" / "catalog" / "sample-catalog.json")
    systems = {system.system_id: system for system in sample.systems}

    assert shortest_route(systems, JITA, PERIMETER, RouteRule.SECURE) == Route(systems=(JITA, PERIMETER))
    assert [station.name for station in sample.stations] == ["Jita IV - Moon 4 - Caldari Navy Assembly Plant"]
