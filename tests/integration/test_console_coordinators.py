"""The console's manufacturing coordinators pages: the containers the API lists, a container's
config form acting through the API's service (a refused value shown next to its input in the
API's words, a change made elsewhere meanwhile refused rather than overwritten), its history
with who and when, and another user's container a 404 page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.web import coordinators
from tests.conftest import Api
from tests.integration.test_api_manufacturing import CID, CONFIG, CONTAINERS, DEFAULTS, read, register
from tests.integration.test_console_pages import post_form, row, signed_in
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url

PAGE = f"/coordinators/{CID}"


def config_form(**fields: str) -> dict[str, str]:
    """The form as the page fills it at version 1 (the defaults), with ``fields`` changed."""
    return {"version": "1", **{name: str(value) for name, value in DEFAULTS.items()}, **fields}


def input_value(page: str, name: str) -> str:
    found = re.search(rf'<input id="{name}" name="{name}" type="text" value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


def test_the_coordinators_page_lists_the_containers_with_status_and_config(alice: Api, client: TestClient[Any]) -> None:
    signed_in(client, alice)
    assert "No coordinator containers yet" in client.get("/coordinators").text
    read(alice, CONTAINERS, register(alice, config={"maxWorkers": 9})["position"])
    page = client.get("/coordinators")
    assert page.status_code == 200 and 'aria-current="page">Coordinators' in page.text
    listed = row(page.text, f"container-{CID}")
    assert f'href="/coordinators/{CID}"' in listed and "X1-YZ19" in listed and "stopped" in listed
    assert ">9</td>" in listed and "prefer-fabricate" in listed


def test_a_change_through_the_form_is_the_apis_change_and_shows_in_the_history(
    alice: Api, client: TestClient[Any]
) -> None:
    read(alice, CONTAINERS, register(alice)["position"])
    signed_in(client, alice)
    page = client.get(PAGE)
    assert page.status_code == 200 and input_value(page.text, "maxWorkers") == "5"
    assert 'data-stream="/coordinators/parallel-mfg-X1-YZ19-abc123/stream"' in page.text
    answer = post_form(client, PAGE, config_form(maxWorkers="7", collectMinStartSupply="HIGH"), PAGE)
    assert (answer.status_code, answer.headers["location"]) == (303, PAGE)
    assert alice.get(CONFIG).json()["config"] == {**DEFAULTS, "maxWorkers": 7, "collectMinStartSupply": "HIGH"}

    after = client.get(PAGE).text
    assert input_value(after, "maxWorkers") == "7" and 'name="version" value="2"' in after
    change = row(after, "change-2")
    assert "you" in change and "config" in change
    assert "<code>maxWorkers</code> 5 → 7" in change and "<code>collectMinStartSupply</code> ABUNDANT → HIGH" in change
    assert "registered" in row(after, "change-1")


def test_a_refused_value_shows_the_apis_words_next_to_its_input_and_changes_nothing(
    alice: Api, client: TestClient[Any]
) -> None:
    read(alice, CONTAINERS, register(alice)["position"])
    signed_in(client, alice)
    for fields, field, words in (
        ({"maxWorkers": "0"}, "maxWorkers", "between 1 and 1000, got 0"),
        ({"maxPipelines": "many"}, "maxPipelines", "Expected `int`"),
        ({"collectMinStartSupply": "SCARCE"}, "collectMinStartSupply", "below its execute supply"),
    ):
        answer = post_form(client, PAGE, config_form(**fields), PAGE)
        assert answer.status_code in (400, 422), answer.text
        error = re.search(rf'<p id="{field}-error" class="field-error" role="alert">([^<]*)</p>', answer.text)
        assert error is not None and words in error.group(1), (field, answer.text[-2000:])
        assert f'id="{field}" name="{field}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert alice.get(CONFIG).json()["version"] == 1, "nothing changed"


def test_a_form_of_an_older_version_is_refused_and_shows_the_current_one(alice: Api, client: TestClient[Any]) -> None:
    read(alice, CONTAINERS, register(alice)["position"])
    signed_in(client, alice)
    read(alice, CONFIG, alice.patch(CONFIG, json={"maxPipelines": 4}).json()["position"])  # changed elsewhere
    answer = post_form(client, PAGE, config_form(maxWorkers="8"), PAGE)
    assert answer.status_code == 409
    assert "Expected version 1, but the current version is 2" in answer.text and 'id="form-error"' in answer.text
    assert 'name="version" value="2"' in answer.text, "a resubmission applies onto the current config"
    assert alice.get(CONFIG).json()["config"]["maxWorkers"] == 5


def test_another_users_container_is_the_same_404_as_a_missing_one(
    alice: Api, bob: Api, client: TestClient[Any]
) -> None:
    read(alice, CONTAINERS, register(alice)["position"])
    signed_in(client, bob)
    assert CID not in client.get("/coordinators").text
    for path in (PAGE, f"{PAGE}/history", "/coordinators/nothing-here"):
        answer = client.get(path)
        assert answer.status_code == 404 and "No such coordinator container of yours" in answer.text
    assert client.get(f"{PAGE}/stream").status_code == 404
    answer = post_form(client, PAGE, config_form(maxWorkers="8"), "/coordinators")
    assert answer.status_code == 404
    assert alice.get(CONFIG).json()["version"] == 1


def test_the_pages_need_a_session_and_their_forms_a_csrf_token(alice: Api, client: TestClient[Any]) -> None:
    read(alice, CONTAINERS, register(alice)["position"])
    for path in ("/coordinators", PAGE, f"{PAGE}/stream"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/sign-in"
    signed_in(client, alice)
    refused = client.post(PAGE, data=config_form(maxWorkers="8"), follow_redirects=False)
    assert refused.status_code == 403
    assert alice.get(CONFIG).json()["version"] == 1


def test_the_pages_show_the_newest_changes_and_the_first_containers_and_say_where_the_rest_are(
    alice: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coordinators, "SHOWN", 3)
    for n in range(4):
        register(alice, f"{CID}-{n}")
    for workers in range(6, 10):  # versions 2-5
        last = alice.patch(f"{CONTAINERS}/{CID}-0/config", json={"maxWorkers": workers}).json()
    read(alice, CONTAINERS, last["position"])
    signed_in(client, alice)

    listed = client.get("/coordinators").text
    assert [f"container-{CID}-{n}" in listed for n in range(4)] == [True, True, True, False]
    assert "GET /v1/manufacturing/containers?offset=3" in listed
    history = client.get(f"/coordinators/{CID}-0/history").text
    assert re.findall(r'id="change-(\d+)"', history) == ["5", "4", "3"]
    assert f"GET /v1/manufacturing/containers/{CID}-0/config/history" in history
