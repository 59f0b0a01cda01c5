"""``manufactory serve --workers N``: several API processes on one PostgreSQL database, each
background duty in exactly one of them, taken over when its holder dies."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import make_url

from application.connections import connections_per_process, pool_size_for, read_budget
from application.settings import Settings
from tests.support import PG_ADMIN_URL, pinned_clients, run_cli, running, serving, worker_duties

pytestmark = pytest.mark.slow
DUTIES = ["auto-production", "economics", "game-sync", "notifications", "projections"]
TAKEOVER_SEC = "2"  # a strong read waits this long for the projection, then answers 503


def register(api: httpx.Client, container_id: str) -> None:
    body = {"containerId": container_id, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"}
    created = api.post("/v1/manufacturing/containers", json=body)
    assert created.status_code == 201, created.text


def read_back(api: httpx.Client, container_id: str) -> None:
    """A strong read (the default): it sees every write acknowledged before it, or fails."""
    config = api.get(f"/v1/manufacturing/containers/{container_id}/config")
    assert config.status_code == 200, config.text
    assert config.json()["config"]["maxPipelines"] == 3


def add_ore(api: httpx.Client, world: str) -> dict[str, int]:
    """One crafting command on ``world``, through whichever process ``api`` talks to; the items after it."""
    added = api.post(f"/v1/crafting/worlds/{world}/inventories/inv/add", json={"items": {"ore": 1}})
    assert added.status_code == 200, added.text
    items: dict[str, int] = added.json()["inventory"]["items"]
    return items


def test_two_workers_read_each_others_writes_and_survive_the_duty_holder_s_sigkill(
    tmp_path: Path, postgres_url: str
) -> None:
    created = run_cli("users", "create", "operator", "--admin", cwd=tmp_path, database_url=postgres_url)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    env = {"MANUFACTORY_CONSISTENCY_TIMEOUT_SEC": TAKEOVER_SEC}
    with serving(tmp_path, postgres_url, "--workers", "2", env=env) as server:
        duties = worker_duties(server.url, token, 2, DUTIES)
        holder = next(pid for pid, held in duties.items() if "projections" in held)
        held = sorted(duty for duties_of_one in duties.values() for duty in duties_of_one)
        assert held == DUTIES, "each duty runs in exactly one process (elected one by one: they may be split)"

        with pinned_clients(server.url, token, 2) as clients:
            other = next(pid for pid in clients if pid != holder)
            register(clients[other], "written-where-projections-do-not-run")
            read_back(clients[holder], "written-where-projections-do-not-run")
            register(clients[holder], "written-where-projections-run")
            read_back(clients[other], "written-where-projections-run")
            register(clients[other], "read-where-written")
            read_back(clients[other], "read-where-written")

            world = clients[holder].post("/v1/crafting/worlds", json={"name": "moves"}).json()["world"]["id"]
            made = clients[other].post(f"/v1/crafting/worlds/{world}/inventories", json={"inventoryId": "inv"})
            assert made.status_code == 201, made.text  # the world moved to the other process
            assert add_ore(clients[holder], world) == {"ore": 1}, "and back, with what the other did"

            os.kill(holder, signal.SIGKILL)  # it holds the world: its lease runs out (1.5 s)
            register(clients[other], "written-after-the-kill")
            read_back(clients[other], "written-after-the-kill")  # 503 unless taken over within 2 s
            assert add_ore(clients[other], world) == {"ore": 2}, "the dead owner's world taken over"
            survivor = clients[other].get("/health").json()["process"]
            assert (survivor["pid"], survivor["duties"]) == (other, DUTIES)


def test_four_workers_size_their_pools_to_fit_postgresql_and_stay_within_them_under_load(
    tmp_path: Path, postgres_url: str
) -> None:
    """With the default pools four processes could open 300 connections where a stock
    PostgreSQL allows 100: reads then answered 503 (``too many clients``)."""
    created = run_cli("users", "create", "operator", "--admin", cwd=tmp_path, database_url=postgres_url)
    token = created.stdout.strip()
    budget = read_budget(Settings.from_env({"MANUFACTORY_DATABASE_URL": postgres_url}).postgres_conninfo or "")
    with psycopg.connect(PG_ADMIN_URL) as admin:
        shown = admin.execute("SHOW max_connections").fetchone()
    assert shown is not None and budget.max_connections == int(shown[0])
    size = pool_size_for(budget, 4, None)
    assert size < 20, "this test needs a database where four default pools do not fit"
    with serving(tmp_path, postgres_url, "--workers", "4") as server:
        assert f"Database pools of {size} in each server process" in server.output
        worker_duties(server.url, token, 4, DUTIES)
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api:
            register(api, "busy")
        peak = busiest_connections(server.url, token, postgres_url, clients=48, seconds=3)
    assert peak <= 4 * connections_per_process(size)


def busiest_connections(url: str, token: str, database_url: str, *, clients: int, seconds: float) -> int:
    """The most connections the server held to its database while ``clients`` threads read a
    config history (a read-model query each) as fast as they could; every answer must be 200."""
    database = make_url(database_url).database
    deadline = time.monotonic() + seconds
    peak = 0

    def read() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            while time.monotonic() < deadline:
                answer = api.get("/v1/manufacturing/containers/busy/config/history")
                assert answer.status_code == 200, answer.text

    with ThreadPoolExecutor(clients) as readers, psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        reads = [readers.submit(read) for _ in range(clients)]
        while not all(done.done() for done in reads):
            row = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()
            peak = max(peak, row[0] if row else 0)
            time.sleep(0.02)
        for done in reads:
            done.result()
    return peak


def test_pools_that_cannot_fit_postgresql_are_refused_before_anything_starts(tmp_path: Path, postgres_url: str) -> None:
    refused = run_cli(
        "serve", "--workers", "4", cwd=tmp_path, database_url=postgres_url, MANUFACTORY_DATABASE_POOL_SIZE="20"
    )
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("error: MANUFACTORY_DATABASE_POOL_SIZE=20 lets 4 server processes open up to 300")


def test_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    refused = run_cli("serve", "--workers", "2", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "--workers 2 needs PostgreSQL" in refused.stderr
    assert not (tmp_path / "var").exists(), "nothing was created"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_standalone_runner_stands_by_while_a_server_runs_its_duty_and_takes_over_when_it_dies(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """``manufactory projections run`` next to a server that runs the projections never runs
    them twice: it stands by, and takes them over when the server dies (on SQLite the lock is a
    file beside the database, on PostgreSQL an advisory lock)."""
    database_url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    created = run_cli("users", "create", "operator", "--admin", cwd=tmp_path, database_url=database_url)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    with serving(tmp_path, database_url) as server:
        assert "projections" in worker_duties(server.url, token, 1, DUTIES)[server.process.pid]
        with running(tmp_path, database_url, "projections", "run") as runner:
            assert runner.next_line() == "projections: another process runs it; standing by"
            os.kill(server.process.pid, signal.SIGKILL)
            assert runner.next_line(timeout=5) == "projections running; Ctrl-C to stop"
            with serving(tmp_path, database_url, "--no-projections") as left:
                api = httpx.Client(base_url=left.url, headers={"Authorization": f"Bearer {token}"})
                assert "projections" not in api.get("/health").json()["process"]["duties"]
                register(api, "projected-by-the-standalone-runner")
                read_back(api, "projected-by-the-standalone-runner")  # 503 if nobody applied it
