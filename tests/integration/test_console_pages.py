"""The console's plan runs and stockpiles pages: what they list is what the API's queries
answer, their forms act through the API's services (a refused value shown next to its input,
in the API's words), every form needs its CSRF field, and another user's id is a 404 page."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from application.system import Manufactory
from domain.errors import Conflict
from interfaces.web import stockpiles as stockpile_pages
from tests.conftest import Api
from tests.integration.test_api_plans import FACTORY, HUB, S, at_factory, generate, new_plan, ok
from tests.integration.test_console import form_token, sign_in
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url


def signed_in(client: TestClient[Any], api: Api) -> None:
    answer = sign_in(client, api.token)
    assert answer.status_code == 303, answer.text


def post_form(client: TestClient[Any], path: str, data: dict[str, str], page: str) -> Any:
    """A form of ``page`` submitted as the browser would, with the page's CSRF field."""
    return client.post(path, data={"csrf_token": form_token(client, page), **data}, follow_redirects=False)


def row(page: str, element_id: str) -> str:
    found = re.search(rf'<tr id="{element_id}">.*?</tr>', page, re.DOTALL)
    assert found is not None, element_id
    return found.group(0)


def add_form(**fields: str) -> dict[str, str]:
    """The add form as a player fills it: item, place, quantity; the rest as the page offers it."""
    return {
        "typeId": str(S),
        "locationId": str(HUB),
        "desiredQuantity": "3",
        "priceSource": "sell",
        "pricePercentage": "100",
        "autoProductionParallelism": "0",
        **fields,
    }


# ---------------------------------------------------------------- plan runs


def test_the_runs_page_lists_each_run_with_its_derived_status_and_jobs(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    run = ok(generate(alice, plan["aggregateId"], 2), 201)
    run_id = run["run"]["id"]
    signed_in(client, alice)
    page = client.get("/runs")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    listed = row(page.text, f"run-{run_id}")
    assert "Ships" in listed and "Ship" in listed and "status-pending" in listed
    assert "0/4 done, 4 planned" in listed  # as the dashboard counts: Ship, Module, Component, Reagent
    assert f'action="/runs/{run_id}/cancel"' in listed and f'action="/runs/{run_id}/delete"' in listed
    assert '<a href="/runs" aria-current="page">Runs</a>' in page.text  # the navigation says where


def test_a_run_page_shows_its_jobs_in_sort_order_and_its_hauls(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    run = ok(generate(alice, plan["aggregateId"], 2), 201)
    detail = ok(alice.get(f"/v1/industry/plans/{plan['aggregateId']}/runs/{run['run']['id']}"))
    signed_in(client, alice)
    page = client.get(f"/runs/{run['run']['id']}")
    assert page.status_code == 200, page.text
    jobs = re.search(r'<section class="card" id="jobs".*?</section>', page.text, re.DOTALL)
    assert jobs is not None
    shown = re.findall(r"<tr>\s*<td class=\"num\">(-?\d+)</td>\s*<td>([^<]+)</td>", jobs.group(0))
    assert [name for _, name in shown] == [job["productName"] for job in detail["jobs"]]  # the API's order
    assert len(shown) == 4 and "planned" in jobs.group(0)
    assert "No hauls" in page.text  # every step at the hub


def test_a_started_job_shows_its_character_by_name(alice: Api, client: TestClient[Any]) -> None:
    ok(alice.put("/v1/industry/characters/90000001", json={"name": "Ada Builder"}))
    plan = new_plan(alice)
    run = ok(generate(alice, plan["aggregateId"], 2), 201)
    first = run["created"][0]["id"]
    ok(alice.post(f"/v1/industry/jobs/{first}/start", json={"characterId": 90000001}))
    signed_in(client, alice)
    page = client.get(f"/runs/{run['run']['id']}").text
    assert "<td>Ada Builder</td>" in page and "status-active" in page
    assert "status-in_progress" in page  # the run's status, derived from its jobs


def test_a_run_page_shows_the_hauls_between_stations_as_the_api_lists_them(alice: Api, client: TestClient[Any]) -> None:
    """The plan's C and B steps at the factory: materials go there and products come back
    (the hauls ``test_api_plans`` works out), each with its items named and its cost."""
    plan = at_factory(alice, new_plan(alice, transport={"hubStationId": HUB, "costPerM3": 1000}))
    run = ok(generate(alice, plan["aggregateId"], 2), 201)
    signed_in(client, alice)
    page = client.get(f"/runs/{run['run']['id']}").text
    hauls = re.search(r'<section class="card" id="hauls".*?</section>', page, re.DOTALL)
    assert hauls is not None
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>([^<]*)</td>", hauls.group(0))
    expected = sorted(run["transportJobs"], key=lambda haul: haul["sortOrder"])
    assert [(int(origin), int(to)) for origin, to, _ in rows] == [
        (haul["fromStationId"], haul["toStationId"]) for haul in expected
    ]
    assert {FACTORY, HUB} <= {int(station) for origin, to, _ in rows for station in (origin, to)}
    assert all(" × " in items for _, _, items in rows)
    assert "Component" in hauls.group(0) and "Tritanium" in hauls.group(0)  # made and bought items named
    assert "type " not in hauls.group(0)
    assert hauls.group(0).count("plan rates") == len(expected)  # no transport profile: the plan's own rates
    jobs = re.search(r'<section class="card" id="jobs".*?</section>', page, re.DOTALL)
    assert jobs is not None and jobs.group(0).count("Haul from ") == len(expected)  # each haul's transport job


def test_cancel_on_the_runs_page_cancels_the_planned_jobs(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    run_id = ok(generate(alice, plan["aggregateId"], 2), 201)["run"]["id"]
    signed_in(client, alice)
    answer = post_form(client, f"/runs/{run_id}/cancel", {}, "/runs")
    assert (answer.status_code, answer.headers["location"]) == (303, "/runs")
    assert "0/0 done, 4 cancelled" in row(client.get("/runs").text, f"run-{run_id}")
    api_run = ok(alice.get(f"/v1/industry/plans/{plan['aggregateId']}/runs/{run_id}"))
    assert api_run["jobSummary"]["cancelled"] == 4  # the API sees what the page did
    again = post_form(client, f"/runs/{run_id}/cancel", {"from": "run"}, f"/runs/{run_id}")
    assert (again.status_code, again.headers["location"]) == (303, f"/runs/{run_id}")


def test_delete_on_the_runs_page_deletes_the_run(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    run_id = ok(generate(alice, plan["aggregateId"], 2), 201)["run"]["id"]
    signed_in(client, alice)
    answer = post_form(client, f"/runs/{run_id}/delete", {}, "/runs")
    assert (answer.status_code, answer.headers["location"]) == (303, "/runs")
    assert f"run-{run_id}" not in client.get("/runs").text and "No runs yet." in client.get("/runs").text
    assert alice.get(f"/v1/industry/plans/{plan['aggregateId']}/runs/{run_id}").status_code == 404
    assert client.get(f"/runs/{run_id}").status_code == 404


def test_a_refused_run_command_says_why_next_to_the_run(
    alice: Api, client: TestClient[Any], system: Manufactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 409 from the service (another writer got there first) shows on the row it concerns."""
    plan = new_plan(alice)
    run_id = ok(generate(alice, plan["aggregateId"], 2), 201)["run"]["id"]
    signed_in(client, alice)

    def clash(*_: Any) -> Any:
        raise Conflict("the run changed meanwhile: reload and retry", "runId")

    monkeypatch.setattr(system.plans, "cancel_run", clash)
    answer = post_form(client, f"/runs/{run_id}/cancel", {}, "/runs")
    assert answer.status_code == 409
    assert f'id="run-{run_id}-error"' in answer.text and "The run changed meanwhile: reload and retry." in answer.text
    on_detail = post_form(client, f"/runs/{run_id}/cancel", {"from": "run"}, f"/runs/{run_id}")
    assert on_detail.status_code == 409 and 'id="run-error"' in on_detail.text


def test_run_forms_without_the_csrf_field_are_refused(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    run_id = ok(generate(alice, plan["aggregateId"], 2), 201)["run"]["id"]
    signed_in(client, alice)
    form_token(client, "/runs")  # the browser holds the cookie; a forged form lacks the field
    for action in ("cancel", "delete"):
        forged = client.post(f"/runs/{run_id}/{action}", data={}, follow_redirects=False)
        assert forged.status_code == 403 and "security token is missing or stale" in forged.text
    assert "4 planned" in row(client.get("/runs").text, f"run-{run_id}")  # nothing happened


def test_another_users_run_is_a_404_page(alice: Api, bob: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    run_id = ok(generate(alice, plan["aggregateId"], 2), 201)["run"]["id"]
    signed_in(client, bob)
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 404 and "No such plan run of yours" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert client.get(f"/runs/{uuid.uuid4()}").status_code == 404
    for action in ("cancel", "delete"):
        assert post_form(client, f"/runs/{run_id}/{action}", {}, "/runs").status_code == 404
    assert "No runs yet." in client.get("/runs").text
    assert ok(alice.get(f"/v1/industry/plans/{plan['aggregateId']}/runs/{run_id}"))["jobSummary"]["planned"] == 4


def test_run_pages_send_a_signed_out_reader_to_sign_in(client: TestClient[Any]) -> None:
    for path in ("/runs", f"/runs/{uuid.uuid4()}", "/stockpiles", f"/stockpiles/{uuid.uuid4()}", "/stockpiles/plans"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in"), path


# ---------------------------------------------------------------- stockpiles


def test_an_empty_stockpiles_page_says_what_to_do(alice: Api, client: TestClient[Any]) -> None:
    signed_in(client, alice)
    page = client.get("/stockpiles")
    assert page.status_code == 200 and "No stockpiles yet." in page.text
    assert 'name="typeId"' in page.text and "Enter the item&#39;s type id first" in page.text


def test_adding_a_stockpile_with_a_plan_lists_it_with_its_deficit(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    signed_in(client, alice)
    offered = client.get("/stockpiles", params={"typeId": S}).text  # the selector: plans that make the item
    assert f'<option value="{plan["aggregateId"]}">Ships</option>' in offered
    assert f'<option value="{plan["aggregateId"]}">Ships</option>' in client.get(f"/stockpiles/plans?typeId={S}").text
    fields = add_form(planId=plan["aggregateId"], autoProductionEnabled="true", autoProductionParallelism="2")
    answer = post_form(client, "/stockpiles", fields, "/stockpiles")
    assert (answer.status_code, answer.headers["location"]) == (303, "/stockpiles"), answer.text
    [marker] = ok(alice.get("/v1/stockpiles"))  # what the API now holds
    assert marker["planId"] == plan["aggregateId"] and marker["autoProductionEnabled"] is True
    assert marker["autoProductionParallelism"] == 2 and marker["desiredQuantity"] == 3
    listed = row(client.get("/stockpiles").text, f"marker-{marker['id']}")
    assert "Ship" in listed and '<td class="num deficit">3</td>' in listed  # none held: all 3 short
    assert "Ships" in listed and "active" in listed and "2 slots" in listed


def test_editing_a_stockpile_changes_it_and_unticking_disables(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    signed_in(client, alice)
    post_form(client, "/stockpiles", add_form(planId=plan["aggregateId"], autoProductionEnabled="true"), "/stockpiles")
    [marker] = ok(alice.get("/v1/stockpiles"))
    edit = client.get(f"/stockpiles/{marker['id']}")
    assert edit.status_code == 200 and f'id="typeId" name="typeId" type="text" value="{S}" readonly' in edit.text
    assert f'<option value="{plan["aggregateId"]}" selected>Ships</option>' in edit.text
    assert 'name="autoProductionEnabled" type="checkbox" value="true" checked' in edit.text
    fields = add_form(desiredQuantity="7", planId="", notes="for the fleet", markerId=marker["id"])  # unticked
    answer = post_form(client, "/stockpiles", fields, f"/stockpiles/{marker['id']}")
    assert answer.status_code == 303, answer.text
    [changed] = ok(alice.get("/v1/stockpiles"))
    assert changed["id"] == marker["id"] and changed["desiredQuantity"] == 7 and changed["notes"] == "for the fleet"
    assert changed["planId"] is None and changed["autoProductionEnabled"] is False
    assert changed["autoProductionStatus"] == "disabled"


@pytest.mark.parametrize(
    ("fields", "field", "detail", "status"),
    [
        ({"desiredQuantity": "lots"}, "desiredQuantity", "Expected `int`", 400),
        ({"desiredQuantity": "-1"}, "desiredQuantity", "desiredQuantity must be 0 to 1000000000000.", 400),
        ({"typeId": ""}, "typeId", "Object missing required field `typeId`", 400),
        ({"pricePercentage": "0"}, "pricePercentage", "pricePercentage must be above 0 and at most 1000.", 400),
        ({"ownerType": "character"}, "ownerId", "ownerType and ownerId go together.", 400),
        ({"planId": str(uuid.uuid4())}, "planId", "", 422),
    ],
)
def test_a_bad_value_shows_the_apis_error_next_to_its_field(
    alice: Api, client: TestClient[Any], fields: dict[str, str], field: str, detail: str, status: int
) -> None:
    signed_in(client, alice)
    answer = post_form(client, "/stockpiles", add_form(**fields), "/stockpiles")
    assert answer.status_code == status, answer.text
    error = re.search(rf'<p id="{field}-error" class="field-error" role="alert">([^<]*)</p>', answer.text)
    assert error is not None, answer.text
    assert detail in error.group(1)
    assert f'aria-describedby="{field}-error"' in answer.text
    assert ok(alice.get("/v1/stockpiles")) == []  # nothing saved
    for name, value in fields.items():  # the form keeps what was typed
        if name not in ("ownerType", "planId"):
            assert f'name="{name}" type="text" value="{value}"' in answer.text


def test_a_plan_of_another_item_is_refused_by_the_plan_selector(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    signed_in(client, alice)
    answer = post_form(
        client, "/stockpiles", add_form(typeId=str(HUB + 5000), planId=plan["aggregateId"]), "/stockpiles"
    )
    api = alice.post(
        "/v1/stockpiles",
        json={"typeId": HUB + 5000, "locationId": HUB, "desiredQuantity": 3, "planId": plan["aggregateId"]},
    )
    assert answer.status_code == api.status_code >= 400
    assert api.json()["field"] == "planId" and 'id="planId-error"' in answer.text


def test_deleting_a_stockpile_removes_it(alice: Api, client: TestClient[Any]) -> None:
    signed_in(client, alice)
    post_form(client, "/stockpiles", add_form(), "/stockpiles")
    [marker] = ok(alice.get("/v1/stockpiles"))
    answer = post_form(client, f"/stockpiles/{marker['id']}/delete", {}, "/stockpiles")
    assert (answer.status_code, answer.headers["location"]) == (303, "/stockpiles")
    assert ok(alice.get("/v1/stockpiles")) == [] and "No stockpiles yet." in client.get("/stockpiles").text


def test_stockpile_forms_without_the_csrf_field_are_refused(alice: Api, client: TestClient[Any]) -> None:
    signed_in(client, alice)
    form_token(client, "/stockpiles")
    forged = client.post("/stockpiles", data=add_form(), follow_redirects=False)
    assert forged.status_code == 403 and "security token is missing or stale" in forged.text
    ok(alice.post("/v1/stockpiles", json={"typeId": S, "locationId": HUB, "desiredQuantity": 1}))
    [marker] = ok(alice.get("/v1/stockpiles"))
    assert client.post(f"/stockpiles/{marker['id']}/delete", data={}, follow_redirects=False).status_code == 403
    assert [found["desiredQuantity"] for found in ok(alice.get("/v1/stockpiles"))] == [1]


def test_the_stockpiles_page_lists_the_first_markers_and_opens_any_other_by_its_id(
    alice: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stockpile_pages, "SHOWN_MARKERS", 2)
    for type_id in (1, 2, 3):
        ok(alice.post("/v1/stockpiles", json={"typeId": type_id, "locationId": HUB, "desiredQuantity": 1}))
    first, second, third = ok(alice.get("/v1/stockpiles"))
    signed_in(client, alice)
    page = client.get("/stockpiles").text
    assert f"marker-{first['id']}" in page and f"marker-{second['id']}" in page
    assert f"marker-{third['id']}" not in page
    assert "The first 2 stockpiles; the others: <code>GET /v1/stockpiles?offset=2</code>" in page
    edit = client.get(f"/stockpiles/{third['id']}")  # found by its id, not among the listed
    assert edit.status_code == 200 and f'name="markerId" value="{third["id"]}"' in edit.text


def test_another_users_stockpile_is_a_404_page(alice: Api, bob: Api, client: TestClient[Any]) -> None:
    ok(alice.post("/v1/stockpiles", json={"typeId": S, "locationId": HUB, "desiredQuantity": 1}))
    [marker] = ok(alice.get("/v1/stockpiles"))
    signed_in(client, bob)
    page = client.get(f"/stockpiles/{marker['id']}")
    assert page.status_code == 404 and "No such stockpile of yours" in page.text
    assert post_form(client, f"/stockpiles/{marker['id']}/delete", {}, "/stockpiles").status_code == 404
    edit = post_form(client, "/stockpiles", add_form(markerId=marker["id"], desiredQuantity="9"), "/stockpiles")
    assert edit.status_code == 404
    assert "No stockpiles yet." in client.get("/stockpiles").text
    assert [found["desiredQuantity"] for found in ok(alice.get("/v1/stockpiles"))] == [1]
