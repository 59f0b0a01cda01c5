"""The console's chains and shopping page: the item search is the catalog's search, the chain
tree, the materials and the multibuy text are what the chain queries answer for the same
settings, a refused setting is shown next to its input in the API's words, and an item the
user's catalog does not have (another user's too) is the API's 404.

The catalog is test_api_plans' one: ship S from C, D and Tritanium; D from C and Pyerite; C
from the reaction product B and Tritanium."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Api
from tests.integration.test_api_plans import CATALOG, TRIT, S, ok
from tests.integration.test_console_pages import signed_in
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url

SETTINGS = {"runs": "3", "me": "10", "structureMaterialBonus": "0.01", "rigMaterialBonus": "0.02", "security": "null"}


def imported(api: Api) -> None:
    ok(api.post("/v1/catalog/imports", json=CATALOG))


def section(page: str, name: str) -> str:
    found = re.search(rf'<section class="card" id="{name}".*?</section>', page, re.DOTALL)
    assert found is not None, name
    return found.group(0)


def nodes(node: dict[str, Any], *, raw: bool) -> list[dict[str, Any]]:
    """The tree's nodes, depth first, built ones or raw ones."""
    found = [node] if node["raw"] == raw else []
    return found + [each for child in node["children"] for each in nodes(child, raw=raw)]


def rows(table_html: str) -> list[tuple[str, str]]:
    """Name and number of each two-cell body row."""
    return re.findall(r'<tr><td>([^<]+)</td><td class="num">([^<]+)</td>', table_html)


def test_the_page_says_what_to_do_before_a_search(alice: Api, client: TestClient[Any]) -> None:
    signed_in(client, alice)
    page = client.get("/chains")
    assert page.status_code == 200 and "Type part of an item's name" in page.text
    assert '<a href="/chains" aria-current="page">Chains</a>' in page.text


def test_the_search_lists_what_the_catalogs_search_finds(alice: Api, client: TestClient[Any]) -> None:
    imported(alice)
    signed_in(client, alice)
    page = client.get("/chains", params={"search": "  iT  "}).text  # part of the name, any case, trimmed
    api = ok(alice.get("/v1/catalog/items", params={"search": "it"}))["items"]
    listed = re.findall(r'<li><a href="/chains/(\d+)">([^<]+)</a>', section(page, "items"))
    assert listed == [(str(item["typeId"]), item["name"]) for item in api] and listed
    nothing = client.get("/chains", params={"search": "rifter"}).text
    assert "No item of your catalog is named like" in nothing and '<a href="/catalog">Catalog</a> page' in nothing


def test_an_overlong_search_is_refused_next_to_its_input(alice: Api, client: TestClient[Any]) -> None:
    signed_in(client, alice)
    page = client.get("/chains", params={"search": "x" * 101})
    assert alice.get("/v1/catalog/items", params={"search": "x" * 101}).status_code == page.status_code == 400
    assert 'id="search-error"' in page.text and 'aria-describedby="search-error"' in page.text


def test_the_chain_page_shows_the_tree_materials_and_multibuy_the_queries_answer(
    alice: Api, client: TestClient[Any]
) -> None:
    imported(alice)
    signed_in(client, alice)
    page = client.get(f"/chains/{S}", params=SETTINGS)
    assert page.status_code == 200, page.text

    tree = section(page.text, "tree")
    api_tree = ok(alice.get(f"/v1/production/chains/{S}"))["tree"]
    assert tree.count("<details") == len(nodes(api_tree, raw=False)) and tree.count("<details open>") == 1
    assert tree.count('<li class="raw">') == len(nodes(api_tree, raw=True))
    assert re.findall(r"<summary><span class=\"qty\">([\d,]+) ×</span> ([^<]+?) <small", tree) == [
        (f"{node['quantity']:,}", node["name"]) for node in nodes(api_tree, raw=False)
    ]

    bill = ok(alice.get(f"/v1/production/chains/{S}/materials", params=SETTINGS))
    materials = section(page.text, "materials")
    expected = [(line["name"], f"{line['quantity']:,}") for line in bill["materials"] + bill["bought"]]
    assert rows(materials)[: len(expected)] == expected
    assert "Materials for 3 runs" in materials and "Component" in materials  # a build step

    multibuy = alice.get(f"/v1/production/chains/{S}/shopping-list", params={**SETTINGS, "format": "multibuy"})
    box = re.search(r'<textarea id="multibuy"[^>]*>([^<]*)</textarea>', page.text)
    assert box is not None and html.unescape(box.group(1)) == multibuy.text and "\t" in multibuy.text
    assert 'id="copy-multibuy"' in page.text and "/static/chains.js" in page.text
    for name, value in SETTINGS.items():  # the form shows what it was worked out with
        if name != "security":
            assert f'name="{name}" type="text" value="{value}"' in page.text
    assert '<option value="null" selected>' in page.text


def test_without_settings_the_page_uses_the_queries_defaults(alice: Api, client: TestClient[Any]) -> None:
    imported(alice)
    signed_in(client, alice)
    page = client.get(f"/chains/{S}").text
    bill = ok(alice.get(f"/v1/production/chains/{S}/materials"))
    assert rows(section(page, "materials"))[0] == (
        bill["materials"][0]["name"],
        f"{bill['materials'][0]['quantity']:,}",
    )
    assert 'name="runs" type="text" value="1"' in page and "Materials for 1 run " in page


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"runs": "0"}, "runs"),
        ({"runs": "lots"}, "runs"),
        ({"me": "11"}, "me"),
        ({"rigMaterialBonus": "0.6"}, "rigMaterialBonus"),
        ({"security": "space"}, "security"),
    ],
)
def test_a_refused_setting_shows_next_to_its_input(
    alice: Api, client: TestClient[Any], params: dict[str, str], field: str
) -> None:
    imported(alice)
    signed_in(client, alice)
    page = client.get(f"/chains/{S}", params=params)
    api = alice.get(f"/v1/production/chains/{S}/materials", params=params)
    assert page.status_code == api.status_code == 400, page.text
    assert api.json()["field"] == field
    assert re.search(rf'<p id="{field}-error" class="field-error" role="alert">[^<]+</p>', page.text), page.text
    assert 'id="tree"' in page.text and 'id="materials"' not in page.text  # the tree still, no bill


def test_an_item_nothing_builds_or_not_in_the_catalog_is_the_apis_404(alice: Api, client: TestClient[Any]) -> None:
    imported(alice)
    signed_in(client, alice)
    for type_id in (TRIT, 999_999):
        page = client.get(f"/chains/{type_id}")
        api = alice.get(f"/v1/production/chains/{type_id}")
        assert page.status_code == api.status_code == 404
        assert html.unescape(re.sub(r"\s+", " ", page.text)).count(api.json()["detail"][1:]) == 1


def test_another_users_catalog_is_not_searched_or_shown(alice: Api, bob: Api, client: TestClient[Any]) -> None:
    imported(alice)
    signed_in(client, bob)
    assert "No item of your catalog is named like" in client.get("/chains", params={"search": "Ship"}).text
    assert client.get(f"/chains/{S}").status_code == 404


def test_chain_pages_send_a_signed_out_reader_to_sign_in(client: TestClient[Any]) -> None:
    for path in ("/chains", f"/chains/{S}"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in"), path
