"""Routes on the map imported with the catalog (the fixtures' map, tests/fixtures/MAP.md):

Jita - Niyabainen - Tama(0.3) - New Caldari
  \\                              /
   +-------- Perimeter ----------+
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from application.catalog_sources import read_catalog
from domain.catalog.model import CatalogFile
from tests.conftest import Api

JITA, NIYABAINEN, PERIMETER, NEW_CALDARI, TAMA = 30000142, 30000143, 30000144, 30000145, 30002813
ROUTE = "/v1/universe/route"


def fixture_catalog() -> dict[str, Any]:
    data = read_catalog(Path(__file__).parents[1] / "fixtures" / "csv_dump")
    as_file = CatalogFile(
        items=data.items, recipes=data.recipes, regions=data.regions, systems=data.systems, stations=data.stations
    )
    return msgspec.to_builtins(as_file)  # type: ignore[no-any-return]  # a dict: a Struct's builtins


def imported_map(api: Api) -> int:
    response = api.post("/v1/catalog/imports", json=fixture_catalog())
    assert response.status_code == 200, response.text
    return int(response.json()["position"])


def route(api: Api, position: int, start: int, end: int, rule: str | None = None) -> Any:
    params: dict[str, Any] = {"from": start, "to": end, "minPosition": position}
    if rule is not None:
        params["rule"] = rule
    return api.get(ROUTE, params=params)


def test_the_shortest_route_names_each_system_with_its_security(alice: Api) -> None:
    position = imported_map(alice)

    answer = route(alice, position, NIYABAINEN, NEW_CALDARI)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["jumps"], body["rule"]) == (2, "shortest")
    assert body["systems"] == [
        {"systemId": NIYABAINEN, "name": "Niyabainen", "regionId": 10000002, "security": 1.0, "displayedSecurity": 1.0},
        {"systemId": TAMA, "name": "Tama", "regionId": 10000033, "security": 0.3, "displayedSecurity": 0.3},
        {
            "systemId": NEW_CALDARI,
            "name": "New Caldari",
            "regionId": 10000002,
            "security": 1.0,
            "displayedSecurity": 1.0,
        },
    ]


def test_the_secure_route_goes_round_low_sec(alice: Api) -> None:
    position = imported_map(alice)

    body = route(alice, position, NIYABAINEN, NEW_CALDARI, "secure").json()

    assert body["jumps"] == 3
    assert [system["name"] for system in body["systems"]] == ["Niyabainen", "Jita", "Perimeter", "New Caldari"]
    assert body["systems"][1]["displayedSecurity"] == 0.9  # Jita's 0.9459


def test_unknown_systems_and_missing_routes_are_clear(alice: Api, bob: Api) -> None:
    position = imported_map(alice)

    unknown_start = route(alice, position, 30009999, JITA)
    unknown_end = route(alice, position, JITA, 30009999)
    no_secure_route = route(alice, position, JITA, TAMA, "secure")
    without_map = route(bob, position, JITA, PERIMETER)

    assert (unknown_start.status_code, unknown_start.json()["field"]) == (404, "from")
    assert (unknown_end.status_code, unknown_end.json()["field"]) == (404, "to")
    assert no_secure_route.status_code == 422 and "high-sec" in no_secure_route.json()["detail"]
    assert (without_map.status_code, without_map.json()["field"]) == (404, "from")
    assert route(alice, position, JITA, PERIMETER, "scenic").status_code == 400


def test_a_reimport_that_changes_the_gates_changes_the_route(alice: Api) -> None:
    """Cached routes are kept per import of the map: a new gate is used at once."""
    position = imported_map(alice)
    assert route(alice, position, JITA, NEW_CALDARI).json()["jumps"] == 2
    catalog = fixture_catalog()
    for system in catalog["systems"]:
        if system["systemId"] in (JITA, NEW_CALDARI):
            other = NEW_CALDARI if system["systemId"] == JITA else JITA
            system["neighbours"] = sorted([*system["neighbours"], other])
    response = alice.post("/v1/catalog/imports", json=catalog)

    assert route(alice, response.json()["position"], JITA, NEW_CALDARI).json()["jumps"] == 1
