"""Reads see every write acknowledged before them, by default: no ``minPosition`` needed, also
for writes another process acknowledged (a second server on the same database), and crafting
worlds served by a second process. ``consistency=eventual`` opts out and never waits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from application.log_head import LogHead
from application.settings import Settings
from application.system import Manufactory
from interfaces.http.app import create_app
from tests.conftest import Api
from tests.integration.test_api_manufacturing import CONFIG, register
from tests.integration.test_api_plans import S, new_plan

TRIES = 25


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def second_server(settings: Settings) -> Iterator[TestClient[Any]]:
    """Another server process on the same database: its own event store, projection runner,
    caches and crafting worlds in memory."""
    with Manufactory.open(settings) as other, TestClient(create_app(other)) as client:
        yield client


def as_user(client: TestClient[Any], api: Api) -> Api:
    return Api(client, api.token, api.user_id)


def test_a_read_right_after_a_patch_sees_it_every_time(alice: Api) -> None:
    register(alice)
    for workers in range(2, 2 + TRIES):
        ok(alice.patch(CONFIG, json={"maxWorkers": workers}))
        assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == workers


def test_a_waiting_read_cuts_short_the_runners_gathering_of_a_burst(alice: Api, system: Manufactory) -> None:
    """Under a stream of commands the runner waits a moment after each round to apply the rest
    of the burst in one transaction; a read waiting for its writes does not wait that out."""
    register(alice)
    assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == 5
    system.settings = msgspec.structs.replace(system.settings, consistency_timeout_sec=2.0)
    system.projections.coalesce_interval = 600.0  # a burst gathered for longer than any read waits
    for workers in range(6, 9):
        ok(alice.patch(CONFIG, json={"maxWorkers": workers}))
        assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == workers


def test_plans_by_product_list_a_plan_right_after_it_is_created(alice: Api) -> None:
    plan = new_plan(alice)
    assert [p["id"] for p in ok(alice.get(f"/v1/industry/plans/by-product/{S}"))] == [plan["aggregateId"]]


def test_a_write_acknowledged_by_another_server_is_seen_by_the_next_read(
    alice: Api, second_server: TestClient[Any]
) -> None:
    elsewhere = as_user(second_server, alice)
    register(alice)
    assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == 5  # cached here from now on
    for workers in range(6, 6 + TRIES // 5):
        ok(elsewhere.patch(CONFIG, json={"maxWorkers": workers}))
        assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == workers


def test_eventual_reads_answer_at_once_while_default_reads_wait_for_the_projection(
    alice: Api, system: Manufactory
) -> None:
    register(alice)
    assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == 5
    system.settings = msgspec.structs.replace(system.settings, consistency_timeout_sec=0.3)
    system.projections.stop()  # the read models stand still from here
    ok(alice.patch(CONFIG, json={"maxWorkers": 9}))

    assert ok(alice.get(CONFIG, params={"consistency": "eventual"}))["config"]["maxWorkers"] == 5
    lagging = alice.get(CONFIG)
    assert lagging.status_code == 503
    assert lagging.json()["field"] == "consistency"
    assert "consistency=eventual" in lagging.json()["detail"]

    system.projections.start()
    assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == 9


def test_min_position_beyond_the_log_is_refused_at_once(alice: Api, system: Manufactory) -> None:
    created = register(alice)
    system.settings = msgspec.structs.replace(system.settings, consistency_timeout_sec=10)  # it would wait it out
    for consistency in ("strong", "eventual"):
        beyond = alice.get(CONFIG, params={"minPosition": system.store.head() + 1, "consistency": consistency})
        assert beyond.status_code == 400, beyond.text
        assert beyond.json()["field"] == "minPosition"
    assert ok(alice.get(CONFIG, params={"minPosition": created["position"]}))["version"] == 1


def test_consistency_is_strong_or_eventual_and_documented_on_queries_only(alice: Api, client: TestClient[Any]) -> None:
    register(alice)
    refused = alice.get(CONFIG, params={"consistency": "sometimes"})
    assert refused.status_code == 400 and refused.json()["field"] == "consistency"
    assert client.get(CONFIG, params={"consistency": "sometimes"}).status_code == 401  # the token comes first
    paths = client.get("/schema/openapi.json").json()["paths"]
    config = paths["/v1/manufacturing/containers/{container_id}/config"]
    parameter = next(p for p in config["get"]["parameters"] if p["name"] == "consistency")
    assert parameter["in"] == "query" and set(parameter["schema"]["enum"]) == {"strong", "eventual"}
    assert "consistency" not in {p["name"] for p in config["patch"].get("parameters", [])}
    for route in ("/v1/industry/plans/by-product/{type_id}", "/v1/crafting/worlds/{world_id}", "/v1/stockpiles"):
        assert "consistency" in {p["name"] for p in paths[route]["get"]["parameters"]}, route


def test_a_crafting_world_served_by_a_second_server_catches_up_before_answering(
    alice: Api, second_server: TestClient[Any]
) -> None:
    elsewhere = as_user(second_server, alice)
    world = ok(alice.post("/v1/crafting/worlds", json={"name": "Forge", "seed": 7}), 201)["world"]
    inventory = f"/v1/crafting/worlds/{world['id']}/inventories/inv"
    ok(alice.post(f"/v1/crafting/worlds/{world['id']}/inventories", json={"inventoryId": "inv"}), 201)
    assert ok(elsewhere.get(inventory))["items"] == {}  # the world is in the second server's memory now
    for count in range(1, 6):
        ok(alice.post(f"{inventory}/add", json={"items": {"iron_ingot": 1}}))
        assert ok(elsewhere.get(inventory))["items"] == {"iron_ingot": count}
    ok(elsewhere.post(f"{inventory}/add", json={"items": {"hammer": 1}}))  # and it still writes on top
    assert ok(alice.get(inventory))["items"] == {"iron_ingot": 5, "hammer": 1}


def test_queries_arriving_together_share_one_head_read_begun_after_they_arrived() -> None:
    log = [1]  # the store's head
    begun: list[int] = []  # the head each read saw when it began

    async def queries() -> tuple[int, list[int]]:
        release = asyncio.Event()

        async def read_head() -> int:
            begun.append(log[0])
            await release.wait()
            return begun[-1]

        head = LogHead(read_head)
        first = asyncio.create_task(head.current())
        while not begun:  # the first query's read is in flight...
            await asyncio.sleep(0)
        log[0] = 2  # ...when a write commits, and five more queries arrive
        later = [asyncio.create_task(head.current()) for _ in range(5)]
        await asyncio.sleep(0)
        release.set()
        return await first, list(await asyncio.gather(*later))

    first, later = asyncio.run(queries())
    assert (first, later) == (1, [2] * 5)  # never a read begun before they arrived...
    assert begun == [1, 2]  # ...and one read for all five


def test_the_floor_is_the_newest_head_known_here_without_a_read() -> None:
    """Acknowledged writes (this process's, or told by others) and heads read both raise it."""
    reads: list[int] = []

    async def read_head() -> int:
        reads.append(9)
        return 9

    async def story() -> list[int]:
        head = LogHead(read_head, shared=False)
        seen = [head.floor()]
        head.acknowledge(5)
        seen.append(head.floor())
        await head.current()
        seen.append(head.floor())
        head.acknowledge(7)  # older than what was read: the floor stays
        seen.append(head.floor())
        return seen

    assert asyncio.run(story()) == [0, 5, 9, 9]
    assert reads == [9]  # only the one read asked for
