"""Leak nothing: another user's ids answer as ids never used, user ids cannot be computed
from names, token hashes never leave the store, tokens can be listed, revoked and expire,
/health shows its internals to admins only, and an unreachable database is a 503."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest
from alembic import command
from eventsourcing.persistence import StoredEvent
from litestar.testing import TestClient
from sqlalchemy import select

from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from application.settings import Settings
from application.system import Manufactory
from domain.errors import Conflict
from domain.events import CommandMeta
from domain.users import hash_token, legacy_token_id, name_claim_id
from interfaces.http import context
from interfaces.http.app import create_app
from interfaces.http.context import TokenCache
from projections.database import write_transaction
from projections.schema import _alembic_config
from projections.users import TOKEN_USAGE
from tests.conftest import Api
from tests.support import PG_ADMIN_URL, run_cli

CONTAINERS = "/v1/manufacturing/containers"


def register_container(api: Api, container_id: str = "mfg-1") -> dict[str, Any]:
    body = {"containerId": container_id, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"}
    response = api.post(CONTAINERS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def answer(response: Any) -> tuple[int, bytes, dict[str, str]]:
    """Everything a client sees of a response (but the date)."""
    headers = {name: value for name, value in response.headers.items() if name.lower() != "date"}
    return response.status_code, response.content, headers


# ------------------------------------------------------------------ another user's ids


def test_audit_of_another_users_aggregate_answers_exactly_as_a_random_id(alice: Api, bob: Api) -> None:
    container = register_container(alice)["aggregateId"]
    unknown = answer(bob.get(f"/v1/audit/{uuid.uuid4()}"))
    assert unknown[0] == 404
    for theirs in (container, alice.user_id, name_claim_id("alice")):
        assert answer(bob.get(f"/v1/audit/{theirs}")) == unknown
        assert answer(bob.get(f"/v1/audit/{theirs}", params={"version": 1})) == answer(
            bob.get(f"/v1/audit/{uuid.uuid4()}", params={"version": 1})
        )
    assert alice.get(f"/v1/audit/{container}").status_code == 200


# Bodies that get past validation, so a route reaches the lookup of the id in its path.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("patch", "/v1/industry/plans/{plan_id}"): {"name": "x"},
    ("post", "/v1/industry/plans/{plan_id}/steps"): {"parentStepId": 1, "productTypeId": 34},
    ("patch", "/v1/industry/plans/{plan_id}/steps/{step_id}"): {"meLevel": 1},
    ("patch", "/v1/industry/plans/{plan_id}/steps"): {"steps": [{"stepId": 1, "meLevel": 1}]},
    ("put", "/v1/industry/plans/{plan_id}/steps/{step_id}/materials/{type_id}"): {"source": "buy"},
    ("post", "/v1/industry/plans/{plan_id}/generate"): {"quantity": 1},
    ("post", "/v1/industry/plans/{plan_id}/preview"): {"quantity": 1},
    ("put", "/v1/industry/jobs/{job_id}/character"): {"characterId": 1},
    ("post", "/v1/crafting/worlds/{world_id}/recipes"): {
        "id": "a",
        "category": "c",
        "duration": 1,
        "inputs": [],
        "outputs": [{"item": "x", "quantity": 1}],
    },
    ("post", "/v1/crafting/worlds/{world_id}/recipe-imports"): {"format": 1, "recipes": []},
    ("post", "/v1/crafting/worlds/{world_id}/inventories"): {"inventoryId": "i", "items": {}},
    ("post", "/v1/crafting/worlds/{world_id}/inventories/{inventory_id}/add"): {"items": {"x": 1}},
    ("post", "/v1/crafting/worlds/{world_id}/inventories/{inventory_id}/remove"): {"items": {"x": 1}},
    ("post", "/v1/crafting/worlds/{world_id}/managers"): {"managerId": "m"},
    ("post", "/v1/crafting/worlds/{world_id}/managers/{manager_id}/jobs"): {
        "recipeId": "a",
        "owner": "o",
        "inventoryId": "i",
    },
    ("post", "/v1/crafting/worlds/{world_id}/managers/{manager_id}/jobs/{seq}/cancel"): {"refund": "full"},
    ("post", "/v1/crafting/worlds/{world_id}/managers/{manager_id}/grants"): {"grants": []},
}
OTHER_PATH_VALUES = {
    "step_id": "1",
    "type_id": "34",
    "seq": "1",
    "grant_index": "0",
    "character_id": "1",
    "token_id": None,
}


def test_every_route_answers_another_users_ids_as_ids_never_used(
    system: Manufactory, client: TestClient[Any], alice: Api, bob: Api
) -> None:
    for user in (alice, bob):
        meta = CommandMeta(user_id=user.user_id, correlation_id="sample")
        system.catalogs.import_catalog(read_catalog(SAMPLE_CATALOG), "sample", meta)
    system.projections.catch_up()
    plan_id = alice.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": 587}).json()["aggregateId"]
    run = alice.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 1}).json()
    marker = alice.post("/v1/stockpiles", json={"typeId": 587, "locationId": 60003760, "desiredQuantity": 5}).json()
    alices = {
        "plan_id": plan_id,
        "run_id": run["run"]["id"],
        "job_id": run["created"][0]["id"],
        "marker_id": marker["marker"]["id"],
        "world_id": alice.post("/v1/crafting/worlds", json={"name": "W"}).json()["world"]["id"],
        "aggregate_id": plan_id,
        "token_id": alice.get("/v1/me/tokens").json()["tokens"][0]["tokenId"],
    }
    system.projections.catch_up()
    compared = 0
    for path, operations in client.get("/schema/openapi.json").json()["paths"].items():
        names = [part.strip("{}") for part in path.split("/") if part.startswith("{")]
        if not set(names) & set(alices) or path.endswith("/stream"):
            continue
        for method in operations:

            def request(ids: dict[str, str], path: str = path, method: str = method, names: list[str] = names) -> Any:
                url = path
                for name in names:
                    url = url.replace(f"{{{name}}}", ids.get(name) or OTHER_PATH_VALUES.get(name) or "x")
                body = BODIES.get((method, path), {} if method in ("post", "put", "patch") else None)
                params = {"region_id": 10000002} if path.endswith("make-or-buy") else {}
                if body is None:
                    return getattr(bob, method)(url, params=params)
                return getattr(bob, method)(url, params=params, json=body)

            theirs = answer(request(alices))
            assert theirs == answer(request({name: str(uuid.uuid4()) for name in alices})), (method, path)
            assert theirs[0] == 404, (method, path, theirs)
            compared += 1
    assert compared >= 39  # every route of plans, runs, jobs, markers, worlds, audit and tokens


def test_user_ids_are_random_and_names_stay_unique_in_any_case(system: Manufactory) -> None:
    alice = system.users.create_user("alice")
    assert alice.user_id != name_claim_id("alice"), "nobody can compute alice's id from her name"
    assert system.users.user_id("ALICE") == alice.user_id
    with pytest.raises(Conflict, match="user 'Alice' already exists"):
        system.users.create_user("Alice")


def test_concurrent_creates_of_one_name_in_two_processes_make_one_user(settings: Settings) -> None:
    with Manufactory.open(settings) as first, Manufactory.open(settings, migrate_schema=False) as second:
        outcomes: list[object] = []
        start = threading.Barrier(8)

        def create(system: Manufactory) -> None:
            start.wait()
            try:
                outcomes.append(system.users.create_user("carol").user_id)
            except Conflict as refused:
                outcomes.append(refused)

        threads = [threading.Thread(target=create, args=(s,)) for s in [first, second] * 4]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        created = [outcome for outcome in outcomes if isinstance(outcome, uuid.UUID)]
        assert len(created) == 1 and len(outcomes) == 8
        assert first.users.user_id("carol") == second.users.user_id("carol") == created[0]


# ------------------------------------------------------------------ an upgraded database


def _legacy_user(system: Manufactory, name: str, token: str) -> uuid.UUID:
    """A user as recorded before ids were random (id from the name, a v1 event with the hash);
    the read models are made from it when the upgraded database starts."""
    user_id = name_claim_id(name)
    registered = {
        "class_version": 1,
        "originator_id": str(user_id),
        "originator_version": 1,
        "timestamp": "2026-11-30T12:00:00+00:00",
        "meta": {"user_id": str(user_id), "correlation_id": "legacy", "causation_id": None},
        "name": name,
        "token_hash": hash_token(token),
    }
    stored = StoredEvent(user_id, 1, "domain.users:UserRegistered", msgspec.json.encode(registered))
    system.store.recorder.insert_events([stored])
    return user_id


def _migrate(system: Manufactory, revision: str) -> None:
    config = _alembic_config()
    with write_transaction(system.read_engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_an_upgraded_database_keeps_its_users_their_tokens_and_what_they_own(settings: Settings) -> None:
    token = "mf_legacy-token-of-alice-0123456789"
    with Manufactory.open(settings, migrate_schema=False) as old:
        _migrate(old, "0009-1")  # the schema before this change
        alice_id = _legacy_user(old, "alice", token)
        meta = CommandMeta(user_id=alice_id, correlation_id="legacy")
        old.containers.register("mfg-1", "X1-YZ19", "prefer-fabricate", {}, meta)
    with Manufactory.open(settings) as system, TestClient(create_app(system)) as client:
        system.projections.catch_up()  # the read models, made at start-up, apply the old events
        alice = Api(client, token, alice_id)
        assert system.users.user_id("alice") == alice_id
        listed = alice.get(CONTAINERS, params={"minPosition": system.store.head()})
        assert [c["containerId"] for c in listed.json()["containers"]] == ["mfg-1"]
        (mine,) = alice.get("/v1/me/tokens").json()["tokens"]
        assert mine["tokenId"] == str(legacy_token_id(hash_token(token)))
        trail = alice.get(f"/v1/audit/{alice_id}").text
        assert hash_token(token) not in trail and "tokenHash" not in trail and '"name":"alice"' in trail
        with pytest.raises(Conflict):
            system.users.create_user("Alice")
        system.projections.rebuild("users")
        client.app.state.token_cache.clear()
        assert alice.get("/v1/me/tokens").json()["tokens"] == [mine]


# ------------------------------------------------------------------ tokens


def test_token_hashes_never_appear_in_audit(system: Manufactory, alice: Api) -> None:
    second = system.users.issue_token(alice.user_id, CommandMeta(user_id=alice.user_id, correlation_id="t"))
    for params in ({}, {"version": 1}, {"version": 2}):
        response = alice.get(f"/v1/audit/{alice.user_id}", params=params)
        assert response.status_code == 200
        for secret in (hash_token(alice.token), hash_token(second.token), "tokenHash"):
            assert secret not in response.text
    assert str(second.token_id) in response.text


def test_tokens_are_listed_and_revoked_at_once(system: Manufactory, alice: Api, bob: Api) -> None:
    second = system.users.issue_token(alice.user_id, CommandMeta(user_id=alice.user_id, correlation_id="t"))
    system.projections.catch_up("users")
    other = Api(alice.client, second.token, alice.user_id)
    assert other.get(CONTAINERS).status_code == 200  # now cached
    tokens = alice.get("/v1/me/tokens").json()["tokens"]
    assert [t["tokenId"] for t in tokens][0] == str(second.token_id)  # newest first
    assert set(tokens[0]) == {"tokenId", "issuedAt", "expiresAt", "lastUsedAt"}
    assert hash_token(second.token) not in alice.get("/v1/me/tokens").text

    bobs = bob.get("/v1/me/tokens").json()["tokens"][0]["tokenId"]
    assert answer(alice.delete(f"/v1/me/tokens/{bobs}")) == answer(alice.delete(f"/v1/me/tokens/{uuid.uuid4()}"))
    assert bob.get(CONTAINERS).status_code == 200

    revoked = alice.delete(f"/v1/me/tokens/{second.token_id}")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = other.get(CONTAINERS)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert [t["tokenId"] for t in alice.get("/v1/me/tokens").json()["tokens"]] == [tokens[1]["tokenId"]]
    assert alice.delete(f"/v1/me/tokens/{second.token_id}").status_code == 404


def test_tokens_are_listed_a_page_at_a_time_newest_first(system: Manufactory, alice: Api) -> None:
    meta = CommandMeta(user_id=alice.user_id, correlation_id="t")
    issued = [system.users.issue_token(alice.user_id, meta) for _ in range(2)]
    system.projections.catch_up("users")
    everything = [t["tokenId"] for t in alice.get("/v1/me/tokens").json()["tokens"]]
    assert everything[:2] == [str(issued[1].token_id), str(issued[0].token_id)] and len(everything) == 3

    def page(**params: int) -> list[str]:
        return [t["tokenId"] for t in alice.get("/v1/me/tokens", params=params).json()["tokens"]]

    assert page(limit=2) == everything[:2] and page(limit=2, offset=2) == everything[2:]
    assert alice.get("/v1/me/tokens", params={"limit": 10_001}).status_code == 400  # past the cap


def test_a_token_revoked_through_another_process_stops_within_the_cache_ttl(settings: Settings, alice: Api) -> None:
    short = Settings(database_url=settings.database_url, projection_poll_sec=0.05, token_cache_ttl_sec=0.2)
    with Manufactory.open(short, migrate_schema=False) as elsewhere, TestClient(create_app(elsewhere)) as client:
        there = Api(client, alice.token, alice.user_id)
        assert there.get(CONTAINERS).status_code == 200
        (token,) = alice.get("/v1/me/tokens").json()["tokens"]
        assert alice.delete(f"/v1/me/tokens/{token['tokenId']}").status_code == 200
        waited = 0
        while there.get(CONTAINERS).status_code == 200 and waited < 200:
            threading.Event().wait(0.05)
            waited += 1
        assert there.get(CONTAINERS).status_code == 401


def test_a_token_in_steady_use_is_read_again_in_the_background_not_by_a_request(
    settings: Settings, alice: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Manufactory.open(settings, migrate_schema=False) as elsewhere, TestClient(create_app(elsewhere)) as client:
        now = [0.0]  # the cache's clock, moved by hand: a loaded machine must not let the entry run out
        client.app.state.token_cache = TokenCache(ttl_sec=10.0, clock=lambda: now[0])
        there = Api(client, alice.token, alice.user_id)
        assert there.get(CONTAINERS).status_code == 200  # its holder read and cached
        release, reading, read = threading.Event(), threading.Event(), threading.Event()
        look_up = context.token_holder

        def held(connection: Any, token_hash: str) -> Any:
            reading.set()
            release.wait(10)
            read.set()
            return look_up(connection, token_hash)

        monkeypatch.setattr(context, "token_holder", held)
        now[0] = 6.0  # past half the TTL, within it
        assert there.get(CONTAINERS).status_code == 200  # answered from the cache...
        assert reading.wait(5) and not read.is_set()  # ...while the holder is read again
        release.set()
        assert read.wait(5)


def test_an_expired_token_is_refused_saying_so(system: Manufactory, client: TestClient[Any]) -> None:
    issued = system.users.create_user("dora", expires_in=timedelta(microseconds=1))
    system.projections.catch_up("users")
    response = client.get(CONTAINERS, headers={"Authorization": f"Bearer {issued.token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_last_used_is_written_at_most_once_a_minute_per_token(system: Manufactory, alice: Api) -> None:
    def last_used() -> list[Any]:
        with system.query_engine.connect() as connection:
            return list(connection.execute(select(TOKEN_USAGE.c.last_used_at)).scalars())

    assert alice.get(CONTAINERS).status_code == 200
    first = last_used()
    for _ in range(3):
        alice.get(CONTAINERS)
    assert len(first) == 1 and last_used() == first
    assert alice.get("/v1/me/tokens").json()["tokens"][0]["lastUsedAt"] is not None


# ------------------------------------------------------------------ health


def test_health_shows_its_details_to_admins_only(system: Manufactory, client: TestClient[Any], alice: Api) -> None:
    for headers in ({}, alice.headers, {"Authorization": "Bearer mf_nope"}):
        assert client.get("/health", headers=headers).json() == {"status": "ok"}
    meta = CommandMeta(user_id=alice.user_id, correlation_id="t")
    system.users.set_admin(alice.user_id, True, meta)
    admin_token = system.users.issue_token(alice.user_id, meta).token  # the old one is cached as it was
    system.projections.catch_up("users")
    details = client.get("/health", headers={"Authorization": f"Bearer {admin_token}"}).json()
    assert details["database"] == "ok" and {p["name"] for p in details["projections"]} >= {"users"}


def test_admins_and_tokens_from_the_command_line(tmp_path: Path, sqlite_url: str) -> None:
    def cli(*args: str) -> str:
        result = run_cli("users", *args, cwd=tmp_path, database_url=sqlite_url)
        assert result.returncode == 0, result.stderr
        return result.stdout

    cli("create", "root", "--admin")
    cli("token", "root", "--expires-in", "30d")
    listed = cli("tokens", "root").splitlines()[1:]
    assert len(listed) == 2 and not listed[0].endswith("never") and listed[1].endswith("never")  # newest first
    cli("revoke", "root", listed[1].split()[0])
    assert [line.split()[0] for line in cli("tokens", "root").splitlines()[1:]] == [listed[0].split()[0]]
    assert cli("list").split()[-1] == "admin"
    cli("revoke-admin", "root")
    assert "admin" not in cli("list")
    bad = run_cli("users", "token", "root", "--expires-in", "soon", cwd=tmp_path, database_url=sqlite_url)
    assert bad.returncode == 2 and "30d" in bad.stderr


# ------------------------------------------------------------------ database unreachable


@contextmanager
def postgres_refusing_connections(database_url: str) -> Iterator[None]:
    """No new connections to the test database, and its open ones terminated."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@contextmanager
def sqlite_files_gone(system: Manufactory, directory: Path) -> Iterator[None]:
    """The database files' directory moved away, and the pooled connections closed."""
    system.read_engine.dispose()
    moved = directory.with_name(directory.name + "-gone")
    os.rename(directory, moved)
    try:
        yield
    finally:
        os.rename(moved, directory)


def test_an_unreachable_database_is_a_503_with_retry_after(system: Manufactory, settings: Settings, alice: Api) -> None:
    register_container(alice)
    if settings.is_sqlite:
        unreachable = sqlite_files_gone(system, settings.sqlite_path.parent)
    else:
        unreachable = postgres_refusing_connections(settings.database_url)
    with unreachable:
        stranger = Api(alice.client, "mf_x", alice.user_id)  # its token is not cached
        for response in (alice.get(CONTAINERS), alice.get("/v1/me/tokens"), stranger.get(CONTAINERS)):
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "5"
            assert response.json() == {
                "error": "database_unavailable",
                "detail": "the database cannot be reached just now; retry shortly",
                "field": None,
            }
        if settings.is_sqlite:  # the event store's pool on PostgreSQL retries for long before it gives up
            health = alice.client.get("/health")
            assert health.status_code == 503 and health.headers["Retry-After"] == "5"
            assert health.json() == {"status": "unavailable"}
    assert alice.get(CONTAINERS).status_code == 200
