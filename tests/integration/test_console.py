"""The console: sign-in with an API token into an HttpOnly, SameSite=Strict cookie, forms
protected by a double-submit CSRF token, the API still reading the Authorization header alone,
and a dashboard reading what the API's queries read."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from application.system import Manufactory
from interfaces.web import dashboard as console_dashboard
from tests.conftest import Api
from tests.integration.test_api_plans import HUB, S, generate, new_plan, ok
from tests.integration.test_auto_production import marker, tick
from tests.integration.test_dead_letters import record_poisoned_job

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: TestClient[Any], path: str = "/sign-in") -> str:
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient[Any], token: str, base: str = "") -> Any:
    return client.post(
        base + "/sign-in", data={"csrf_token": form_token(client), "token": token}, follow_redirects=False
    )


def set_cookies(answer: Any) -> dict[str, str]:
    """Each Set-Cookie header of the answer by its cookie's name."""
    return {value.split("=", 1)[0]: value for value in answer.headers.get_list("set-cookie")}


def dashboard(client: TestClient[Any]) -> str:
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 200, page.text
    return str(page.text)


def section(page: str, name: str) -> str:
    """The HTML of one dashboard section."""
    found = re.search(rf'<section class="card" id="{name}".*?</section>', page, re.DOTALL)
    assert found is not None, name
    return found.group(0)


def test_pages_send_a_signed_out_reader_to_the_sign_in_form(client: TestClient[Any]) -> None:
    for path in ("/", "/dashboard/sections", "/dashboard/stream"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in"), path
    form = client.get("/sign-in")
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
    assert 'name="token"' in form.text and "<script>" not in form.text
    assert "script-src 'self'" in form.headers["content-security-policy"]


def test_signing_in_keeps_the_token_in_an_http_only_strict_cookie(alice: Api, client: TestClient[Any]) -> None:
    answer = sign_in(client, alice.token)
    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    cookie = set_cookies(answer)["manufactory_session"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain http: a Secure cookie would never come back
    page = client.get("/")
    assert "<h1>Dashboard</h1>" in page.text and page.headers["cache-control"] == "no-store"
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith(("/", "#")) for source in sources), sources  # nothing from elsewhere
    assert "<script>" not in page.text and "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/sign-in", follow_redirects=False).headers["location"] == "/"  # signed in already


def test_without_an_eve_application_the_sign_in_page_offers_only_the_token(alice: Api, client: TestClient[Any]) -> None:
    assert "Log in with EVE Online" not in client.get("/sign-in").text
    refused = client.get("/sign-in/eve", follow_redirects=False)
    assert refused.status_code == 422 and "MANUFACTORY_EVE_CLIENT_ID" in refused.text
    assert 'id="token-error"' in refused.text  # said where the form shows errors
    sign_in(client, alice.token)
    assert client.get("/sign-in/eve", follow_redirects=False).headers["location"] == "/"  # signed in already


def test_over_https_the_session_cookie_is_secure(alice: Api, client: TestClient[Any]) -> None:
    answer = sign_in(client, alice.token, base="https://testserver.local")
    assert answer.status_code == 303
    assert "secure" in set_cookies(answer)["manufactory_session"].lower()


def test_a_wrong_token_shows_the_error_next_to_the_field(alice: Api, client: TestClient[Any]) -> None:
    answer = sign_in(client, "mf_not-a-token")
    assert answer.status_code == 400  # the form's input is refused (a 401 would need a WWW-Authenticate scheme)
    assert 'aria-invalid="true"' in answer.text and 'id="token-error"' in answer.text
    assert "Unknown or invalid token." in answer.text
    assert "manufactory_session" not in set_cookies(answer)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_forms_without_the_csrf_token_are_refused(alice: Api, client: TestClient[Any]) -> None:
    form_token(client)  # the browser holds the cookie, but a forged form lacks the field
    forged = client.post("/sign-in", data={"token": alice.token}, follow_redirects=False)
    assert forged.status_code == 403 and "manufactory_session" not in set_cookies(forged)
    assert 'id="token-error"' in forged.text and "reload the page and retry" in forged.text  # said by the field
    wrong = client.post("/sign-in", data={"token": alice.token, "csrf_token": "x.y"}, follow_redirects=False)
    assert wrong.status_code == 403
    client.cookies.clear()  # a field copied from elsewhere, without the cookie it repeats
    stolen = client.post("/sign-in", data={"token": alice.token, "csrf_token": "a.b"}, follow_redirects=False)
    assert stolen.status_code == 403


def test_a_stale_csrf_cookie_is_replaced_by_the_next_page(client: TestClient[Any]) -> None:
    client.cookies.set("manufactory_csrf", "left.by-an-earlier-process")
    page = client.get("/sign-in")
    assert "manufactory_csrf" in set_cookies(page)
    assert "httponly" in set_cookies(page)["manufactory_csrf"].lower()


def test_signing_out_clears_the_session(alice: Api, client: TestClient[Any]) -> None:
    sign_in(client, alice.token)
    token = form_token(client, "/")
    forged = client.post("/sign-out", data={}, follow_redirects=False)
    assert forged.status_code == 403 and "security token is missing or stale" in forged.text  # CSRF here too
    assert forged.headers["content-type"].startswith("text/html")
    answer = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in")
    assert "max-age=0" in set_cookies(answer)["manufactory_session"].lower()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_session_cookie_does_not_authenticate_the_api(alice: Api, client: TestClient[Any]) -> None:
    sign_in(client, alice.token)
    assert client.get("/v1/industry/plans").status_code == 401
    assert client.post("/v1/industry/plans", json={"name": "x", "productTypeId": S}).status_code == 401
    # and the API's commands need no CSRF field: the bearer token is no ambient credential
    assert alice.post("/v1/catalog/imports", json={"format": "manufactory-catalog", "items": []}).status_code < 400


def test_a_revoked_token_ends_the_session(system: Manufactory, alice: Api, client: TestClient[Any]) -> None:
    sign_in(client, alice.token)
    tokens = ok(alice.get("/v1/me/tokens"))["tokens"]
    ok(alice.delete(f"/v1/me/tokens/{tokens[0]['tokenId']}"), 200)
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and "max-age=0" in set_cookies(answer)["manufactory_session"].lower()


def test_an_empty_dashboard_says_what_to_do_next(alice: Api, client: TestClient[Any]) -> None:
    sign_in(client, alice.token)
    page = dashboard(client)
    assert "No runs in progress. Generate one from a plan" in section(page, "runs")
    assert "No stockpile is short." in section(page, "deficits")
    assert "No characters yet." in section(page, "slots")
    assert "Nothing to deliver." in section(page, "ready")
    assert "Auto-production has generated nothing yet." in section(page, "automatic")
    assert "healthy" in section(page, "health") and "industry" in section(page, "health")


def test_a_generated_run_shows_in_progress_and_its_jobs_counted(alice: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    generated = ok(generate(alice, plan["aggregateId"], 2), 201)
    sign_in(client, alice.token)
    runs = section(dashboard(client), "runs")
    assert "Ships" in runs and "Ship" in runs and "status-pending" in runs
    assert "0/4 done, 4 planned" in runs  # Ship, Module, Component (its two steps merged), Reagent
    first = generated["created"][0]["id"]
    ok(alice.post(f"/v1/industry/jobs/{first}/start", json={}))
    ok(alice.post(f"/v1/industry/jobs/{first}/complete", json={}))
    runs = section(dashboard(client), "runs")  # the run's status is derived from its jobs
    assert "status-in_progress" in runs and "in progress" in runs and "1/4 done, 3 planned" in runs


def test_a_stockpile_deficit_and_the_automatic_run_it_caused_show(
    system: Manufactory, alice: Api, client: TestClient[Any]
) -> None:
    plan = new_plan(alice)
    ok(marker(alice, 3, plan["aggregateId"], type_id=S, location=HUB))
    tick(system)
    sign_in(client, alice.token)
    page = client.get("/dashboard/sections").text  # the fragment the live page swaps in
    deficits = section(page, "deficits")
    assert "Ship" in deficits and '<td class="num deficit">3</td>' in deficits and "Ships" in deficits
    automatic = section(page, "automatic")
    assert "auto production: short 3, 0 already coming, built 3" in automatic


def test_the_dashboard_lists_the_first_short_markers_and_points_to_the_buy_list_for_more(
    alice: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_dashboard, "SHOWN", 2)
    for type_id, desired in ((1, 0), (2, 5), (3, 6), (4, 7)):  # type 1 wants nothing: never short
        ok(alice.post("/v1/stockpiles", json={"typeId": type_id, "locationId": HUB, "desiredQuantity": desired}))
    sign_in(client, alice.token)
    deficits = section(client.get("/dashboard/sections").text, "deficits")
    shown = re.findall(r'<td class="num deficit">(\d+)</td>', deficits)
    assert shown == ["5", "6"]  # the first two short ones, in the markers' order
    assert "The first 2 deficits; all of them: <code>GET /v1/stockpiles/deficits</code>" in deficits


def test_another_users_data_stays_off_the_dashboard(alice: Api, bob: Api, client: TestClient[Any]) -> None:
    plan = new_plan(alice)
    ok(generate(alice, plan["aggregateId"], 2), 201)
    sign_in(client, bob.token)
    assert "No runs in progress." in section(dashboard(client), "runs")


def test_read_model_positions_and_errors_are_for_admins(alice: Api, operator: Api, client: TestClient[Any]) -> None:
    """Positions and lags tell how much every user wrote, errors can quote their data: as on /health."""
    sign_in(client, alice.token)
    health = section(dashboard(client), "health")
    assert "<td>industry</td>" in health and "<td>ok</td>" in health
    assert "Position" not in health and "Event log at position" not in health
    client.cookies.clear()
    sign_in(client, operator.token)
    health = section(dashboard(client), "health")
    assert "Position" in health and "Behind" in health and "Event log at position" in health


def test_a_read_model_with_events_set_aside_shows_failing(
    system: Manufactory, alice: Api, operator: Api, client: TestClient[Any]
) -> None:
    """An event the industry projection cannot apply (a product id no BIGINT holds) is set aside;
    the dashboard says the read models are failing, and how many events to an admin only."""
    record_poisoned_job(system, alice.user_id)
    ok(alice.post("/v1/industry/jobs", json={"productTypeId": 587, "blueprintTypeId": 691, "runs": 1}), 201)
    system.projections.catch_up()
    sign_in(client, alice.token)
    health = section(dashboard(client), "health")
    assert "failing" in health and '<tr class="failing">' in health and "manufactory projections retry" in health
    assert "<td>failing</td>" in health  # alice: not how many, nor what they held
    client.cookies.clear()
    sign_in(client, operator.token)
    failing = section(dashboard(client), "health").split('<tr class="failing">')[1].split("</tr>")[0]
    assert "<td>industry</td>" in failing and "<td>failing: 1 event set aside</td>" in failing
