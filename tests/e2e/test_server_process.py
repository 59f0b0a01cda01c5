"""The real server process, driven over HTTP and Server-Sent Events."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import run_cli, running, serving

pytestmark = pytest.mark.slow
CID = "parallel-mfg-X1-YZ19-abc123"
CONFIG = f"/v1/manufacturing/containers/{CID}/config"


def listen(url: str, token: str, received: queue.Queue[tuple[float, dict[str, Any]]]) -> threading.Thread:
    """Collect the config stream's events with their arrival time, in a thread."""

    def run() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with (
            contextlib.suppress(httpx.HTTPError),  # the server going away ends the stream
            httpx.stream("GET", url + CONFIG + "/stream", headers=headers, timeout=httpx.Timeout(5, read=30)) as r,
        ):
            for line in r.iter_lines():
                if line.startswith("data:"):
                    received.put((time.monotonic(), json.loads(line[5:])))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def check_live_config_round_trip(url: str, token: str) -> None:
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    body = {"containerId": CID, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"}
    created = api.post("/v1/manufacturing/containers", json=body)
    assert created.status_code == 201, created.text
    api.get(CONFIG, params={"minPosition": created.json()["position"]}).raise_for_status()

    received: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
    listen(url, token, received)
    _, first = received.get(timeout=10)
    assert first["config"]["maxPipelines"] == 3, "the current config is sent on connect"
    assert (first["config"]["minBalance"], first["config"]["mode"]) == (0, "parallel_task_based")

    for pipelines in (5, 6):
        changed_at = time.monotonic()
        patch = {"maxPipelines": pipelines, "minBalance": pipelines * 1000}
        assert api.patch(CONFIG, json=patch).status_code == 200
        arrived_at, update = received.get(timeout=5)
        assert (update["config"]["maxPipelines"], update["config"]["minBalance"]) == (pipelines, pipelines * 1000)
        assert arrived_at - changed_at < 1.0, "a new config reaches a running coordinator within a second"


def test_fresh_embedded_server_prints_a_token_once_and_keeps_config_across_restarts(tmp_path: Path) -> None:
    with serving(tmp_path) as server:  # nothing set: embedded SQLite under ./var/
        token = server.printed_token
        assert token, server.output
        check_live_config_round_trip(server.url, token)
        bill = httpx.get(  # the local user starts with the sample catalog
            server.url + "/v1/production/chains/24698/materials",
            params={"me": 10},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert {m["name"]: m["quantity"] for m in bill["materials"]}["Tritanium"] == 2_520_000
    assert (tmp_path / "var" / "manufactory.sqlite").exists()

    with serving(tmp_path) as restarted:
        assert restarted.printed_token is None, "the token is printed only on the first start"
        config = httpx.get(restarted.url + CONFIG, headers={"Authorization": f"Bearer {token}"}).json()
        assert config["config"]["maxPipelines"] == 6
        assert config["version"] == 3


def test_postgres_server_with_a_standalone_projection_runner(tmp_path: Path, postgres_url: str) -> None:
    created = run_cli("users", "create", "operator", cwd=tmp_path, database_url=postgres_url)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    with (
        running(tmp_path, postgres_url, "projections", "run"),
        serving(tmp_path, postgres_url, "--no-projections") as server,
    ):
        assert server.printed_token is None, "no local user is made on PostgreSQL"
        check_live_config_round_trip(server.url, token)
        status = run_cli("projections", "status", cwd=tmp_path, database_url=postgres_url)
        assert "manufacturing" in status.stdout and status.returncode == 0


def test_cli_sets_and_shows_config_through_the_server(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        env = {"MANUFACTORY_URL": server.url, "MANUFACTORY_TOKEN": server.printed_token or ""}
        registered = run_cli(
            "manufacturing",
            "containers",
            "register",
            "--container",
            CID,
            "--system",
            "X1-YZ19",
            "--strategy",
            "prefer-fabricate",
            cwd=tmp_path,
            **env,
        )
        assert registered.returncode == 0, registered.stderr
        changed = run_cli(
            "manufacturing",
            "config",
            "set",
            "--container",
            CID,
            "--player-id",
            "12",
            "--max-pipelines",
            "5",
            "--collect-start-supply",
            "high",
            "--min-balance",
            "250000",
            "--mode",
            "sequential_task_based",
            cwd=tmp_path,
            **env,
        )
        assert changed.returncode == 0, changed.stderr
        shown = run_cli("manufacturing", "config", "show", "--container", CID, cwd=tmp_path, **env)
        assert "  Max Pipelines:        5\n" in shown.stdout
        assert "Collection Thresholds (COLLECT_SELL tasks):\n  Min Start Supply:     HIGH\n" in shown.stdout
        assert "  Min Balance:          250000\n  Mode:                 sequential_task_based" in shown.stdout
        refused = run_cli(
            "manufacturing", "config", "set", "--container", CID, "--acquire-start-supply", "lots", cwd=tmp_path, **env
        )
        assert refused.returncode == 1
        assert refused.stderr.count("\n") == 1 and "SCARCE, LIMITED, MODERATE, HIGH, ABUNDANT" in refused.stderr
        history = run_cli("manufacturing", "config", "history", "--container", CID, cwd=tmp_path, **env)
        assert "maxPipelines 3 -> 5" in history.stdout


def test_cli_plans_a_rifter_run_and_lists_its_job_through_the_server(tmp_path: Path) -> None:
    with serving(tmp_path) as server:  # the local user has the sample catalog: Rifter 587
        env = {"MANUFACTORY_URL": server.url, "MANUFACTORY_TOKEN": server.printed_token or ""}
        created = run_cli("plans", "create", "587", "--name", "Rifters", "--station", "60003760", cwd=tmp_path, **env)
        assert created.returncode == 0, created.stderr
        plan_id = created.stdout.split()[1]
        generated = run_cli("plans", "generate", plan_id, "3", cwd=tmp_path, **env)
        assert generated.returncode == 0, generated.stderr
        # Rifter at ME 10: 3 runs x 32,000 Tritanium x 0.9 = 86,400 (the game's real numbers)
        assert "1 jobs, 0 hauls" in generated.stdout and "buy 86400 x 34 (no_recipe)" in generated.stdout
        jobs = run_cli("jobs", "list", "--status", "planned", cwd=tmp_path, **env)
        assert "Rifter" in jobs.stdout and " 3 " in jobs.stdout
        missing = run_cli("plans", "generate", plan_id, "0", cwd=tmp_path, **env)
        assert missing.returncode != 0 and missing.stderr.startswith(
            "error: 400 invalid_input (quantity): quantity must be a whole number"
        )
        assert len(missing.stderr.strip().splitlines()) == 1
