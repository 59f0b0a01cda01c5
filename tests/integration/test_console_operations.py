"""The console's long operations: a catalog file imported from the catalog page (yours, or the
shared one by an admin) and a projection rebuilt from the read models page (admins only), each
run through the service the CLI calls and followed by its page until its outcome; and the
dashboard naming the places it shows.

The test client waits for an operation to end before it answers the form (the operation runs
after the answer, as a background task), so each test reads the finished operation at once;
its progress while it runs is the unit tests' (``tests/unit/test_console_operations.py``)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from application.system import Manufactory
from domain.events import CommandMeta
from domain.stock.names import StructureName
from interfaces.web import catalog as catalog_pages
from tests.conftest import Api
from tests.integration.test_api_catalog import imported_versions
from tests.integration.test_api_plans import CATALOG, HUB, ok
from tests.integration.test_api_universe import fixture_catalog
from tests.integration.test_console import form_token, section, sign_in
from tests.integration.test_map_names import JITA, PLANT
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url

STRUCTURE = 1035466617946


def upload(client: TestClient[Any], content: bytes, name: str = "catalog.json", **fields: str) -> Any:
    """The catalog page's import form, submitted as a browser sends a file."""
    token = form_token(client, "/catalog")
    return client.post(
        "/catalog/imports",
        data={"csrf_token": token, **fields},
        files={"file": (name, content, "application/json")},
        follow_redirects=False,
    )


def test_the_catalog_page_lists_the_newest_versions_and_points_to_the_apis_paging(
    alice: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_pages, "SHOWN_VERSIONS", 2)
    imported_versions(alice, 3)
    sign_in(client, alice.token)
    versions = section(client.get("/catalog").text, "versions")
    shown = re.findall(r'<td class="num">(\d+)</td>', versions)
    assert shown == ["3", "2"] and "GET /v1/catalog/versions" in versions


def operation_of(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    found = re.search(r"operation=([0-9a-f-]{36})$", answer.headers["location"])
    assert found is not None, answer.headers["location"]
    return found.group(1)


def test_importing_a_file_shows_the_outcome_and_the_new_version(alice: Api, client: TestClient[Any]) -> None:
    sign_in(client, alice.token)
    empty = client.get("/catalog")
    assert empty.status_code == 200 and '<a href="/catalog" aria-current="page">Catalog</a>' in empty.text
    assert "No catalog yet. Import a catalog file above" in section(empty.text, "versions")
    assert 'enctype="multipart/form-data"' in empty.text and 'name="shared"' not in empty.text  # not an admin

    operation = operation_of(upload(client, json.dumps(CATALOG).encode(), "ships.json"))
    page = client.get(f"/catalog?operation={operation}").text
    assert "Importing ships.json as your catalog" in page
    assert f"Your catalog is now version 1: items +{len(CATALOG['items'])} ~0 -0" in page
    versions = section(page, "versions")
    assert "console ships.json" in versions and "Your catalog" in versions
    assert ok(alice.get("/v1/catalog/versions"))["versions"][0]["source"] == "console ships.json"  # what the API reads
    assert "data-stream" not in page  # ended: nothing left to follow
    again = client.get(f"/catalog?operation={operation_of(upload(client, json.dumps(CATALOG).encode()))}").text
    assert "Your catalog is unchanged" in again


def test_the_form_refuses_no_file_a_folder_no_csrf_a_file_too_large_and_a_malformed_one(
    alice: Api, client: TestClient[Any]
) -> None:
    sign_in(client, alice.token)
    token = form_token(client, "/catalog")
    none = client.post("/catalog/imports", data={"csrf_token": token}, files={"other": ("x", b"", "text/plain")})
    assert none.status_code == 400 and 'id="file-error"' in none.text and "Choose a catalog file." in none.text
    yaml = upload(client, b"typeID: 1", "blueprints.yaml")
    assert yaml.status_code == 400 and "manufactory catalog import" in yaml.text
    forged = client.post("/catalog/imports", files={"file": ("c.json", b"{}", "application/json")})
    assert forged.status_code == 403
    past_limit = upload(client, b" " * (client.app.request_max_body_size + 1))  # the API's body limit
    assert past_limit.status_code == 413 and "larger than the" in past_limit.text
    malformed = operation_of(upload(client, b'{"items": [{"typeId": "x"}]}', "broken.json"))
    fragment = client.get(f"/operations/{malformed}/sections").text  # the reader's words, next to the input
    assert '<p id="file-error" class="field-error" role="alert">' in fragment and "broken.json" in fragment
    assert ok(alice.get("/v1/catalog/versions"))["versions"] == []  # nothing recorded


def test_only_an_admin_imports_the_shared_catalog(alice: Api, operator: Api, bob: Api, client: TestClient[Any]) -> None:
    sign_in(client, alice.token)
    refused = upload(client, json.dumps(CATALOG).encode(), shared="on")
    assert refused.status_code == 403 and 'id="shared-error"' in refused.text and "only an admin" in refused.text
    client.cookies.clear()
    sign_in(client, operator.token)
    assert 'name="shared"' in client.get("/catalog").text
    operation = operation_of(upload(client, json.dumps(CATALOG).encode(), shared="on"))
    assert "The shared catalog is now version 1" in client.get(f"/catalog?operation={operation}").text
    client.cookies.clear()
    sign_in(client, bob.token)  # follows the shared catalog now; the admin's operation is not his
    assert "The shared catalog" in section(client.get("/catalog").text, "versions")
    assert client.get(f"/operations/{operation}/sections").status_code == 404
    assert client.get(f"/operations/{operation}/stream").status_code == 404
    assert 'id="operation-unknown"' in client.get(f"/catalog?operation={operation}").text  # not his to follow


def test_read_models_and_their_rebuild_are_for_admins(alice: Api, operator: Api, client: TestClient[Any]) -> None:
    sign_in(client, alice.token)
    assert client.get("/projections").status_code == 404
    token = form_token(client, "/catalog")
    assert client.post("/projections/industry/rebuild", data={"csrf_token": token}).status_code == 404
    client.cookies.clear()
    sign_in(client, operator.token)
    page = client.get("/projections").text
    assert '<tr id="projection-industry">' in page and "No event set aside" in page
    generation = int(re.findall(r"<td class=\"num\">(\d+)</td>", section_row(page, "industry"))[0])
    operation = operation_of(
        client.post(
            "/projections/industry/rebuild",
            data={"csrf_token": form_token(client, "/projections")},
            follow_redirects=False,
        )
    )
    after = client.get(f"/projections?operation={operation}").text
    assert f"industry: rebuilt as generation {generation + 1} and swapped in." in after
    assert int(re.findall(r"<td class=\"num\">(\d+)</td>", section_row(after, "industry"))[0]) == generation + 1
    unknown = client.post("/projections/nothing/rebuild", data={"csrf_token": form_token(client, "/projections")})
    assert unknown.status_code == 404


def test_the_dashboard_and_stockpiles_name_stations_structures_and_containers(
    system: Manufactory, alice: Api, client: TestClient[Any]
) -> None:
    ok(alice.post("/v1/catalog/imports", json=fixture_catalog()))
    meta = CommandMeta(user_id=alice.user_id, correlation_id="names")
    system.stock.name_places({77: "Ore box"}, [StructureName(STRUCTURE, "Perimeter - Hub", JITA)], meta)
    for location in (PLANT, HUB):
        ok(alice.post("/v1/stockpiles", json={"typeId": 34, "locationId": location, "desiredQuantity": 5}))
    boxed = {"ownerType": "character", "ownerId": 90000001, "containerId": 77}
    ok(alice.post("/v1/stockpiles", json={"typeId": 34, "locationId": STRUCTURE, "desiredQuantity": 5, **boxed}))
    system.projections.catch_up()  # names are the map's and the game's, read as they are (no wait for them)
    sign_in(client, alice.token)
    deficits = section(client.get("/").text, "deficits")
    assert "Jita IV - Moon 4 - Caldari Navy Assembly Plant</span>" in deficits  # the map's station; Jita in its name
    assert "Perimeter - Hub</span> <small>(Jita)</small>" in deficits  # the game's structure, in its system
    assert "<small>Ore box</small>" in deficits  # the container, as the game named it
    assert f"<td>{HUB}" in deficits  # a place nobody named keeps its id
    listed = section(client.get("/stockpiles").text, "stockpiles")  # the stockpiles page names them alike
    assert "Perimeter - Hub</span> <small>(Jita)</small>" in listed and f"<td>{HUB}</td>" in listed


def section_row(page: str, name: str) -> str:
    found = re.search(rf'<tr id="projection-{name}".*?</tr>', page, re.DOTALL)
    assert found is not None
    return found.group(0)
