"""The console's economics pages: the opportunities the API's query ranks, filtered and paged
with its ``total``; an item's costs, its price history as a chart drawn on the server, and the
regions compared. A bad filter shows the API's own message next to its input; the figures are
those ``test_api_economics`` works out by hand."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.web import economics
from tests.conftest import Api
from tests.integration.test_api_economics import (
    DOMAIN,
    FORGE,
    RIFTER,
    SELL,
    C,
    D,
    S,
    X,
    Y,
    forge_batch,
    ok,
    quotes,
    setup,
)
from tests.integration.test_console_pages import signed_in
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url


def listed(page: str) -> list[int]:
    """The items of the opportunities table, in its order."""
    return [int(type_id) for type_id in re.findall(r'<tr id="item-(\d+)">', page)]


def priced(api: Api) -> int:
    """Alice's catalog and The Forge's prices, with her economics rows worked out (the API's
    ``minPosition`` waits for them, as a page read moments later would not)."""
    position = setup(api)
    read_at(api, position)
    return position


def read_at(api: Api, position: int) -> None:
    ok(api.get("/v1/production/economics/opportunities", params={"region_id": FORGE, "minPosition": position}))


def error_of(page: str, field: str) -> str:
    found = re.search(rf'<p id="{field}-error" class="field-error" role="alert">([^<]*)</p>', page)
    assert found is not None, f"no error next to {field}"
    return html.unescape(found.group(1))


def test_the_opportunities_page_lists_the_api_ranking_best_first(alice: Api, client: TestClient[Any]) -> None:
    position = setup(alice)
    api = ok(alice.get("/v1/production/economics/opportunities", params={"region_id": FORGE, "minPosition": position}))
    signed_in(client, alice)
    page = client.get("/economics")  # the user's only region, without asking
    assert page.status_code == 200, page.text
    assert listed(page.text) == [item["typeId"] for item in api["items"]] == [RIFTER, S, X, D, C]
    assert '<a href="/economics" aria-current="page">Economics</a>' in page.text
    assert f'<a href="/economics/{RIFTER}?region_id={FORGE}">Rifter</a>' in page.text
    assert "57,631.25" in page.text  # the Rifter's profit at the lowest sell
    assert "1–5 of 5" in page.text and "1 items of the region are left out" in page.text  # Y has no price
    assert 'rel="next"' not in page.text


def test_sorting_and_filtering_are_the_api_query_parameters(alice: Api, client: TestClient[Any]) -> None:
    priced(alice)
    signed_in(client, alice)
    assert listed(client.get("/economics", params={"region_id": FORGE, "min_profit": "1000"}).text) == [RIFTER, S, X]
    assert listed(client.get("/economics", params={"min_roi": "20"}).text) == [S, D]
    by_roi = client.get("/economics", params={"sort": "roi", "min_roi": "", "min_profit": "0"}).text  # blank: not given
    assert listed(by_roi) == [S, D, RIFTER, X]
    assert '<option value="roi" selected>' in by_roi  # the form keeps what was asked
    assert listed(client.get("/economics", params={"price": "buy", "min_profit": "0"}).text) == [RIFTER, S, X, D]


def test_long_rankings_are_paged_with_the_total(
    alice: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    priced(alice)
    monkeypatch.setattr(economics, "PAGE", 2)
    signed_in(client, alice)
    first = client.get("/economics", params={"min_profit": "0"}).text
    assert listed(first) == [RIFTER, S] and "1–2 of 4" in first
    following = re.search(r'<a href="(/economics\?[^"]*)" rel="next">', first)
    assert following is not None and 'rel="prev"' not in first
    second = client.get(following.group(1).replace("&amp;", "&")).text
    assert listed(second) == [X, D] and "3–4 of 4" in second  # the filter kept, C's loss still left out
    assert 'rel="prev"' in second and 'rel="next"' not in second
    past = client.get("/economics", params={"min_profit": "0", "offset": "8"}).text
    assert listed(past) == [] and "No more opportunities past this page" in past


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_roi": "lots"}, "min_roi"),
        ({"min_profit": "1e99"}, "min_profit"),
        ({"sort": "luck"}, "sort"),
        ({"region_id": "0"}, "region_id"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_a_bad_filter_shows_the_api_message_next_to_its_input(
    alice: Api, client: TestClient[Any], params: dict[str, str], field: str
) -> None:
    setup(alice)
    api = alice.get("/v1/production/economics/opportunities", params={"region_id": FORGE, **params})
    assert (api.status_code, api.json()["field"]) == (400, field), api.text
    signed_in(client, alice)
    page = client.get("/economics", params=params)
    assert page.status_code == 400
    assert error_of(page.text, field) == api.json()["detail"]
    assert listed(page.text) == [] and "Fix the filter above" in page.text


def test_a_region_without_your_market_data_is_refused_as_the_api_refuses_it(
    alice: Api, bob: Api, client: TestClient[Any]
) -> None:
    priced(alice)
    signed_in(client, bob)
    assert "No market data yet" in client.get("/economics").text  # bob sent no prices: what to do next
    page = client.get("/economics", params={"region_id": str(FORGE)})  # alice's region is not bob's
    api = bob.get("/v1/production/economics/opportunities", params={"region_id": FORGE})
    assert (page.status_code, api.status_code) == (404, 404)
    assert "you have no market data for region 10000002" in api.json()["detail"]
    assert error_of(page.text, "region_id") == "You have no market data for region 10000002."


def test_an_item_page_shows_its_costs_price_history_and_regions(alice: Api, client: TestClient[Any]) -> None:
    setup(alice)
    cheaper = {"regionId": FORGE, "observedAt": "2026-03-02T12:00:00Z", "quotes": quotes({RIFTER: 440_000.0})}
    ok(alice.post("/v1/market/prices", json=cheaper), 201)
    domain = forge_batch() | {"regionId": DOMAIN}
    domain["quotes"] = [*quotes(SELL), {"typeId": RIFTER, "lowestSell": 470_000, "highestBuy": 390_000}]
    position = ok(alice.post("/v1/market/prices", json=domain), 201)["position"]
    read_at(alice, position)
    history = ok(alice.get(f"/v1/market/prices/{RIFTER}", params={"region_id": FORGE, "minPosition": position}))
    signed_in(client, alice)
    page = client.get(f"/economics/{RIFTER}", params={"region_id": str(FORGE)})
    assert page.status_code == 200, page.text
    costs = re.search(r'<section class="card" id="costs".*?</section>', page.text, re.DOTALL)
    assert costs is not None
    # materials 363,000, jobs 29,368.75, total 392,368.75; sold at 440,000 now: profit 47,631.25
    for figure in ("363,000", "29,368.75", "392,368.75", "440,000", "47,631.25"):
        assert figure in costs.group(0), figure
    chart = re.search(r'<svg id="price-chart".*?</svg>', page.text, re.DOTALL)
    assert chart is not None  # drawn on the server: no script, no library
    assert chart.group(0).count('<polyline class="series series-sell"') == 1
    assert chart.group(0).count('<circle class="series-sell"') == len(history["history"]) == 2
    assert "Lowest sell 450,000 at 2026-03-01 12:00" in chart.group(0) and "440,000" in chart.group(0)
    regions = re.search(r'<section class="card" id="regions".*?</section>', page.text, re.DOTALL)
    assert regions is not None
    assert re.findall(r'<tr id="region-(\d+)"', regions.group(0)) == [str(DOMAIN), str(FORGE)]  # best first
    assert f'<strong id="best-region">{DOMAIN}</strong>' in regions.group(0)  # no map: named by id


def test_an_item_page_charts_the_newest_points_and_compares_the_first_regions(
    alice: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(alice)
    cheaper = {"regionId": FORGE, "observedAt": "2026-03-02T12:00:00Z", "quotes": quotes({RIFTER: 440_000.0})}
    ok(alice.post("/v1/market/prices", json=cheaper), 201)
    read_at(alice, ok(alice.post("/v1/market/prices", json=forge_batch() | {"regionId": DOMAIN}), 201)["position"])
    monkeypatch.setattr(economics, "SHOWN_POINTS", 1)
    monkeypatch.setattr(economics, "MAX_REGIONS", 1)
    signed_in(client, alice)
    page = client.get(f"/economics/{RIFTER}", params={"region_id": str(FORGE)}).text
    history = re.search(r'<section class="card" id="history".*?</section>', page, re.DOTALL)
    assert history is not None and history.group(0).count('<circle class="series-sell"') == 1
    assert "440,000" in history.group(0) and f"/v1/market/prices/{RIFTER}?region_id={FORGE}&amp;offset=1" in page
    regions = re.search(r'<section class="card" id="regions".*?</section>', page, re.DOTALL)
    assert regions is not None and re.findall(r'<tr id="region-(\d+)"', regions.group(0)) == [str(FORGE)]
    assert f"/v1/production/economics/{RIFTER}/regions?offset=1" in regions.group(0)


def test_an_item_page_without_history_or_a_buildable_item_says_so(alice: Api, client: TestClient[Any]) -> None:
    priced(alice)
    signed_in(client, alice)
    widget = client.get(f"/economics/{Y}").text  # nobody sells its input: figures unknown, the price listed
    assert "Unknown figures lack these prices" in widget and '<svg id="price-chart"' in widget
    unknown = client.get("/economics/999999")
    assert unknown.status_code == 404 and "Item 999999 is not in your catalog." in unknown.text
    bad = client.get(f"/economics/{RIFTER}", params={"region_id": "x"})
    assert bad.status_code == 400 and error_of(bad.text, "region_id") == "Expected `int | null`, got `str`"


def test_the_pages_ask_to_sign_in_first(alice: Api, client: TestClient[Any]) -> None:
    priced(alice)
    for path in ("/economics?min_roi=lots", f"/economics/{RIFTER}", "/economics/0", "/audit", f"/audit/{uuid.uuid4()}"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/sign-in"), path
    signed_in(client, alice)
    assert client.get("/economics/0").status_code == 404  # no such item: the page's 404, not the API's JSON
