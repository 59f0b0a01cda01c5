"""``manufactory serve --workers N``: several API processes on one PostgreSQL database, each
background duty in exactly one of them, taken over when its holder dies."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.support import pinned_clients, run_cli, running, serving, worker_duties

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
