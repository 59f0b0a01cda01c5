"""Crafting worlds through the HTTP API, as a game server would use them.

The service's clock is a fake one the tests move (the app's ticker runs on it too); the last
test runs the real server process on the real clock for the event stream and a restart.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from application.system import Manufactory
from domain.crafting_world import World
from domain.events import CommandMeta
from tests.conftest import Api
from tests.support import run_cli, serving

T0 = 1_800_000_000.0
SWORD = {
    "id": "iron_sword",
    "name": "Iron Sword",
    "category": "weapons",
    "inputs": [{"item": "iron_ingot", "quantity": 3}, {"item": "hammer", "quantity": 1, "consume": False}],
    "outputs": [{"item": "iron_sword", "quantity": 1}],
    "duration": 5,
}
MINE = {
    "id": "mine_iron",
    "category": "mining",
    "inputs": [{"item": "energy", "quantity": 10}, {"item": "pickaxe", "quantity": 1, "consume": False}],
    "outputs": [{"item": "iron_ore", "quantity": 5}],
    "duration": 5,
}
PLANKS = {
    "id": "planks",
    "category": "carpentry",
    "inputs": [{"item": "log", "quantity": 10}, {"item": "glue", "quantity": 1}],
    "outputs": [{"item": "plank", "quantity": 3}, {"item": "sawdust", "quantity": 1, "probability": 0.5}],
    "duration": 1.2345,
}
FORGE_LVL_3 = {"modifiers": {"inputCost": 0.85, "timeSpeed": 0.7, "source": "Forge Lvl 3"}}
SMITHING = {"modifiers": {"outputYield": 1.3, "source": "Smithing"}, "categories": ["weapons"]}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(system: Manufactory) -> Clock:
    clock = Clock()
    system.crafting.clock = clock
    return clock


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field, body
    return body


def new_world(api: Api, *recipes: dict[str, Any], items: dict[str, int], **managers: list[Any]) -> str:
    """A world with ``recipes``, inventory ``inv`` holding ``items`` and ``managers``; its path."""
    world = ok(api.post("/v1/crafting/worlds", json={"name": "Forge", "seed": 7}), 201)["world"]
    base = f"/v1/crafting/worlds/{world['id']}"
    ok(api.post(base + "/recipe-imports", json={"format": 1, "recipes": list(recipes)}), 201)
    ok(api.post(base + "/inventories", json={"inventoryId": "inv", "items": items}), 201)
    for manager_id, grants in (managers or {"forge_1": []}).items():
        ok(api.post(base + "/managers", json={"managerId": manager_id, "grants": grants}), 201)
    return base


def in_one_command(
    system: Manufactory, api: Api, base: str, decide: Callable[[World, float, CommandMeta], object]
) -> None:
    """``decide`` on the world at ``base`` as one command: many jobs, inventories or managers in one save."""
    meta = CommandMeta(user_id=api.user_id, correlation_id="many at once")
    system.crafting.command(UUID(base.rsplit("/", 1)[1]), meta, lambda world, now: decide(world, now, meta))


def start(api: Api, base: str, recipe: str, manager: str = "forge_1", **extra: Any) -> Any:
    body = {"recipeId": recipe, "owner": "player1", "inventoryId": "inv", **extra}
    return api.post(f"{base}/managers/{manager}/jobs", json=body)


def items(api: Api, base: str) -> dict[str, int]:
    return ok(api.get(base + "/inventories/inv"))["items"]  # type: ignore[no-any-return]


def test_iron_sword_with_its_hammer(alice: Api, clock: Clock) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1}, forge_1=[FORGE_LVL_3, SMITHING])
    started = ok(start(alice, base, "iron_sword", context={"slot": 1}), 201)
    job = started["job"]
    assert job["jobId"] == "forge_1#1" and job["state"] == "running"
    assert job["consumed"] == [{"item": "iron_ingot", "quantity": 3}], "3 x 0.85 = 2.55 rounds up to 3"
    assert job["inputs"][1] == {"item": "hammer", "quantity": 1, "consume": False}
    assert (job["duration"], job["end"] - job["start"]) == (3.5, 3.5)
    assert job["modifiers"]["source"] == "Forge Lvl 3+Smithing" and job["context"] == {"slot": 1}
    assert [r["type"] for r in started["records"]] == ["started"] and started["position"] > 0
    assert items(alice, base) == {"iron_ingot": 7, "hammer": 1}

    clock.now += 1.4
    assert ok(alice.get(base + "/managers/forge_1/jobs/1"))["progress"] == pytest.approx(0.4)
    assert [j["jobId"] for j in ok(alice.get(base + "/owners/player1/jobs"))["jobs"]] == ["forge_1#1"]
    clock.now += 2.1
    world = ok(alice.post(base + "/catch-up"))["world"]
    assert world["nextDue"] is None and world["managers"][0]["runningJobs"] == 0
    assert items(alice, base) == {"iron_ingot": 7, "hammer": 1, "iron_sword": 1}
    refused(alice.get(base + "/managers/forge_1/jobs/1"), 404, "jobId")


def test_a_managers_grants_are_changed_and_removed_for_the_jobs_it_starts_from_then_on(
    alice: Api, bob: Api, clock: Clock
) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1})
    before = ok(start(alice, base, "iron_sword"), 201)["job"]
    changed = ok(alice.post(base + "/managers/forge_1/grants", json={"grants": [FORGE_LVL_3, SMITHING]}))
    assert [g["modifiers"]["source"] for g in changed["manager"]["grants"]] == ["Forge Lvl 3", "Smithing"]
    assert changed["position"] > 0
    assert ok(alice.get(base + "/managers/forge_1/jobs/1"))["duration"] == before["duration"] == 5, "it keeps its own"
    assert ok(start(alice, base, "iron_sword"), 201)["job"]["duration"] == 3.5

    removed = ok(alice.post(base + "/managers/forge_1/grants/0/remove"))["manager"]
    assert [g["modifiers"]["source"] for g in removed["grants"]] == ["Smithing"]
    assert ok(start(alice, base, "iron_sword"), 201)["job"]["modifiers"]["source"] == "Smithing"
    assert ok(alice.post(base + "/managers/forge_1/grants", json={"grants": []}))["manager"]["grants"] == []

    refused(bob.post(base + "/managers/forge_1/grants", json={"grants": [FORGE_LVL_3]}), 404, "worldId")
    refused(bob.post(base + "/managers/forge_1/grants/0/remove"), 404, "worldId")
    assert ok(alice.get(base))["managers"][0]["grants"] == []


def test_mining_loop_on_100_energy_stops_after_10_cycles_and_the_audit_trail_tells_it(alice: Api, clock: Clock) -> None:
    base = new_world(alice, MINE, items={"energy": 100, "pickaxe": 1})
    ok(start(alice, base, "mine_iron", repeat=True), 201)
    clock.now += 60
    ok(alice.post(base + "/catch-up"))
    assert items(alice, base) == {"iron_ore": 50, "pickaxe": 1}
    assert ok(alice.get(base + "/owners/player1/jobs"))["jobs"] == []

    world_id = base.rsplit("/", 1)[1]
    trail = ok(alice.get(f"/v1/audit/{world_id}"))
    records = [e["payload"]["record"] for e in trail["events"] if e["type"].startswith("Job")]
    assert [r["type"] for r in records].count("completed") == 10
    assert records[-1]["type"] == "failed"
    assert (records[-1]["reason"], records[-1]["cyclesCompleted"]) == ("failed_to_restart", 10)
    then = ok(alice.get(f"/v1/audit/{world_id}", params={"version": 5}))["state"]  # just after the first start
    stock = [{"item": "energy", "quantity": 90}, {"item": "pickaxe", "quantity": 1}]
    assert then["inventories"] == [{"inventoryId": "inv", "capacity": None, "items": stock}]
    assert [job["jobId"] for job in then["managers"][0]["jobs"]] == ["forge_1#1"]


def test_rounding_rules_and_stacked_modifiers(alice: Api) -> None:
    grant = {"modifiers": {"inputCost": 0.9, "outputYield": 0.5, "timeSpeed": 0.5}}
    base = new_world(alice, PLANKS, items={"log": 100, "glue": 10}, forge_1=[grant])
    job = ok(start(alice, base, "planks", modifiers={"inputCost": 0.8, "source": "Potion"}), 201)["job"]
    assert job["modifiers"]["inputCost"] == pytest.approx(0.72), "0.9 x 0.8: multiplicative"
    assert job["consumed"] == [{"item": "log", "quantity": 8}, {"item": "glue", "quantity": 1}], (
        "10 x 0.72 = 7.2 rounds up to 8; 1 x 0.72 rounds up to at least 1"
    )
    assert [o["quantity"] for o in job["outputs"]] == [1, 0], "3 x 0.5 = 1.5 and 1 x 0.5 round down"
    assert job["duration"] == 0.617, "1.2345 s x 0.5 to the millisecond"


def test_cancel_refunds_full_proportional_or_nothing_as_one_step(alice: Api, clock: Clock) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 9, "hammer": 1})
    for _ in range(3):
        ok(start(alice, base, "iron_sword"), 201)
    clock.now += 2  # 40% done
    cancel = f"{base}/managers/forge_1/jobs/{{}}/cancel"
    full = ok(alice.post(cancel.format(1), json={"refund": "full"}))
    assert full["record"]["refund"] == [{"item": "iron_ingot", "quantity": 3}] and full["position"] > 0
    part = ok(alice.post(cancel.format(2), json={"refund": "proportional"}))["record"]
    assert (part["refund"], part["progress"]) == ([{"item": "iron_ingot", "quantity": 1}], 0.4), "3 x 0.6 = 1.8 -> 1"
    nothing = ok(alice.post(cancel.format(3), json={"refund": "none"}))["record"]
    assert (nothing["type"], nothing["refund"], nothing["refundPolicy"]) == ("cancelled", [], "none")
    assert items(alice, base) == {"iron_ingot": 4, "hammer": 1}
    refused(alice.post(cancel.format(1), json={"refund": "full"}), 404, "jobId")
    refused(alice.post(cancel.format(9), json={"refund": "half"}), 400, "refund")


def test_an_instant_recipe_finishes_as_it_starts_and_outputs_that_do_not_fit_fail_the_job(alice: Api) -> None:
    quick = {**SWORD, "id": "quick_sword", "duration": 0}
    split = {
        "id": "split_log",
        "inputs": [{"item": "log", "quantity": 1}],
        "outputs": [{"item": "plank", "quantity": 4}],
    }
    world = ok(alice.post("/v1/crafting/worlds", json={"name": "Tiny"}), 201)["world"]
    base = f"/v1/crafting/worlds/{world['id']}"
    ok(alice.post(base + "/recipes", json=quick), 201)
    ok(alice.post(base + "/recipes", json=split), 201)
    ok(alice.post(base + "/inventories", json={"inventoryId": "inv", "capacity": 5, "items": {"iron_ingot": 3}}), 201)
    ok(alice.post(base + "/inventories", json={"inventoryId": "big", "items": {"iron_ingot": 6, "hammer": 1}}), 201)
    ok(alice.post(base + "/managers", json={"managerId": "forge_1"}), 201)
    refused(start(alice, base, "quick_sword"), 422, "inputs")  # no hammer: nothing taken
    ok(alice.post(base + "/inventories/inv/add", json={"items": {"hammer": 1}}))
    done = ok(start(alice, base, "quick_sword"), 201)
    assert done["job"] is None and [r["type"] for r in done["records"]] == ["started", "completed"]
    assert items(alice, base) == {"hammer": 1, "iron_sword": 1}

    refused(alice.post(base + "/inventories/inv/add", json={"items": {"log": 2, "nail": 2}}), 422, "inventoryId")
    ok(alice.post(base + "/inventories/inv/add", json={"items": {"log": 2}}))  # 4 of 5
    failed = ok(start(alice, base, "split_log"), 201)["records"][-1]  # 1 log for 4 planks: 7 of 5
    assert (failed["type"], failed["reason"]) == ("failed", "inventory_full")
    assert failed["lost"] == [{"item": "plank", "quantity": 4}]
    assert items(alice, base) == {"hammer": 1, "iron_sword": 1, "log": 1}, "the log is gone with the job"
    inventories = ok(alice.get(base + "/inventories"))["inventories"]
    assert [(i["inventoryId"], i["capacity"], i["total"]) for i in inventories] == [("inv", 5, 3), ("big", None, 7)]


def test_recipes_import_export_and_lookups(alice: Api) -> None:
    base = new_world(alice, SWORD, MINE, PLANKS, items={})
    exported = ok(alice.get(base + "/recipes"))
    assert exported["format"] == 1 and [r["id"] for r in exported["recipes"]] == ["iron_sword", "mine_iron", "planks"]
    other = ok(alice.post("/v1/crafting/worlds", json={"name": "Copy"}), 201)["world"]["id"]
    ok(alice.post(f"/v1/crafting/worlds/{other}/recipe-imports", json=exported), 201)
    assert ok(alice.get(f"/v1/crafting/worlds/{other}/recipes")) == exported

    assert [r["id"] for r in ok(alice.get(base + "/recipes", params={"category": "mining"}))["recipes"]] == [
        "mine_iron"
    ]
    assert [r["id"] for r in ok(alice.get(base + "/recipes", params={"output": "sawdust"}))["recipes"]] == ["planks"]
    assert ok(alice.get(base + "/recipes/planks"))["outputs"][1]["probability"] == 0.5
    refused(alice.get(base + "/recipes/nope"), 404, "recipeId")

    again = {"format": 1, "recipes": [{**MINE, "id": "new_one"}, SWORD]}
    refused(alice.post(base + "/recipe-imports", json=again), 409, "id")
    assert len(ok(alice.get(base + "/recipes"))["recipes"]) == 3, "all or nothing"
    renamed = ok(alice.post(base + "/recipe-imports", params={"replace": "true"}, json=again), 201)["recipes"]
    assert [r["id"] for r in renamed] == ["new_one", "iron_sword"]
    refused(alice.post(base + "/recipe-imports", json={"format": 2, "recipes": []}), 400, "format")


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (
            "/recipes",
            {**SWORD, "id": "x", "outputs": [{"item": "a", "quantity": 1, "probability": 1.5}]},
            400,
            "outputs[0].probability",
        ),
        ("/recipes", {**SWORD, "id": "x", "inputs": [{"item": "a", "quantity": 0}]}, 400, "inputs[0].quantity"),
        ("/recipes", {**SWORD, "id": "x", "duration": -1}, 400, "duration"),
        ("/recipes", {**SWORD, "id": "x", "outputs": []}, 400, "outputs"),
        ("/inventories", {"inventoryId": "a/b"}, 400, "inventoryId"),
        ("/inventories", {"inventoryId": "inv"}, 409, "inventoryId"),
        ("/inventories", {"inventoryId": "small", "capacity": 1, "items": {"x": 2}}, 422, "inventoryId"),
        ("/inventories", {"inventoryId": "neg", "capacity": -1}, 400, "capacity"),
        ("/inventories", {"inventoryId": "x", "colour": "red"}, 400, "colour"),
        ("/inventories/inv/add", {"items": {"x": 0}}, 400, "items.x"),
        ("/inventories/inv/remove", {"items": {"iron_ingot": 11}}, 422, "items"),
        ("/inventories/nope/add", {"items": {"x": 1}}, 404, "inventoryId"),
        ("/managers", {"managerId": "forge_1"}, 409, "managerId"),
        ("/managers", {"managerId": "a#1"}, 400, "managerId"),
        (
            "/managers",
            {"managerId": "m", "grants": [{"modifiers": {"timeSpeed": -2}}]},
            400,
            "grants[0].modifiers.timeSpeed",
        ),
        (
            "/managers/forge_1/grants",
            {"grants": [{"modifiers": {"inputCost": -1}}]},
            400,
            "grants[0].modifiers.inputCost",
        ),
        ("/managers/forge_1/grants", {}, 400, "grants"),
        ("/managers/nope/grants", {"grants": []}, 404, "managerId"),
        ("/managers/forge_1/grants/0/remove", {}, 404, "grantIndex"),
        ("/managers/forge_1/jobs", {"recipeId": "nope", "owner": "p", "inventoryId": "inv"}, 404, "recipeId"),
        ("/managers/nope/jobs", {"recipeId": "iron_sword", "owner": "p", "inventoryId": "inv"}, 404, "managerId"),
        ("/managers/forge_1/jobs", {"recipeId": "iron_sword", "owner": "p", "inventoryId": "no"}, 404, "inventoryId"),
        ("/managers/forge_1/jobs", {"recipeId": "iron_sword", "owner": "", "inventoryId": "inv"}, 400, "owner"),
        ("/managers/forge_1/jobs", {"recipeId": "iron_sword", "inventoryId": "inv"}, 400, "owner"),
        (
            "/managers/forge_1/jobs",
            {
                "recipeId": "iron_sword",
                "owner": "p",
                "inventoryId": "inv",
                "repeat": True,
                "modifiers": {"timeSpeed": 0},
            },
            400,
            "repeat",
        ),
    ],
)
def test_bad_input_is_refused_with_the_field_named(
    alice: Api, path: str, body: dict[str, Any], status: int, field: str
) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10})
    refused(alice.post(base + path, json=body), status, field)
    assert items(alice, base) == {"iron_ingot": 10}, "nothing changed"


def test_worlds_are_private(alice: Api, bob: Api) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1})
    for path in ("", "/recipes", "/inventories/inv", "/owners/player1/jobs", "/owners/player1/events/stream"):
        refused(bob.get(base + path), 404, "worldId")
    refused(start(bob, base, "iron_sword"), 404, "worldId")
    refused(bob.get(f"/v1/audit/{base.rsplit('/', 1)[1]}"), 404, "aggregateId")
    assert ok(bob.get("/v1/crafting/worlds"))["worlds"] == []
    assert [w["name"] for w in ok(alice.get("/v1/crafting/worlds"))["worlds"]] == ["Forge"]
    assert items(alice, base) == {"iron_ingot": 10, "hammer": 1}


def test_worlds_are_listed_oldest_first_a_page_at_a_time(alice: Api, bob: Api) -> None:
    for name in ("First", "Second", "Third"):
        ok(alice.post("/v1/crafting/worlds", json={"name": name}), 201)

    first_two = ok(alice.get("/v1/crafting/worlds", params={"limit": 2}))
    assert [w["name"] for w in first_two["worlds"]] == ["First", "Second"] and first_two["total"] == 3
    rest = ok(alice.get("/v1/crafting/worlds", params={"limit": 2, "offset": 2}))
    assert [w["name"] for w in rest["worlds"]] == ["Third"]
    assert ok(bob.get("/v1/crafting/worlds")) == {"worlds": [], "total": 0}
    refused(alice.get("/v1/crafting/worlds", params={"limit": 1001}), 400, "limit")


def test_a_world_lists_its_first_100_inventories_and_managers_and_counts_them_all(
    alice: Api, system: Manufactory
) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 3, "hammer": 1})  # inventory inv, manager forge_1

    def more(world: World, _: float, meta: CommandMeta) -> None:
        for n in range(100):
            world.create_inventory(f"inv_{n:03}", None, {}, meta)
            world.create_manager(f"forge_{n + 2:03}", (), meta)

    in_one_command(system, alice, base, more)
    ok(start(alice, base, "iron_sword"), 201)

    world = ok(alice.get(base))
    assert (len(world["inventories"]), world["inventoryCount"]) == (100, 101)
    assert (len(world["managers"]), world["managerCount"], world["runningJobs"]) == (100, 101, 1)
    assert world["inventories"][:2] == ["inv", "inv_000"] and world["managers"][0]["runningJobs"] == 1

    managers = ok(alice.get(base + "/managers", params={"offset": 99}))
    assert [m["managerId"] for m in managers["managers"]] == ["forge_100", "forge_101"] and managers["total"] == 101
    inventories = ok(alice.get(base + "/inventories", params={"limit": 2, "offset": 99}))
    assert [i["inventoryId"] for i in inventories["inventories"]] == ["inv_098", "inv_099"]
    assert inventories["total"] == 101 and len(ok(alice.get(base + "/inventories"))["inventories"]) == 101


def test_running_jobs_are_listed_a_page_at_a_time_and_at_most_1000_by_default(alice: Api, system: Manufactory) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 3012, "hammer": 1}, forge_1=[], forge_2=[])

    def busy(world: World, now: float, meta: CommandMeta) -> None:
        world.start("forge_1", "iron_sword", "player2", "inv", now, meta)
        for _ in range(1001):
            world.start("forge_1", "iron_sword", "player1", "inv", now, meta)
        for _ in range(2):
            world.start("forge_2", "iron_sword", "player1", "inv", now, meta)

    in_one_command(system, alice, base, busy)

    owners = ok(alice.get(base + "/owners/player1/jobs"))
    assert (len(owners["jobs"]), owners["total"]) == (1000, 1003)
    assert (owners["jobs"][0]["jobId"], owners["jobs"][-1]["jobId"]) == ("forge_1#2", "forge_1#1001")
    across = ok(alice.get(base + "/owners/player1/jobs", params={"offset": 1000, "limit": 2}))
    assert [j["jobId"] for j in across["jobs"]] == ["forge_1#1002", "forge_2#1"], "then the next manager's"

    forge = ok(alice.get(base + "/managers/forge_1/jobs"))
    assert (len(forge["jobs"]), forge["total"]) == (1000, 1002)
    last = ok(alice.get(base + "/managers/forge_1/jobs", params={"offset": 1000}))
    assert [j["jobId"] for j in last["jobs"]] == ["forge_1#1001", "forge_1#1002"]
    refused(alice.get(base + "/managers/forge_1/jobs", params={"limit": 10_001}), 400, "limit")


def test_concurrent_starts_from_several_threads_never_spend_an_item_twice(alice: Api) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1})
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def one() -> None:
        barrier.wait()
        statuses.append(start(alice, base, "iron_sword").status_code)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 3 + [422] * 5
    assert items(alice, base) == {"iron_ingot": 1, "hammer": 1}
    assert len(ok(alice.get(base + "/managers/forge_1/jobs"))["jobs"]) == 3


def listen(url: str, token: str, received: queue.Queue[tuple[str, dict[str, Any]]]) -> None:
    """Collect (event, data) of an owner's event stream, in a thread (its records: not the periodic progress)."""

    def run() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        event = "message"
        with (
            contextlib.suppress(httpx.HTTPError),
            httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=30)) as response,
        ):
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event != "progress":
                    received.put((event, json.loads(line[5:])))

    threading.Thread(target=run, daemon=True).start()


@pytest.mark.slow
def test_the_real_server_streams_an_owners_job_events_and_finishes_jobs_that_ended_while_it_was_down(
    tmp_path: Path, database_url: str
) -> None:
    created = run_cli("users", "create", "smith", cwd=tmp_path, database_url=database_url)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with serving(tmp_path, database_url) as server:
        api = httpx.Client(base_url=server.url, headers=headers, timeout=10)
        world = ok(api.post("/v1/crafting/worlds", json={"name": "Live"}), 201)["world"]
        base = f"/v1/crafting/worlds/{world['id']}"
        ok(api.post(base + "/recipes", json={**SWORD, "duration": 0.3}), 201)
        ok(api.post(base + "/recipes", json={**SWORD, "id": "slow_sword", "duration": 1.0}), 201)
        ok(api.post(base + "/inventories", json={"inventoryId": "inv", "items": {"iron_ingot": 9, "hammer": 1}}), 201)
        ok(api.post(base + "/managers", json={"managerId": "forge_1"}), 201)

        received: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        listen(server.url + base + "/owners/player1/events/stream", token, received)
        assert received.get(timeout=10) == ("jobs", {"jobs": [], "total": 0, "now": pytest.approx(time.time(), abs=5)})
        ok(
            api.post(
                base + "/managers/forge_1/jobs",
                json={"recipeId": "iron_sword", "owner": "player2", "inventoryId": "inv"},
            ),
            201,
        )
        job = ok(
            api.post(
                base + "/managers/forge_1/jobs",
                json={"recipeId": "iron_sword", "owner": "player1", "inventoryId": "inv"},
            ),
            201,
        )["job"]
        event, started = received.get(timeout=5)
        assert (event, started["jobId"], started["consumed"]) == (
            "started",
            job["jobId"],
            [{"item": "iron_ingot", "quantity": 3}],
        )
        event, completed = received.get(timeout=5)
        assert (event, completed["jobId"], completed["at"]) == ("completed", job["jobId"], job["end"])
        assert completed["outputs"] == [{"item": "iron_sword", "quantity": 1}], "player2's job is not in this stream"
        slow = ok(
            api.post(
                base + "/managers/forge_1/jobs",
                json={"recipeId": "slow_sword", "owner": "player1", "inventoryId": "inv"},
            ),
            201,
        )["job"]

    time.sleep(max(0.0, slow["end"] - time.time()) + 0.2)  # it ends while the server is down
    with serving(tmp_path, database_url) as server:
        api = httpx.Client(base_url=server.url, headers=headers, timeout=10)
        deadline = time.monotonic() + 10
        while ok(api.get(base + "/inventories/inv"))["items"].get("iron_sword") != 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ok(api.get(base + "/inventories/inv"))["items"] == {"iron_sword": 3, "hammer": 1}
        trail = ok(api.get(f"/v1/audit/{world['id']}"))["events"]
        assert trail[-1]["payload"]["record"]["at"] == slow["end"], "completed at its end time, not at the restart"
