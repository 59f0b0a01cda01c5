"""Schemathesis against the ASGI app, on both backends, as an authenticated user: every
operation of the published OpenAPI schema gets generated requests (valid and not), and every
answer must be no server error and exactly what the schema says the route answers.

The requests go through Litestar's test client, so the app runs with its lifespan (the
projections running) as in production. Examples per operation are bounded so one backend
takes about a minute; the count of generated cases is printed (``-s`` shows it).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, strategies
from hypothesis import settings as examples
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from application.catalog import SAMPLE_CATALOG
from application.settings import Settings
from tests.conftest import Api

EXAMPLES_PER_OPERATION = 12
RIFTER = 587
STREAMS = ("/stream",)  # Server-Sent Events never end: not for a request/response fuzzer
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A generated minPosition far past the log waits the whole timeout for its 503: keep it short."""
    return Settings(database_url=database_url, consistency_timeout_sec=0.2, projection_poll_sec=0.05)


def without_min_position(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without ``minPosition``: a position past the log waits out the timeout and
    answers 503 by design (read-your-writes), which is no server fault but is a 5xx."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [p for p in operation["parameters"] if p["name"] != "minPosition"]
    return schema


def _send(client: TestClient[Any], request: dict[str, Any]) -> Any:
    """A request as Schemathesis serialises it for ``requests``, sent with the Litestar client."""
    body: dict[str, Any] = {}
    if "json" in request:
        body["json"] = request["json"]
    elif request.get("data") is not None:
        data = request["data"]
        body["content"] = data if isinstance(data, bytes) else str(data).encode()
    return client.request(
        request["method"], request["url"], params=request.get("params"), headers=request["headers"], **body
    )


def seed(alice: Api) -> dict[str, Any]:
    """A user with something of everything, and the ids a path can name: generated ids alone
    would only ever find nothing."""

    def ok(answer: Any) -> Any:
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    ok(alice.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))
    ok(alice.post("/v1/manufacturing/containers", json={"containerId": "c1", "systemSymbol": "X1", "strategy": "s"}))
    plan = ok(alice.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER}))
    plan_id = plan["aggregateId"]
    run = ok(alice.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 2}))
    ok(alice.put("/v1/industry/characters/90000001", json={"name": "Ann"}))
    marker = ok(alice.post("/v1/stockpiles", json={"typeId": RIFTER, "locationId": 60003760, "desiredQuantity": 5}))
    world = ok(alice.post("/v1/crafting/worlds", json={"name": "w", "seed": 1}))["world"]["id"]
    crafting = f"/v1/crafting/worlds/{world}"
    recipe = {"id": "sword", "inputs": [{"item": "iron", "quantity": 1}], "outputs": [{"item": "sword", "quantity": 1}]}
    ok(alice.post(f"{crafting}/recipes", json={**recipe, "duration": 60}))
    ok(alice.post(f"{crafting}/inventories", json={"inventoryId": "i", "items": {"iron": 5}}))
    ok(alice.post(f"{crafting}/managers", json={"managerId": "m"}))
    ok(alice.post(f"{crafting}/managers/m/jobs", json={"recipeId": "sword", "owner": "o", "inventoryId": "i"}))
    return {
        "type_id": RIFTER,
        "plan_id": plan_id,
        "aggregate_id": plan_id,
        "run_id": run["run"]["id"],
        "job_id": run["created"][0]["id"],
        "step_id": plan["plan"]["steps"][0]["stepId"],
        "character_id": 90000001,
        "marker_id": marker["marker"]["id"],
        "container_id": "c1",
        "world_id": world,
        "recipe_id": "sword",
        "inventory_id": "i",
        "manager_id": "m",
        "owner": "o",
        "seq": 1,
    }


def _fuzzer(
    operation: Any, client: TestClient[Any], headers: dict[str, str], known: dict[str, Any], statuses: Counter[int]
) -> Any:
    """A Hypothesis test of one operation with requests that fit its schema and requests that
    do not, some naming the seeded ids: bounded, reproducible, not shrunk (speed over a minimal example)."""
    names = {parameter.name for parameter in operation.path_parameters}
    pinned = {name: value for name, value in known.items() if name in names}
    generated = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    existing = [operation.as_strategy(path_parameters=pinned)] if pinned and len(pinned) == len(names) else []

    @examples(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategies.one_of(*generated, *existing))
    def exercise(case: Any) -> None:
        request = case.as_transport_kwargs(base_url="http://testserver.local", headers=headers)
        response = _send(client, request)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=request["headers"])

    return exercise


@pytest.mark.timeout(600)
def test_every_operation_answers_what_its_schema_says_and_never_a_server_error(
    alice: Api, client: TestClient[Any]
) -> None:
    known = seed(alice)
    schema = schemathesis.openapi.from_dict(without_min_position(client.get("/schema/openapi.json").json()))
    statuses: Counter[int] = Counter()
    operations = 0
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if any(part in operation.path for part in STREAMS):
            continue
        operations += 1
        try:
            _fuzzer(operation, client, alice.headers, known, statuses)()
        except (Exception, BaseExceptionGroup) as failure:  # gathered: one run reports every operation
            failures[operation.label] = str(failure)[:2000]

    total = sum(statuses.values())
    by_status = dict(sorted(statuses.items()))
    print(f"\nschemathesis: {total} generated cases over {operations} operations, by status: {by_status}")
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert operations >= 80 and total >= 10 * operations
