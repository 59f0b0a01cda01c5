"""The console's plans pages: the list and a new plan for an item found by name, the step tree
edited in one batch and switched make/buy through the API's services (a refused value shown
next to its input, in the API's words), a run previewed as the API previews it and generated
on confirm, the history with the plan as of any version, and another user's plan a 404 page."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.web import plans as plans_pages
from tests.conftest import Api
from tests.integration.test_api_plans import CATALOG, HUB, TRIT, D, S, new_plan, ok
from tests.integration.test_console_pages import post_form, row, signed_in
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url


def step_of(plan: dict[str, Any], type_id: int, depth: int) -> int:
    """The id of the step making ``type_id`` at ``depth`` of the tree (as the API lists it)."""
    return int(next(s["stepId"] for s in plan["steps"] if s["productTypeId"] == type_id and s["depth"] == depth))


def api_plan(api: Api, plan_id: str, **params: Any) -> Any:
    return ok(api.get(f"/v1/industry/plans/{plan_id}", params=params))


def field_error(page: str, key: str) -> str:
    found = re.search(rf'<p id="{re.escape(key)}-error" class="field-error" role="alert">([^<]*)</p>', page)
    assert found is not None, page
    return html.unescape(found.group(1))


def section(page: str, element_id: str) -> str:
    found = re.search(rf'<section class="card" id="{element_id}".*?</section>', page, re.DOTALL)
    assert found is not None, element_id
    return found.group(0)


def steps_form(plan: dict[str, Any], **changes: str) -> dict[str, str]:
    """The step tree's form as the page fills it (each step's ME, TE, station, facility), with
    ``changes`` typed in (``step-3-meLevel="8"``)."""
    values = {"version": str(plan["version"])}
    for step in plan["steps"]:
        facility = step["facility"]
        filled = {
            "meLevel": str(step["meLevel"]),
            "teLevel": str(step["teLevel"]),
            "stationId": str(step["stationId"] or ""),
            "facilityTax": f"{step['facilityTax']:g}",
            "security": facility["security"],
            "structure": facility.get("structure") or "",
            "materialRig": facility.get("materialRig") or "",
            "timeRig": facility.get("timeRig") or "",
        }
        values.update({f"step-{step['stepId']}-{name}": value for name, value in filled.items()})
    return {**values, **changes}


# ---------------------------------------------------------------- the list and a new plan


def test_an_empty_plans_page_says_what_to_do_and_finds_items_by_name(alice: Api, client: TestClient[Any]) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    signed_in(client, alice)
    page = client.get("/plans")
    assert page.status_code == 200 and "No plans yet." in page.text
    assert '<a href="/plans" aria-current="page">Plans</a>' in page.text
    found = client.get("/plans", params={"search": "shi"}).text  # what GET /v1/catalog/items?search= finds
    listed = [item["typeId"] for item in ok(alice.get("/v1/catalog/items", params={"search": "shi"}))["items"]]
    assert listed == [S]
    assert f'id="item-{S}" name="productTypeId" type="radio" value="{S}" checked' in found
    assert 'id="name" name="name" type="text" value="Ship"' in found  # one item found: named after it
    assert "No item of your catalog is called like" in client.get("/plans", params={"search": "zzz"}).text


def test_creating_a_plan_lists_it_and_opens_its_page(alice: Api, client: TestClient[Any]) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    signed_in(client, alice)
    answer = post_form(client, "/plans", {"productTypeId": str(S), "name": "Ships"}, "/plans")
    assert answer.status_code == 303, answer.text
    [plan] = ok(alice.get("/v1/industry/plans"))  # what the API now holds
    assert answer.headers["location"] == f"/plans/{plan['id']}"
    assert (plan["name"], plan["productTypeId"], plan["stepCount"]) == ("Ships", S, 6)
    listed = row(client.get("/plans").text, f"plan-{plan['id']}")
    assert "Ships" in listed and "Ship" in listed and '<td class="num">6</td>' in listed and "never" in listed


@pytest.mark.parametrize(
    ("fields", "field", "detail"),
    [
        ({"name": "Ships"}, "productTypeId", "Object missing required field `productTypeId`"),
        ({"productTypeId": str(S)}, "name", "Object missing required field `name`"),
        ({"productTypeId": "x", "name": "Ships"}, "productTypeId", "Expected `int`"),
    ],
)
def test_a_refused_new_plan_says_why_next_to_its_input(
    alice: Api, client: TestClient[Any], fields: dict[str, str], field: str, detail: str
) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    signed_in(client, alice)
    answer = post_form(client, "/plans", {"search": "ship", **fields}, "/plans")
    assert answer.status_code == 400, answer.text
    assert detail in field_error(answer.text, field)
    assert ok(alice.get("/v1/industry/plans")) == []


def test_a_plan_for_an_item_no_recipe_builds_is_refused_as_the_api_refuses_it(
    alice: Api, client: TestClient[Any]
) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    api = alice.post("/v1/industry/plans", json={"name": "Rocks", "productTypeId": 34})
    signed_in(client, alice)
    answer = post_form(client, "/plans", {"productTypeId": "34", "name": "Rocks", "search": "trit"}, "/plans")
    assert answer.status_code == api.status_code >= 400
    shown = re.search(r'<p id="[A-Za-z-]+-error" class="field-error" role="alert">([^<]*)</p>', answer.text)
    assert shown is not None and api.json()["detail"].rstrip(".").lower() in shown.group(1).lower()


# ---------------------------------------------------------------- the step tree


def test_a_plan_page_nests_the_step_tree_with_each_materials_source(alice: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan = created["plan"]
    signed_in(client, alice)
    page = client.get(f"/plans/{created['aggregateId']}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    root, module = step_of(plan, S, 0), step_of(plan, D, 1)
    opened = re.findall(r'<li id="step-(\d+)">|</li>', page.text)  # the tree as the page nests it
    depth, depths = 0, {}
    for step_id in opened:
        if step_id:
            depths[int(step_id)] = depth
            depth += 1
        else:
            depth -= 1
    assert depths == {s["stepId"]: s["depth"] for s in plan["steps"]}
    assert f'id="step-{root}-meLevel" name="step-{root}-meLevel" form="steps-form" type="text" value="0"' in page.text
    assert (
        f'id="switch-{root}-{D}"' in page.text
        and f'formaction="/plans/{plan["id"]}/steps/{root}/materials/{D}"' in (page.text)
    )
    material = row(page.text, f"material-{root}-{D}")
    assert "source-make" in material and "Buy instead" in material
    assert '<a href="/plans" aria-current="page">Plans</a>' in page.text
    assert module in depths


def test_switching_a_material_to_buy_drops_its_steps(alice: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan_id, root = created["aggregateId"], step_of(created["plan"], S, 0)
    signed_in(client, alice)
    form = {"source": "buy", "version": str(created["version"])}
    answer = post_form(client, f"/plans/{plan_id}/steps/{root}/materials/{D}", form, f"/plans/{plan_id}")
    assert (answer.status_code, answer.headers["location"]) == (303, f"/plans/{plan_id}#step-{root}")
    plan = api_plan(alice, plan_id)
    assert len(plan["steps"]) == 3 and plan["version"] == created["version"] + 1
    assert {m["typeId"]: m["source"] for m in plan["steps"][0]["materials"]}[D] == "buy"
    assert "Make instead" in row(client.get(f"/plans/{plan_id}").text, f"material-{root}-{D}")


def test_making_a_material_no_recipe_makes_is_refused_next_to_it(alice: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan_id, root = created["aggregateId"], step_of(created["plan"], S, 0)
    api = alice.put(f"/v1/industry/plans/{plan_id}/steps/{root}/materials/{TRIT}", json={"source": "make"})
    signed_in(client, alice)
    answer = post_form(
        client, f"/plans/{plan_id}/steps/{root}/materials/{TRIT}", {"source": "make"}, f"/plans/{plan_id}"
    )
    assert answer.status_code == api.status_code >= 400
    assert field_error(answer.text, f"material-{root}-{TRIT}").rstrip(".").lower() == api.json()["detail"].lower()
    assert api_plan(alice, plan_id)["version"] == created["version"]


def test_saving_the_steps_changes_every_edited_step_in_one_version(alice: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan, plan_id = created["plan"], created["aggregateId"]
    root, module = step_of(plan, S, 0), step_of(plan, D, 1)
    signed_in(client, alice)
    fields = steps_form(
        plan,
        **{
            f"step-{root}-meLevel": "8",
            f"step-{module}-stationId": "",
            f"step-{module}-structure": "raitaru",
            f"step-{module}-materialRig": "t1",
            f"step-{module}-security": "low",
        },
    )
    answer = post_form(client, f"/plans/{plan_id}/steps", fields, f"/plans/{plan_id}")
    assert (answer.status_code, answer.headers["location"]) == (303, f"/plans/{plan_id}"), answer.text
    after = api_plan(alice, plan_id)
    assert after["version"] == plan["version"] + 1  # one batch, one version
    steps = {s["stepId"]: s for s in after["steps"]}
    assert steps[root]["meLevel"] == 8 and steps[root]["stationId"] == HUB
    assert steps[module]["stationId"] is None
    facility = steps[module]["facility"]
    assert (facility["structure"], facility["materialRig"], facility["security"]) == ("raitaru", "t1", "low")
    unchanged = post_form(client, f"/plans/{plan_id}/steps", steps_form(after), f"/plans/{plan_id}")
    assert unchanged.status_code == 303 and api_plan(alice, plan_id)["version"] == after["version"]  # nothing sent


@pytest.mark.parametrize(
    ("name", "typed", "shown_at", "detail"),
    [
        ("meLevel", "11", "meLevel", "ME must be between 0 and 10."),  # the domain's, as the API's batch says it
        ("teLevel", "30", "teLevel", "TE must be between 0 and 20."),
        ("meLevel", "x", "meLevel", "Expected `int`, got `str`."),
        ("stationId", "-5", "stationId", "Expected `int` >= 1."),
        ("materialRig", "t1", "materialRig", "Rigs are fitted to a structure: name the structure."),
    ],
)
def test_a_bad_step_value_shows_the_apis_error_next_to_its_input(
    alice: Api, client: TestClient[Any], name: str, typed: str, shown_at: str, detail: str
) -> None:
    created = new_plan(alice)
    plan, plan_id = created["plan"], created["aggregateId"]
    module = step_of(plan, D, 1)
    signed_in(client, alice)
    fields = steps_form(plan, **{f"step-{module}-{name}": typed})
    answer = post_form(client, f"/plans/{plan_id}/steps", fields, f"/plans/{plan_id}")
    assert answer.status_code == 400, answer.text
    key = f"step-{module}-{shown_at}"
    assert field_error(answer.text, key) == detail
    assert f'aria-describedby="{key}-error"' in answer.text
    assert f'value="{typed}"' in answer.text or f'value="{typed}" selected' in answer.text  # kept as typed
    assert api_plan(alice, plan_id)["version"] == plan["version"]  # nothing changed


def test_the_api_names_the_same_field_for_a_bad_me(alice: Api) -> None:
    """What the page places next to the ME input is what ``PATCH .../steps`` answers."""
    created = new_plan(alice)
    module = step_of(created["plan"], D, 1)
    answer = alice.patch(
        f"/v1/industry/plans/{created['aggregateId']}/steps", json={"steps": [{"stepId": module, "meLevel": 11}]}
    )
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["detail"]) == ("steps[0].me", "ME must be between 0 and 10")


def test_a_form_from_an_older_version_is_refused_and_changes_nothing(alice: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan, plan_id = created["plan"], created["aggregateId"]
    root = step_of(plan, S, 0)
    ok(alice.patch(f"/v1/industry/plans/{plan_id}", json={"name": "Fleet"}))  # another writer, meanwhile
    signed_in(client, alice)
    answer = post_form(
        client, f"/plans/{plan_id}/steps", steps_form(plan, **{f"step-{root}-meLevel": "5"}), f"/plans/{plan_id}"
    )
    assert answer.status_code == 409 and 'id="steps-error"' in answer.text
    assert api_plan(alice, plan_id)["steps"][0]["meLevel"] == 0


# ---------------------------------------------------------------- preview and generate


def test_a_preview_shows_what_the_api_previews_and_confirm_generates_the_run(
    alice: Api, client: TestClient[Any]
) -> None:
    created = new_plan(alice)
    plan_id = created["aggregateId"]
    ok(alice.put("/v1/industry/characters/90000001", json={"name": "Ada Builder"}))
    api = ok(alice.post(f"/v1/industry/plans/{plan_id}/preview", json={"quantity": 2}))
    signed_in(client, alice)
    page = client.get(f"/plans/{plan_id}/preview", params={"quantity": "2", "parallelism": "0"})
    assert page.status_code == 200, page.text
    jobs = section(page.text, "preview-jobs")
    shown = re.findall(r"<tr>\s*<td class=\"num\">-?\d+</td>\s*<td>([^<]+)</td>", jobs)
    ordered = sorted(api["jobs"], key=lambda job: job["sortOrder"])
    assert shown == [job["productName"] for job in ordered]
    assert "Tritanium" in section(page.text, "preview-bought")
    leftovers = section(page.text, "preview-leftovers")
    assert api["leftovers"] and all(f"{left['quantity']} × Reagent" in leftovers for left in api["leftovers"])
    [crew] = api["crews"]  # one character: the run's length with one
    assert "Ada Builder" in section(page.text, "preview-crews") and crew["characterCount"] == 1
    assert "No runs" not in page.text and ok(alice.get("/v1/industry/plans/runs")) == []  # nothing recorded
    confirm = post_form(
        client,
        f"/plans/{plan_id}/generate",
        {"quantity": "2", "parallelism": "0", "regionId": "", "version": str(created["version"])},
        f"/plans/{plan_id}/preview?quantity=2",
    )
    assert confirm.status_code == 303, confirm.text
    [run] = ok(alice.get("/v1/industry/plans/runs"))
    assert confirm.headers["location"] == f"/runs/{run['id']}" and run["quantity"] == 2
    assert client.get(confirm.headers["location"]).status_code == 200
    assert "never" not in row(client.get("/plans").text, f"plan-{plan_id}")  # the list's last run


@pytest.mark.parametrize(
    ("quantity", "detail"), [("0", "Quantity must be a whole number from 1"), ("many", "Expected `int`")]
)
def test_a_bad_quantity_is_refused_next_to_its_input(
    alice: Api, client: TestClient[Any], quantity: str, detail: str
) -> None:
    plan_id = new_plan(alice)["aggregateId"]
    signed_in(client, alice)
    page = client.get(f"/plans/{plan_id}/preview", params={"quantity": quantity})
    assert page.status_code == 400
    assert detail in field_error(page.text, "quantity") and 'id="generate-run"' not in page.text


def test_a_preview_not_asked_for_a_quantity_previews_one_unit(alice: Api, client: TestClient[Any]) -> None:
    plan_id = new_plan(alice)["aggregateId"]
    signed_in(client, alice)
    page = client.get(f"/plans/{plan_id}/preview")
    assert page.status_code == 200 and 'id="quantity" name="quantity" type="text" value="1"' in page.text
    assert 'id="generate-run"' in page.text
    blank = client.get(f"/plans/{plan_id}/preview", params={"quantity": ""})  # asked for, left blank
    assert blank.status_code == 400 and "missing required field `quantity`" in field_error(blank.text, "quantity")


def test_confirming_a_preview_of_a_plan_changed_since_generates_nothing(alice: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan_id = created["aggregateId"]
    ok(alice.patch(f"/v1/industry/plans/{plan_id}", json={"name": "Fleet"}))
    signed_in(client, alice)
    fields = {"quantity": "1", "version": str(created["version"])}
    answer = post_form(client, f"/plans/{plan_id}/generate", fields, f"/plans/{plan_id}")
    assert answer.status_code == 409 and 'id="form-error"' in answer.text and 'id="generate-run"' in answer.text
    assert ok(alice.get("/v1/industry/plans/runs")) == []


# ---------------------------------------------------------------- history


def test_the_history_lists_the_plans_events_and_shows_it_as_of_a_version(alice: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan_id, root = created["aggregateId"], step_of(created["plan"], S, 0)
    ok(alice.put(f"/v1/industry/plans/{plan_id}/steps/{root}/materials/{D}", json={"source": "buy"}))
    ok(alice.patch(f"/v1/industry/plans/{plan_id}", json={"name": "Fleet"}))
    audit = ok(alice.get(f"/v1/audit/{plan_id}"))
    signed_in(client, alice)
    latest = client.get(f"/plans/{plan_id}/history")
    assert latest.status_code == 200
    assert [int(v) for v in re.findall(r'<tr id="event-(\d+)"', latest.text)] == [3, 2, 1]
    for event in audit["events"]:
        shown = row(latest.text, f"event-{event['version']}")
        assert "<td>you</td>" in shown
    assert "Plan renamed" in row(latest.text, "event-3") and "Plan created" in row(latest.text, "event-1")
    assert 'type="range" min="1" max="3" step="1" value="3"' in latest.text
    assert "<dd>Fleet</dd>" in latest.text and len(re.findall(r'<li id="step-', latest.text)) == 3
    first = client.get(f"/plans/{plan_id}/history", params={"version": 1}).text
    as_api = api_plan(alice, plan_id, version=1)  # the API's replay of version 1
    assert "<dd>Ships</dd>" in first and len(re.findall(r'<li id="step-', first)) == len(as_api["steps"]) == 6
    assert 'id="newer"' in first and 'id="older"' not in first


def test_a_long_history_lists_the_events_around_the_version_shown(
    alice: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans_pages, "SHOWN_EVENTS", 4)
    plan_id = new_plan(alice)["aggregateId"]
    for n in range(7):  # versions 2-8
        ok(alice.patch(f"/v1/industry/plans/{plan_id}", json={"name": f"Fleet {n}"}))
    signed_in(client, alice)

    def listed(*version: int) -> list[int]:
        params = {"version": version[0]} if version else {}
        page = client.get(f"/plans/{plan_id}/history", params=params).text
        assert '<span class="count">8</span>' in page and f"GET /v1/audit/{plan_id}?offset=0" in page
        return [int(v) for v in re.findall(r'<tr id="event-(\d+)"', page)]

    assert listed() == [8, 7, 6, 5]
    assert listed(5) == [7, 6, 5, 4]
    assert listed(1) == [4, 3, 2, 1]


def test_another_users_plan_is_a_404_page_everywhere(alice: Api, bob: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan_id, root = created["aggregateId"], step_of(created["plan"], S, 0)
    signed_in(client, bob)
    for path in (f"/plans/{plan_id}", f"/plans/{plan_id}/history", f"/plans/{plan_id}/preview?quantity=1"):
        page = client.get(path)
        missing = client.get(path.replace(plan_id, str(uuid.uuid4())))
        assert page.status_code == missing.status_code == 404 and "No such plan of yours" in page.text, path
        assert page.text == missing.text
    for path, fields in (
        (f"/plans/{plan_id}/steps", steps_form(created["plan"], **{f"step-{root}-meLevel": "5"})),
        (f"/plans/{plan_id}/steps/{root}/materials/{D}", {"source": "buy"}),
        (f"/plans/{plan_id}/generate", {"quantity": "1"}),
    ):
        assert post_form(client, path, fields, "/plans").status_code == 404, path
    after = api_plan(alice, plan_id)
    assert after["version"] == created["version"] and ok(alice.get("/v1/industry/plans/runs")) == []
    assert "No plans yet." in client.get("/plans").text


def test_plan_forms_without_the_csrf_field_are_refused(alice: Api, client: TestClient[Any]) -> None:
    created = new_plan(alice)
    plan_id, root = created["aggregateId"], step_of(created["plan"], S, 0)
    signed_in(client, alice)
    client.get("/plans")  # the browser holds the cookie; a forged form lacks the field
    for path, fields in (
        ("/plans", {"productTypeId": str(S), "name": "More"}),
        (f"/plans/{plan_id}/steps/{root}/materials/{D}", {"source": "buy"}),
        (f"/plans/{plan_id}/generate", {"quantity": "1"}),
    ):
        forged = client.post(path, data=fields, follow_redirects=False)
        assert forged.status_code == 403 and "security token is missing or stale" in forged.text, path
    assert api_plan(alice, plan_id)["version"] == created["version"]
    assert len(ok(alice.get("/v1/industry/plans"))) == 1


def test_plan_pages_send_a_signed_out_reader_to_sign_in(client: TestClient[Any]) -> None:
    plan_id = uuid.uuid4()
    for path in ("/plans", f"/plans/{plan_id}", f"/plans/{plan_id}/history", f"/plans/{plan_id}/preview"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in"), path
