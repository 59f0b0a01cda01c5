"""Validation at the boundary: what a column or the decoder cannot hold is a 400 naming the
field, before anything is recorded (so no event can poison a projection), and a request
without a token is a 401 before anything of it is read.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api

HUGE = 2**63  # one past the largest BIGINT
JOB = {"productTypeId": 587, "blueprintTypeId": 24699, "runs": 1}
ITEM = {"typeId": 34, "name": "Tritanium"}
SWORD = {"id": "sword", "outputs": [{"item": "sword", "quantity": 1}], "duration": 5}


def head(api: Api) -> int:
    """The event log's head, from the server's own store (only an admin sees it on /health)."""
    return int(api.client.app.state.system.store.head())


def send(api: Api, method: str, path: str, body: str, **headers: str) -> Any:
    headers = {**api.headers, "Content-Type": "application/json", **headers}
    return api.client.request(method, path, content=body.encode(), headers=headers)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/industry/jobs", {**JOB, "productTypeId": HUGE}, "productTypeId"),
        ("POST", "/v1/industry/jobs", {**JOB, "stationId": HUGE}, "stationId"),
        ("POST", "/v1/industry/jobs", {**JOB, "characterId": 0}, "characterId"),
        ("POST", "/v1/industry/jobs", {**JOB, "productTypeId": "587"}, "productTypeId"),  # strict: "587" is no id
        ("POST", "/v1/industry/jobs", {**JOB, "notes": "a\u0000b"}, "notes"),
        ("POST", "/v1/industry/jobs", {**JOB, "runs": 2**31}, "runs"),
        ("POST", "/v1/industry/plans", {"name": "p" * 201, "productTypeId": 587}, "name"),
        ("POST", "/v1/catalog/imports", {"game": "g" * 65}, "game"),
        ("POST", "/v1/catalog/imports", {"items": [ITEM] * 3 + [{"typeId": 35, "name": "n" * 256}]}, "items[3].name"),
        ("POST", "/v1/catalog/imports", {"items": [{"typeId": 35, "name": "Pye\u0000rite"}]}, "items[0].name"),
        ("POST", "/v1/catalog/imports", {"items": [{"typeId": HUGE, "name": "x"}]}, "items[0].typeId"),
        ("PUT", "/v1/catalog/bought", {"typeIds": [34, HUGE]}, "typeIds[1]"),
        ("PUT", "/v1/assets", {"assets": [{"typeId": 34, "locationId": HUGE, "quantity": 1}]}, "assets[0].locationId"),
        ("POST", "/v1/stockpiles", {"typeId": 34, "locationId": 1, "desiredQuantity": HUGE}, "desiredQuantity"),
        ("PUT", "/v1/industry/characters/1", {"name": "Ann", "skills": {"industry": "5"}}, "skills.industry"),
        ("POST", "/v1/market/prices", {"regionId": HUGE, "quotes": [{"typeId": 34, "lowestSell": 1}]}, "regionId"),
        (
            "POST",
            "/v1/manufacturing/containers",
            {"containerId": "c", "systemSymbol": "X\u0000", "strategy": "s"},
            None,
        ),
    ],
)
def test_a_value_its_column_cannot_hold_is_a_400_naming_the_field_and_records_nothing(
    alice: Api, method: str, path: str, body: dict[str, Any], field: str | None
) -> None:
    before = head(alice)
    answer = send(alice, method, path, json.dumps(body))
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) >= {"error", "detail", "field"}
    assert answer.json()["field"] == (field or "systemSymbol")
    assert head(alice) == before


def test_floats_are_finite_and_bounded(alice: Api) -> None:
    """JSON's 1e400 decodes to infinity; crafting multipliers and durations that would make
    every later job of the world fail are refused before the world records them."""
    infinite = '{"regionId": 10000002, "quotes": [{"typeId": 34, "lowestSell": 1e400}]}'
    answer = send(alice, "POST", "/v1/market/prices", infinite)
    assert (answer.status_code, answer.json()["field"]) == (400, "quotes[0].lowestSell")

    world = alice.post("/v1/crafting/worlds", json={"name": "w"}).json()["world"]["id"]
    base = f"/v1/crafting/worlds/{world}"
    before = head(alice)
    answer = alice.post(f"{base}/recipes", json={**SWORD, "duration": 1e308})
    assert (answer.status_code, answer.json()["field"]) == (400, "duration")
    answer = alice.post(f"{base}/managers", json={"managerId": "m", "grants": [{"modifiers": {"timeSpeed": 1e308}}]})
    assert (answer.status_code, answer.json()["field"]) == (400, "grants[0].modifiers.timeSpeed")
    start = {"recipeId": "sword", "owner": "o", "inventoryId": "i", "modifiers": {"inputCost": 1e308}}
    answer = alice.post(f"{base}/managers/m/jobs", json=start)
    assert (answer.status_code, answer.json()["field"]) == (400, "modifiers.inputCost")
    assert head(alice) == before


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/industry/jobs", {"characterId": str(HUGE)}, "characterId"),
        (f"/v1/industry/characters/{HUGE}", {}, "character_id"),  # the path template's name
        (f"/v1/catalog/items/{HUGE}", {}, "type_id"),
        ("/v1/market/prices/34", {"region_id": str(HUGE)}, "region_id"),
        ("/v1/assets", {"locationId": str(HUGE)}, "locationId"),
        ("/v1/industry/plans", {"minPosition": str(HUGE)}, "minPosition"),
        ("/v1/catalog/items", {"search": "x" * 101}, "search"),
        ("/v1/production/economics/opportunities", {"region_id": "1", "min_roi": "inf"}, "min_roi"),
    ],
)
def test_query_and_path_parameters_are_bounded_too(alice: Api, path: str, params: dict[str, str], field: str) -> None:
    method = "PUT" if path.startswith("/v1/industry/characters/") else "GET"
    answer = alice.client.request(method, path, params=params, headers=alice.headers, json={"name": "Ann"})
    assert (answer.status_code, answer.json()["field"]) == (400, field), answer.text


def test_json_nested_a_thousand_levels_deep_is_a_400(alice: Api) -> None:
    world = alice.post("/v1/crafting/worlds", json={"name": "w"}).json()["world"]["id"]
    path = f"/v1/crafting/worlds/{world}/managers/m/jobs"
    start = '{"recipeId": "sword", "owner": "o", "inventoryId": "i", "context": {"deep": %s}}'
    before = head(alice)
    for depth in (40, 1_000, 100_000):  # past the free-form limit, past the decoder's recursion
        answer = send(alice, "POST", path, start % nested(depth))
        assert answer.status_code == 400, answer.text
    assert send(alice, "POST", "/v1/industry/jobs", nested(5_000)).status_code == 400
    assert head(alice) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/industry/jobs", nested(5_000)),
        ("POST", "/v1/industry/jobs", '{"productTypeId": "nope"}'),
        ("POST", "/v1/industry/jobs", "{not json"),
        ("GET", f"/v1/industry/jobs?characterId={HUGE}", ""),
        ("PUT", f"/v1/industry/characters/{HUGE}", "{}"),
        ("GET", "/v1/catalog/items?limit=0", ""),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
def test_without_a_valid_token_every_request_is_a_401_before_it_is_read(
    alice: Api, method: str, path: str, body: str, authorization: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    answer = alice.client.request(method, path, content=body.encode(), headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "unauthorized" and answer.headers["WWW-Authenticate"] == "Bearer"


def test_health_version_and_the_schema_stay_public(alice: Api) -> None:
    for path in ("/health", "/v1/version", "/schema/openapi.json"):
        assert alice.client.get(path).status_code == 200, path


def test_lists_are_read_a_page_at_a_time(alice: Api) -> None:
    for character_id in (1, 2, 3):
        position = alice.put(f"/v1/industry/characters/{character_id}", json={"name": f"c{character_id}"}).json()
    wait = {"minPosition": position["position"]}

    def ids(**page: int) -> list[int]:
        answer = alice.get("/v1/industry/characters", params={**wait, **page})
        assert answer.status_code == 200, answer.text
        return [character["characterId"] for character in answer.json()]

    assert ids() == [1, 2, 3]
    assert ids(limit=2) == [1, 2] and ids(limit=2, offset=2) == [3] and ids(offset=3) == []
    answer = alice.get("/v1/industry/characters", params={"limit": 10_001})
    assert (answer.status_code, answer.json()["field"]) == (400, "limit")


def test_the_schema_states_every_page_size_and_limit(alice: Api) -> None:
    schema = alice.client.get("/schema/openapi.json").json()
    lists = [
        (path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method == "get"
        and "200" in operation["responses"]  # not a redirect (/v1/eve/login)
        and operation["responses"]["200"]["content"]["application/json"]["schema"].get("type") == "array"
    ]
    assert len(lists) >= 8
    for path, operation in lists:
        parameters = {parameter["name"]: parameter["schema"] for parameter in operation.get("parameters", [])}
        assert {"limit", "offset"} <= set(parameters), path
        assert isinstance(parameters["limit"]["maximum"], int) and "default" in parameters["limit"], path
    job = schema["components"]["schemas"]["CreateJob"]["properties"]
    assert job["productTypeId"]["maximum"] == 2**63 - 1 and job["notes"]["maxLength"] == 2000


def test_every_route_declares_its_errors_with_the_error_body(alice: Api) -> None:
    schema = alice.client.get("/schema/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in schema["paths"].items():
        if path.startswith("/schema") or path in ("/health", "/v1/version"):
            continue
        if path == "/v1/eve/callback":  # public (the browser back from the SSO): no 401, 404 or 422
            for status in ("400", "503"):
                assert operations["get"]["responses"][status]["content"]["application/json"]["schema"] == error
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "401", "404", "422", "503"} | ({"409"} if method != "get" else set())
            expected |= {"413"} if "requestBody" in operation else set()
            assert expected <= set(responses), (method, path)
            for status in expected:
                assert responses[status]["content"]["application/json"]["schema"] == error, (method, path, status)
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "detail", "field"}


def test_a_wrong_method_is_a_405_naming_the_allowed_ones(alice: Api) -> None:
    answer = alice.delete("/v1/industry/jobs")
    assert answer.status_code == 405 and set(answer.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert answer.json()["error"] == "method_not_allowed"
