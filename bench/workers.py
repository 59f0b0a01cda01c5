"""Several API processes on one PostgreSQL database: throughput with 1, 2 and 4 workers as
ratios to one, read-your-writes across processes, and how long a dead duty holder's duties
take to move, in one run.

    .venv/bin/python -m bench.workers [--seconds 5] [--concurrency 16] [--workers 1 2 4] [--pool-size 6]

On a fresh PostgreSQL database (dropped afterwards) a user gets ``--concurrency`` containers;
then for each worker count, ``manufactory serve --workers N`` as a real process, once every
worker answers and every duty is held:

- commands: config updates/s (PATCH, one container per client, ``--concurrency`` keep-alive
  clients, which the kernel spreads over the processes as it accepts them);
- queries: config reads/s with read-your-writes (the default ``consistency=strong``);
- read-your-writes across processes: one client pinned to each worker; a config update through
  one, then a strong read of it through another (the first write's process does or does not
  run the projections), the read's latency (p50 and p95 of 40 pairs; with one worker the same
  client writes and reads).

Then, with 2 workers, the process holding the duties is killed (SIGKILL) and the survivor's
``/health`` is polled until it holds them (takeover), and a config update written through it
after the kill is read back (visible), both timed from the kill; best and worst of three kills
(uvicorn's supervisor replaces each killed worker; the next kill waits until it answers).
Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import load, request_bytes
from bench.run import RESULTS, best_of, prepare, say
from domain.events import CommandMeta
from tests.support import fresh_postgres_database, pinned_clients, serving, worker_duties

DUTIES = ["auto-production", "economics", "game-sync", "notifications", "projections"]
PAIRS = 40
KILLS = 3
READY_SEC = 120.0  # four workers starting on a loaded 2-core machine take a while


def patch_body(value: int) -> dict[str, int]:
    return {"maxWorkers": 7 + value % 2}


def throughput(port: int, token: str, concurrency: int, seconds: float) -> tuple[float, float]:
    """Config updates/s and strong config reads/s answered 2xx, the best of two runs each."""
    flips: dict[int, int] = {}

    def patch(client: int, number: int) -> bytes:
        flips[client] = flips.get(client, 0) + 1
        body = json.dumps(patch_body(flips[client])).encode()
        return request_bytes("PATCH", f"/v1/manufacturing/containers/c{client}/config", token, body)

    def read(client: int, number: int) -> bytes:
        return request_bytes("GET", f"/v1/manufacturing/containers/c{client}/config", token)

    load(port, patch, concurrency=concurrency, seconds=1)  # warm-up
    rates: dict[str, list[float]] = {"commands": [], "queries": []}
    for _ in range(2):
        for name, make in (("commands", patch), ("queries", read)):
            result = load(port, make, concurrency=concurrency, seconds=seconds)
            if result.ok() != result.requests:  # counted, not fatal: the write-up says what they were
                say(f"  {name}: answers other than 2xx: {result.statuses}")
            rates[name].append(result.ok() / result.seconds)
    return best_of(rates["commands"]), best_of(rates["queries"])


def read_after_write_ms(clients: dict[int, httpx.Client]) -> dict[str, float]:
    """The latency of a strong read of a write just made through another process (p50, p95)."""
    pids = list(clients)
    latencies = []
    for n in range(PAIRS):
        writer = pids[n % len(pids)]
        reader = next((pid for pid in pids if pid != writer), writer)
        path = f"/v1/manufacturing/containers/c{n % 4}/config"
        clients[writer].patch(path, json={"maxWorkers": 1 + n % 50}).raise_for_status()  # a change: an event
        started = time.perf_counter()
        clients[reader].get(path).raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {"p50_ms": statistics.median(latencies), "p95_ms": latencies[int(len(latencies) * 0.95) - 1]}


def takeover(url: str, token: str) -> dict[str, float]:
    """SIGKILL the duty holder; seconds until the survivor holds its duties, and until a write
    through the survivor after the kill is read back through it."""
    held, visible = [], []
    for _ in range(KILLS):
        duties = worker_duties(url, token, 2, DUTIES, timeout=READY_SEC)
        holder = next(pid for pid, names in duties.items() if "projections" in names)
        with pinned_clients(url, token, 2) as clients:
            survivor = clients[next(pid for pid in clients if pid != holder)]
            killed_at = time.perf_counter()
            os.kill(holder, signal.SIGKILL)
            survivor.patch("/v1/manufacturing/containers/c0/config", json={"maxPipelines": 4}).raise_for_status()
            survivor.get("/v1/manufacturing/containers/c0/config").raise_for_status()
            visible.append(time.perf_counter() - killed_at)
            while survivor.get("/health").json()["process"]["duties"] != DUTIES:
                time.sleep(0.01)
            held.append(time.perf_counter() - killed_at)
    return {
        "holds_duties_sec_best": min(held),
        "holds_duties_sec_worst": max(held),
        "write_visible_sec_best": min(visible),
        "write_visible_sec_worst": max(visible),
    }


def workers(worker_counts: list[int], seconds: float, concurrency: int, pool_size: int | None) -> dict[str, Any]:
    results: dict[str, Any] = {"cores": os.cpu_count(), "pool_size": pool_size, "by_workers": {}}
    env = {"MANUFACTORY_DATABASE_POOL_SIZE": str(pool_size)} if pool_size else {}
    with fresh_postgres_database() as url:
        system, token, user_id = prepare(url, concurrency)
        meta = CommandMeta(user_id=user_id, correlation_id="bench")
        system.users.set_admin(user_id, True, meta)  # its /health names the process that answers
        system.projections.catch_up()
        system.close()
        for count in worker_counts:
            with (
                tempfile.TemporaryDirectory() as cwd,
                serving(Path(cwd), url, "--workers", str(count), env=env, ready_sec=READY_SEC) as server,
            ):
                worker_duties(server.url, token, count, DUTIES, timeout=READY_SEC)
                port = int(server.url.rsplit(":", 1)[1])
                commands, queries = throughput(port, token, concurrency, seconds)
                with pinned_clients(server.url, token, min(count, 2)) as clients:
                    latency = read_after_write_ms(clients)
                if count == 2:
                    results["takeover"] = takeover(server.url, token)
                    say(f"  takeover after SIGKILL: {json.dumps(results['takeover'])}")
            results["by_workers"][count] = {"commands_per_sec": commands, "queries_per_sec": queries, **latency}
            say(
                f"  {count} worker(s): {commands:.0f} updates/s, {queries:.0f} strong reads/s; read after a write "
                f"elsewhere p50 {latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms"
            )
    one = results["by_workers"][worker_counts[0]]
    for outcome in results["by_workers"].values():
        outcome["commands_ratio"] = outcome["commands_per_sec"] / one["commands_per_sec"]
        outcome["queries_ratio"] = outcome["queries_per_sec"] / one["queries_per_sec"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured load run")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts, the first the base")
    parser.add_argument(
        "--pool-size", type=int, default=None, help="MANUFACTORY_DATABASE_POOL_SIZE of each worker (default: its own)"
    )
    args = parser.parse_args()
    results = workers(args.workers, args.seconds, args.concurrency, args.pool_size)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "workers.json").write_text(json.dumps(results, indent=2))
    say(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
