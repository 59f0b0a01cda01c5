"""The console's crafting worlds pages: the worlds the API lists, and a world's running jobs with
their progress, its managers with their grants, its inventories and recipes, as the API's
queries answer them; another user's world is the same 404 page as a missing one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from application.system import Manufactory
from domain.crafting_world import World
from domain.events import CommandMeta
from tests.conftest import Api
from tests.integration.test_api_crafting import FORGE_LVL_3, SWORD, Clock, in_one_command, new_world, ok, start
from tests.integration.test_console_pages import row, signed_in
from tests.support import sqlite_database_url  # noqa: F401 - the module's database_url


@pytest.fixture
def clock(system: Manufactory) -> Clock:
    clock = Clock()
    system.crafting.clock = clock
    return clock


def test_the_worlds_page_lists_each_world_with_what_it_holds(alice: Api, client: TestClient[Any], clock: Clock) -> None:
    signed_in(client, alice)
    assert "No crafting worlds yet" in client.get("/crafting").text
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1})
    ok(start(alice, base, "iron_sword"), 201)
    world_id = base.rsplit("/", 1)[1]
    page = client.get("/crafting")
    assert page.status_code == 200 and 'aria-current="page">Crafting' in page.text
    listed = row(page.text, f"world-{world_id}")
    assert f'href="/crafting/{world_id}"' in listed and ">Forge</a>" in listed
    assert [cell.split("<")[0] for cell in listed.split('<td class="num">')[1:5]] == ["1", "1", "1", "1"]


def test_a_worlds_page_shows_jobs_with_their_progress_managers_inventories_and_recipes(
    alice: Api, client: TestClient[Any], clock: Clock
) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1}, forge_1=[FORGE_LVL_3])
    ok(start(alice, base, "iron_sword"), 201)  # 3.5 s with the forge's grant
    clock.now += 1.4
    world_id = base.rsplit("/", 1)[1]
    signed_in(client, alice)
    page = client.get(f"/crafting/{world_id}")
    assert page.status_code == 200
    job = row(page.text, "job-forge_1#1")
    assert 'value="0.400"' in job and "40%" in job and "player1" in job and "iron_sword" in job
    assert "Forge Lvl 3: inputs ×0.85" in row(page.text, "manager-forge_1")
    inventory = row(page.text, "inventory-inv")
    assert "iron_ingot × 7" in inventory and "hammer × 1" in inventory and "unlimited" in inventory
    assert "hammer × 1 (tool)" in row(page.text, "recipe-iron_sword")
    assert f'data-stream="/crafting/{world_id}/stream"' in page.text and "/static/crafting.js" in page.text

    clock.now += 2.1
    ok(alice.post(base + "/catch-up"))
    sections = client.get(f"/crafting/{world_id}/sections").text
    assert "No jobs running" in sections and "iron_sword × 1" in row(sections, "inventory-inv")


def test_the_pages_list_the_first_200_worlds_jobs_and_inventories_and_count_them_all(
    alice: Api, client: TestClient[Any], clock: Clock, system: Manufactory
) -> None:
    for n in range(200):
        system.crafting.create_world(f"World {n:03}", 1, CommandMeta(user_id=alice.user_id, correlation_id="w"))
    base = new_world(alice, SWORD, items={"iron_ingot": 603, "hammer": 1})  # the 201st world

    def busy(world: World, now: float, meta: CommandMeta) -> None:
        for n in range(200):
            world.create_inventory(f"inv_{n:03}", None, {}, meta)
        for n in range(100):
            world.create_manager(f"forge_{n + 2:03}", (), meta)
        for _ in range(201):
            world.start("forge_1", "iron_sword", "player1", "inv", now, meta)

    in_one_command(system, alice, base, busy)
    world_id = base.rsplit("/", 1)[1]
    signed_in(client, alice)

    worlds = client.get("/crafting").text
    assert worlds.count('<tr id="world-') == 200 and f"world-{world_id}" not in worlds, "the oldest 200"
    assert '<span class="count">201</span>' in worlds and "GET /v1/crafting/worlds?offset=200" in worlds

    page = client.get(f"/crafting/{world_id}").text
    assert page.count('<tr id="job-') == 200 and 'id="job-forge_1#200"' in page and "job-forge_1#201" not in page
    assert page.count('<tr id="inventory-') == 200 and f"/v1/crafting/worlds/{world_id}/inventories?offset=200" in page
    assert page.count('<tr id="manager-') == 100 and f"/v1/crafting/worlds/{world_id}/managers?offset=100" in page
    assert page.count('<span class="count">201</span>') == 2 and '<span class="count">101</span>' in page
    assert "/managers/{id}/jobs</code>" in page, "where the other running jobs are"


def test_another_users_world_is_the_same_404_as_a_missing_one(alice: Api, bob: Api, client: TestClient[Any]) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10})
    world_id = base.rsplit("/", 1)[1]
    signed_in(client, bob)
    assert world_id not in client.get("/crafting").text
    for path in (f"/crafting/{world_id}", f"/crafting/{world_id}/sections", f"/crafting/{uuid.uuid4()}"):
        answer = client.get(path)
        assert answer.status_code == 404 and "No such crafting world of yours" in answer.text
    assert client.get(f"/crafting/{world_id}/stream").status_code == 404


def test_the_pages_need_a_session(alice: Api, client: TestClient[Any]) -> None:
    world_id = new_world(alice, SWORD, items={"iron_ingot": 10}).rsplit("/", 1)[1]
    for path in ("/crafting", f"/crafting/{world_id}", f"/crafting/{world_id}/stream"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/sign-in"
