"""The console's audit pages: an aggregate's events as a timeline (type, version, who, when,
correlation and causation, the event's fields) a page at a time, and its state at a chosen
version, as ``GET /v1/audit/{id}`` answers them; another user's id is the 404 of an unused one,
and a bad version is refused in the API's words next to the version input."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.web import audit
from tests.conftest import Api
from tests.integration.test_api_plans import FACTORY, at_factory, generate, new_plan, ok
from tests.integration.test_console_pages import signed_in
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url


def moved_plan(api: Api) -> str:
    """A plan with three versions: created, then its two C steps moved to the factory."""
    plan = at_factory(api, new_plan(api))
    return str(plan["aggregateId"])


def versions(page: str) -> list[int]:
    return [int(version) for version in re.findall(r'<li id="v(\d+)"', page)]


def error_of(page: str, field: str) -> str:
    found = re.search(rf'<p id="{field}-error" class="field-error" role="alert">([^<]*)</p>', page)
    assert found is not None, f"no error next to {field}"
    return html.unescape(found.group(1))


def test_the_timeline_lists_every_event_as_the_api_does(alice: Api, client: TestClient[Any]) -> None:
    plan_id = moved_plan(alice)
    trail = ok(alice.get(f"/v1/audit/{plan_id}"))
    signed_in(client, alice)
    page = client.get(f"/audit/{plan_id}")
    assert page.status_code == 200, page.text
    assert versions(page.text) == [event["version"] for event in trail["events"]]
    assert len(trail["events"]) >= 3
    for event in trail["events"]:
        item = re.search(rf'<li id="v{event["version"]}".*?</li>', page.text, re.DOTALL)
        assert item is not None
        assert f"{event['version']}. {event['type']}</strong>" in item.group(0)
        assert "by you" in item.group(0) and event["correlationId"] in item.group(0)
    moved = re.search(rf'<li id="v{trail["version"]}".*?</li>', page.text, re.DOTALL)
    assert moved is not None and trail["events"][-1]["payload"]  # the event's fields, named as the API names them
    assert all(f"<dt>{name}</dt>" in moved.group(0) for name in trail["events"][-1]["payload"])
    assert f'State at version <span id="state-version">{trail["version"]}</span>' in page.text  # the latest


def test_the_state_at_an_earlier_version_is_the_api_state_then(alice: Api, client: TestClient[Any]) -> None:
    plan_id = moved_plan(alice)
    then = ok(alice.get(f"/v1/audit/{plan_id}", params={"version": 1}))["state"]
    now = ok(alice.get(f"/v1/audit/{plan_id}"))["version"]
    signed_in(client, alice)
    page = client.get(f"/audit/{plan_id}", params={"version": "1"}).text
    assert 'State at version <span id="state-version">1</span>' in page
    state = re.search(r'<section class="card" id="state".*?</section>', page, re.DOTALL)
    assert state is not None
    assert f"<dt>name</dt><dd><code>{then['name']}</code></dd>" in state.group(0)
    assert all(f"<dt>{name}</dt>" in state.group(0) for name in then)  # every field of the state then
    assert f'href="/audit/{plan_id}?version=2#state" rel="next"' in state.group(0)
    assert 'rel="prev"' not in state.group(0)  # no version before the first
    assert '<li id="v1" class="chosen" aria-current="step">' in page
    latest = client.get(f"/audit/{plan_id}", params={"version": str(now)}).text
    steps = re.search(r"<dt>steps</dt><dd><pre>(.*?)</pre>", latest, re.DOTALL)
    earlier = re.search(r"<dt>steps</dt><dd><pre>(.*?)</pre>", page, re.DOTALL)
    assert steps is not None and earlier is not None
    assert f'"stationId": {FACTORY}' in html.unescape(steps.group(1))  # the steps moved since
    assert f'"stationId": {FACTORY}' not in html.unescape(earlier.group(1))


def test_another_users_object_is_the_same_404_as_an_unused_id(alice: Api, bob: Api, client: TestClient[Any]) -> None:
    plan_id = moved_plan(alice)
    assert bob.get(f"/v1/audit/{plan_id}").status_code == 404
    signed_in(client, bob)
    theirs, unused = client.get(f"/audit/{plan_id}"), client.get(f"/audit/{uuid.uuid4()}")
    assert theirs.status_code == unused.status_code == 404
    assert theirs.text == unused.text and "Ships" not in theirs.text
    assert client.get(f"/audit/{plan_id}", params={"version": "1"}).status_code == 404


@pytest.mark.parametrize("version", ["99", "0", "two"])
def test_a_bad_version_shows_the_api_message_next_to_the_input(
    alice: Api, client: TestClient[Any], version: str
) -> None:
    plan_id = moved_plan(alice)
    api = alice.get(f"/v1/audit/{plan_id}", params={"version": version})
    assert api.json()["field"] == "version", api.text
    signed_in(client, alice)
    page = client.get(f"/audit/{plan_id}", params={"version": version})
    assert page.status_code == api.status_code
    shown = error_of(page.text, "version")
    assert shown.rstrip(".").lower() == api.json()["detail"].lower()  # the API's words
    assert versions(page.text)  # the timeline stays


def test_a_long_history_is_paged(alice: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    plan_id = moved_plan(alice)
    latest = ok(alice.get(f"/v1/audit/{plan_id}"))["version"]
    monkeypatch.setattr(audit, "PAGE", 2)
    signed_in(client, alice)
    first = client.get(f"/audit/{plan_id}", params={"after": "0"}).text
    assert versions(first) == [1, 2] and f'href="/audit/{plan_id}?after=2" rel="next"' in first
    second = client.get(f"/audit/{plan_id}", params={"after": "2"}).text
    assert versions(second) == list(range(3, min(latest, 4) + 1)) and 'rel="prev"' in second
    chosen = client.get(f"/audit/{plan_id}", params={"version": str(latest)}).text
    assert latest in versions(chosen)  # the page holding the chosen version


def test_the_audit_page_opens_an_id_and_offers_your_objects(alice: Api, client: TestClient[Any]) -> None:
    signed_in(client, alice)
    assert "Nothing of yours yet" in client.get("/audit").text
    plan_id = moved_plan(alice)
    run = ok(generate(alice, plan_id, 2), 201)["run"]
    page = client.get("/audit").text
    assert f'<a href="/audit/{plan_id}">Ships</a>' in page and f'href="/audit/{run["id"]}"' in page
    opened = client.get("/audit", params={"aggregateId": f" {plan_id} "}, follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, f"/audit/{plan_id}")
    wrong = client.get("/audit", params={"aggregateId": "not-an-id"})
    assert wrong.status_code == 400 and "Not an id" in error_of(wrong.text, "aggregateId")
    run_page = client.get(f"/runs/{run['id']}").text
    assert f'<a href="/audit/{run["id"]}">' in run_page  # a run links to its history
    assert client.get(f"/audit/{run['id']}").status_code == 200


def test_a_stockpile_links_to_its_history(alice: Api, client: TestClient[Any]) -> None:
    marker = ok(alice.post("/v1/stockpiles", json={"typeId": 300, "locationId": 60003760, "desiredQuantity": 3}))
    marker = marker["marker"]
    signed_in(client, alice)
    assert f'<a href="/audit/{marker["id"]}">' in client.get(f"/stockpiles/{marker['id']}").text
    history = client.get(f"/audit/{marker['id']}").text
    assert "1. " in history and "by you" in history and "StockpileMarker" in history
