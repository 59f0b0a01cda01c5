"""The console's jobs board: the queue by status and by character, as the API's job list
answers it; Start, Complete and Cancel act through the API's services; a planned job is
edited through the API's PATCH body, a refused value shown next to its input; every form
needs its CSRF field, and another user's job is the same 404 page as a missing one.

The catalog is test_api_plans' one: a run of 2 Ships queues four jobs (Ship, Module and
Component manufacturing, Reagent reaction)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import Api
from tests.integration.test_api_plans import generate, new_plan, ok
from tests.integration.test_console import form_token
from tests.integration.test_console_pages import post_form, row, signed_in
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url

ADA, BEN, STRANGER = 90000001, 90000002, 90000099


def queued(api: Api) -> dict[str, Any]:
    """A run of 2 Ships: its run and its four planned jobs by product name."""
    plan = new_plan(api)
    run = ok(generate(api, plan["aggregateId"], 2), 201)
    return {"run": run["run"], "jobs": {job["productName"]: job for job in run["created"]}}


def section(page: str, status: str) -> str:
    found = re.search(rf'<section class="card job-status" id="jobs-{status}".*?</section>', page, re.DOTALL)
    assert found is not None, status
    return found.group(0)


def board(page: str) -> str:
    """The board's sections, without the filter form."""
    return page.split('<div id="board"', 1)[1]


def characters_in(html: str) -> list[str]:
    """The character groups of a section, in order."""
    return re.findall(r'<th scope="rowgroup" colspan="8">([^<]+?) <span', html)


def test_an_empty_board_says_what_to_do(alice: Api, client: TestClient[Any]) -> None:
    signed_in(client, alice)
    page = client.get("/jobs")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "No jobs yet. Generate a run from a plan" in page.text
    assert '<a href="/jobs" aria-current="page">Jobs</a>' in page.text


def test_the_board_groups_the_queue_by_status_and_by_character(alice: Api, client: TestClient[Any]) -> None:
    ok(alice.put(f"/v1/industry/characters/{ADA}", json={"name": "Ada Builder"}))
    jobs = queued(alice)["jobs"]
    ok(alice.put(f"/v1/industry/jobs/{jobs['Module']['id']}/character", json={"characterId": None}))
    ok(alice.put(f"/v1/industry/jobs/{jobs['Ship']['id']}/character", json={"characterId": ADA}))
    ok(alice.post(f"/v1/industry/jobs/{jobs['Reagent']['id']}/start", json={"characterId": ADA}))
    ok(alice.post(f"/v1/industry/jobs/{jobs['Component']['id']}/cancel"))
    signed_in(client, alice)
    page = client.get("/jobs").text

    planned = section(page, "planned")
    assert characters_in(planned) == ["Ada Builder", "Nobody assigned"]
    shown = re.findall(r'<tr id="job-([^"]+)">', planned)
    api_order = [job["id"] for job in ok(alice.get("/v1/industry/jobs", params={"status": "planned"}))]
    assert sorted(shown) == sorted(api_order)  # the API's planned jobs, no others
    assert f'action="/jobs/{jobs["Ship"]["id"]}/start"' in row(planned, f"job-{jobs['Ship']['id']}")
    assert f'href="/jobs/{jobs["Module"]["id"]}"' in row(planned, f"job-{jobs['Module']['id']}")

    active = section(page, "active")
    assert characters_in(active) == ["Ada Builder"] and "Reagent" in active and "reaction" in active
    reagent = row(active, f"job-{jobs['Reagent']['id']}")
    assert "/complete" in reagent and "/cancel" in reagent and "/start" not in reagent
    assert "Component" in section(page, "cancelled") and "/cancel" not in section(page, "cancelled")
    assert "Nothing ready to deliver" in section(page, "ready")
    assert "Nothing delivered yet" in section(page, "completed")
    assert 'data-sections="/jobs/sections"' in page and 'data-stream="/dashboard/stream"' in page


def test_filters_narrow_the_board_as_the_api_filters_the_queue(alice: Api, client: TestClient[Any]) -> None:
    ok(alice.put(f"/v1/industry/characters/{ADA}", json={"name": "Ada Builder"}))
    first = queued(alice)
    ok(alice.put(f"/v1/industry/jobs/{first['jobs']['Ship']['id']}/character", json={"characterId": ADA}))
    second = queued(alice)
    signed_in(client, alice)

    reactions = client.get("/jobs", params={"activity": "reaction"}).text
    assert ">Ship</a>" not in board(reactions) and ">Reagent</a>" in board(reactions)
    assert {first["jobs"]["Reagent"]["id"], second["jobs"]["Reagent"]["id"]} == set(
        re.findall(r'<tr id="job-([^"]+)">', reactions)
    )
    by_ada = client.get("/jobs", params={"characterId": str(ADA)}).text
    api = ok(alice.get("/v1/industry/jobs", params={"characterId": ADA}))
    assert set(re.findall(r'<tr id="job-([^"]+)">', by_ada)) == {job["id"] for job in api}
    of_run = client.get("/jobs", params={"runId": second["run"]["id"], "status": "planned"}).text
    assert set(re.findall(r'<tr id="job-([^"]+)">', of_run)) == {job["id"] for job in second["jobs"].values()}
    assert 'id="jobs-active"' not in of_run  # one status asked: only its section
    assert f'<option value="{second["run"]["id"]}" selected>' in of_run
    nothing = client.get("/jobs", params={"status": "completed"}).text
    assert "Nothing delivered yet" in nothing or "No job fits this filter" in nothing


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "done"}, "status"), ({"runId": "x"}, "runId"), ({"characterId": "0"}, "characterId")],
)
def test_a_bad_filter_is_refused_next_to_its_input(
    alice: Api, client: TestClient[Any], params: dict[str, str], field: str
) -> None:
    signed_in(client, alice)
    page = client.get("/jobs", params=params)
    api = alice.get("/v1/industry/jobs", params=params) if field != "runId" else None
    assert page.status_code == 400, page.text
    assert f'<p id="{field}-error" class="field-error" role="alert">' in page.text
    if api is not None:
        assert api.status_code == 400  # the API refuses it too


def test_start_complete_and_cancel_act_through_the_apis_services(alice: Api, client: TestClient[Any]) -> None:
    jobs = queued(alice)["jobs"]
    ship, module = jobs["Ship"]["id"], jobs["Module"]["id"]
    signed_in(client, alice)
    started = post_form(client, f"/jobs/{ship}/start?status=planned", {}, "/jobs?status=planned")
    assert (started.status_code, started.headers["location"]) == (303, "/jobs?status=planned")  # back as filtered
    assert ok(alice.get(f"/v1/industry/jobs/{ship}"))["status"] == "active"
    completed = post_form(client, f"/jobs/{ship}/complete", {}, "/jobs")
    assert (completed.status_code, completed.headers["location"]) == (303, "/jobs")
    assert ok(alice.get(f"/v1/industry/jobs/{ship}"))["status"] == "completed"
    assert f"job-{ship}" in section(client.get("/jobs").text, "completed")
    cancelled = post_form(client, f"/jobs/{module}/cancel", {"from": "job"}, f"/jobs/{module}")
    assert (cancelled.status_code, cancelled.headers["location"]) == (303, f"/jobs/{module}")
    assert ok(alice.get(f"/v1/industry/jobs/{module}"))["status"] == "cancelled"


def test_a_refused_action_says_why_next_to_its_job(alice: Api, client: TestClient[Any]) -> None:
    """Completing a planned job is the API's 409; the board shows its words on the job's row."""
    ship = queued(alice)["jobs"]["Ship"]["id"]
    api = alice.post(f"/v1/industry/jobs/{ship}/complete", json={})
    signed_in(client, alice)
    answer = post_form(client, f"/jobs/{ship}/complete", {}, "/jobs")
    assert answer.status_code == api.status_code == 409
    error = re.search(rf'<p id="job-{ship}-error" class="field-error" role="alert">([^<]+)</p>', answer.text)
    assert error is not None and api.json()["detail"].lower()[:20] in error.group(1).lower()
    on_page = post_form(client, f"/jobs/{ship}/complete", {"from": "job"}, f"/jobs/{ship}")
    assert on_page.status_code == 409 and 'id="job-error"' in on_page.text


def test_a_planned_job_is_edited_and_unassigned_through_the_patch_body(alice: Api, client: TestClient[Any]) -> None:
    ok(alice.put(f"/v1/industry/characters/{ADA}", json={"name": "Ada Builder"}))
    ok(alice.put(f"/v1/industry/characters/{BEN}", json={"name": "Ben Maker"}))
    ship = queued(alice)["jobs"]["Ship"]["id"]
    signed_in(client, alice)
    page = client.get(f"/jobs/{ship}")
    assert page.status_code == 200 and 'id="runs" name="runs" type="text" value="2"' in page.text
    assert f'<option value="{BEN}">Ben Maker</option>' in page.text and "Nobody (unassigned)" in page.text
    fields = {"runs": "1", "meLevel": "5", "teLevel": "4", "stationId": "7", "characterId": str(BEN), "notes": "one"}
    saved = post_form(client, f"/jobs/{ship}", fields, f"/jobs/{ship}")
    assert (saved.status_code, saved.headers["location"]) == (303, f"/jobs/{ship}"), saved.text
    job = ok(alice.get(f"/v1/industry/jobs/{ship}"))
    assert (job["runs"], job["meLevel"], job["teLevel"], job["stationId"]) == (1, 5, 4, 7)
    assert (job["characterId"], job["notes"]) == (BEN, "one")
    assert f'<option value="{BEN}" selected>Ben Maker</option>' in client.get(f"/jobs/{ship}").text

    unassigned = post_form(client, f"/jobs/{ship}", {**fields, "characterId": "", "stationId": ""}, f"/jobs/{ship}")
    assert unassigned.status_code == 303, unassigned.text
    job = ok(alice.get(f"/v1/industry/jobs/{ship}"))
    assert (job["characterId"], job["stationId"], job["runs"]) == (None, None, 1)


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"runs": "many"}, "runs", 400),
        ({"runs": "0"}, "runs", 400),
        ({"meLevel": "11"}, "meLevel", 400),
        ({"stationId": "-3"}, "stationId", 400),
        ({"characterId": str(STRANGER)}, "characterId", 422),
    ],
)
def test_a_refused_edit_shows_the_apis_error_next_to_its_field(
    alice: Api, client: TestClient[Any], fields: dict[str, str], field: str, status: int
) -> None:
    ship = queued(alice)["jobs"]["Ship"]["id"]
    signed_in(client, alice)
    answer = post_form(client, f"/jobs/{ship}", fields, f"/jobs/{ship}")
    api_body: dict[str, Any] = {
        name: int(value) if value.lstrip("-").isdigit() else value for name, value in fields.items()
    }
    api = alice.patch(f"/v1/industry/jobs/{ship}", json=api_body)
    assert answer.status_code == api.status_code == status, answer.text
    assert api.json()["field"] == field
    error = re.search(rf'<p id="{field}-error" class="field-error" role="alert">([^<]+)</p>', answer.text)
    assert error is not None, answer.text
    assert f'aria-describedby="{field}-error"' in answer.text
    assert ok(alice.get(f"/v1/industry/jobs/{ship}"))["runs"] == 2  # nothing changed


def test_a_started_job_cannot_be_edited_and_shows_no_form(alice: Api, client: TestClient[Any]) -> None:
    ship = queued(alice)["jobs"]["Ship"]["id"]
    ok(alice.post(f"/v1/industry/jobs/{ship}/start", json={}))
    signed_in(client, alice)
    page = client.get(f"/jobs/{ship}").text
    assert 'id="edit"' not in page and f'action="/jobs/{ship}/complete"' in page
    answer = post_form(client, f"/jobs/{ship}", {"runs": "1"}, f"/jobs/{ship}")
    assert answer.status_code == 409 and 'id="job-error"' in answer.text


def test_job_forms_without_the_csrf_field_are_refused(alice: Api, client: TestClient[Any]) -> None:
    ship = queued(alice)["jobs"]["Ship"]["id"]
    signed_in(client, alice)
    form_token(client, "/jobs")
    for path in (f"/jobs/{ship}/start", f"/jobs/{ship}/cancel", f"/jobs/{ship}"):
        forged = client.post(path, data={"runs": "1"}, follow_redirects=False)
        assert forged.status_code == 403 and "security token is missing or stale" in forged.text
    job = ok(alice.get(f"/v1/industry/jobs/{ship}"))
    assert (job["status"], job["runs"]) == ("planned", 2)


def test_another_users_job_is_a_404_page(alice: Api, bob: Api, client: TestClient[Any]) -> None:
    ship = queued(alice)["jobs"]["Ship"]["id"]
    signed_in(client, bob)
    page = client.get(f"/jobs/{ship}")
    assert page.status_code == 404 and "No such job of yours" in page.text
    assert client.get(f"/jobs/{uuid.uuid4()}").status_code == 404
    for path in (f"/jobs/{ship}/start", f"/jobs/{ship}/complete", f"/jobs/{ship}/cancel", f"/jobs/{ship}"):
        assert post_form(client, path, {"runs": "1"}, "/jobs").status_code == 404, path
    assert "No jobs yet." in client.get("/jobs").text
    job = ok(alice.get(f"/v1/industry/jobs/{ship}"))
    assert (job["status"], job["runs"]) == ("planned", 2)


def test_the_board_sections_are_what_the_live_board_swaps_in(alice: Api, client: TestClient[Any]) -> None:
    ship = queued(alice)["jobs"]["Ship"]["id"]
    signed_in(client, alice)
    sections = client.get("/jobs/sections", params={"status": "planned"})
    assert sections.status_code == 200 and "<html" not in sections.text
    assert f'<tr id="job-{ship}">' in sections.text and 'id="jobs-active"' not in sections.text
    assert f'action="/jobs/{ship}/start?status=planned"' in sections.text  # its forms come back to the same filter


def test_job_pages_send_a_signed_out_reader_to_sign_in(client: TestClient[Any]) -> None:
    for path in ("/jobs", "/jobs/sections", f"/jobs/{uuid.uuid4()}"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in"), path
