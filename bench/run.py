"""Manufactory's benchmarks, reported as ratios against a baseline measured in the same run.

    .venv/bin/python -m bench.run [--backend sqlite|postgres|both] [--seconds 5]

- command path: HTTP config updates/s through the real server vs raw eventsourcing saves/s
  of the same event (goal >= 0.6);
- projection rebuild: events/s applied by a rebuild vs reading and decoding the same
  notifications without applying them, with the library's ``select_notifications`` (goal >=
  0.5); beside it, the same against the plain rows the rebuild itself reads
  (``application.log_rows``), i.e. what applying and writing cost on top of its own read;
- query path: config reads/s (read-your-writes, the default) vs a trivial JSON endpoint of the
  same server (goal >= 0.5); the same reads with ``consistency=eventual`` beside them;
- chains: an SDE-sized synthetic catalog (50,000 types, 10,000 manufacturable, depth 6):
  import and chain build time and memory; the materials of the deepest item from the cached
  graph vs recomputed from the raw recipes per request (goal >= 20x); the materials endpoint
  over HTTP (requests/s and latency).
- economics: full recomputation of ~10,000 products in 5 regions, and the opportunities
  query's requests/s (``bench/economics.py``), plus the storage a 15,000-item batch costs.
- shared: one shared SDE-sized catalog followed by 1, 10 and 100 users with overlays: disk and
  server memory per user, and chain queries of a follower vs a private catalog's
  (``bench/shared_catalog.py``).
- shared-economics: the Nth user's economics (rows stored, updater time) following the shared
  catalog and shared market data vs a private import with the same prices
  (``bench/economics.py``'s ``shared_economics``).
- versions: what a new catalog version changing one recipe costs the catalog projection, only
  the chains it touched recomputed against every chain (``bench/catalog_versions.py``).

Results go to stdout and bench/results/latest.json; BENCHMARKS.md has the write-up.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from application.mapper import decode_event
from application.settings import Settings
from application.system import Manufactory
from bench.catalog_versions import catalog_versions
from bench.economics import economics, shared_economics
from bench.loadgen import RequestFactory, load, request_bytes
from bench.shared_catalog import shared_catalog
from bench.synthetic_catalog import deepest_item, synthetic_catalog
from domain.catalog.chains import BillOfMaterials, ProductionGraph, StepSettings
from domain.catalog.model import Recipe
from domain.events import CommandMeta
from domain.manufacturing.container import Container, container_aggregate_id
from projections.catalog import all_recipes, recipes_with
from tests.support import fresh_database, serving

RESULTS = Path(__file__).parent / "results"


def say(message: str) -> None:
    print(message, flush=True)


def prepare(url: str, containers: int) -> tuple[Manufactory, str, uuid.UUID]:
    system = Manufactory.open(Settings(database_url=url))
    issued = system.users.create_user("bench")
    meta = CommandMeta(user_id=issued.user_id, correlation_id="bench")
    for n in range(containers):
        system.containers.register(f"c{n}", "X1-YZ19", "prefer-fabricate", {}, meta)
    system.projections.catch_up()
    return system, issued.token, issued.user_id


def best_of(rounds: list[float]) -> float:
    return statistics.median(rounds)


# ----------------------------------------------------------------------- command path


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``)."""
    return cpu_seconds(Path(f"/proc/{pid}/stat"))


def cpu_seconds(stat: Path) -> float:
    """User + system CPU time so far of the process or thread whose ``stat`` file this is."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_saves(system: Manufactory, user_id: uuid.UUID, containers: int, seconds: float) -> tuple[float, float]:
    """The same ConfigChanged event, saved with the library alone: no HTTP, no loading.
    Returns saves/s and the CPU microseconds each took (this process's CPU time)."""
    meta = CommandMeta(user_id=user_id, correlation_id="bench")
    aggregates = [system.store.load(container_aggregate_id(user_id, f"c{n}"), Container) for n in range(containers)]
    saves = 0
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        aggregate = aggregates[saves % containers]
        aggregate.change_config({"max_workers": 5 + (aggregate.version % 2)}, meta)
        system.store.save(aggregate)
        saves += 1
    return saves / (time.perf_counter() - started), (time.process_time() - cpu) * 1e6 / saves


def config_updates(token: str) -> RequestFactory:
    """Requests that flip each client's own container's ``maxWorkers`` between 7 and 8: every
    one changes the config (an event), and client ``n`` only ever touches container ``cn``."""
    flips: dict[int, int] = {}

    def patch(client: int, number: int) -> bytes:
        flips[client] = flips.get(client, 0) + 1
        body = json.dumps({"maxWorkers": 7 + flips[client] % 2}).encode()
        return request_bytes("PATCH", f"/v1/manufacturing/containers/c{client}/config", token, body)

    return patch


def command_path(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    system, token, user_id = prepare(url, concurrency)
    try:
        raw, raw_cpu = zip(*[raw_saves(system, user_id, concurrency, seconds) for _ in range(2)], strict=True)
        say(f"  raw eventsourcing saves/s: {' '.join(f'{r:.0f}' for r in raw)}")
        system.projections.catch_up()
    finally:
        system.close()
    patch = config_updates(token)
    with tempfile.TemporaryDirectory() as cwd, serving(Path(cwd), url) as server:
        port = int(server.url.rsplit(":", 1)[1])
        # Every container loaded once before anything is timed: the raw saves above left each a
        # long history, which the server's first load replays (a second or more in all).
        load(port, patch, concurrency=concurrency, seconds=120, max_requests=concurrency)
        load(port, patch, concurrency=concurrency, seconds=1)  # warm-up
        http, server_cpu = [], []
        for _ in range(2):
            before = process_cpu_seconds(server.process.pid)
            result = load(port, patch, concurrency=concurrency, seconds=seconds)
            server_cpu.append((process_cpu_seconds(server.process.pid) - before) * 1e6 / result.requests)
            assert result.ok() == result.requests, result.statuses
            http.append(result.per_second)
        say(f"  HTTP config updates/s:     {' '.join(f'{r:.0f}' for r in http)}")
    # CPU per operation moves far less with the machine's load than rates do (a raw save's
    # fsync waits are not CPU): the server's CPU per update says what the code costs.
    say(
        f"  CPU µs per raw save: {' '.join(f'{c:.0f}' for c in raw_cpu)}; server CPU µs per update: "
        f"{' '.join(f'{c:.0f}' for c in server_cpu)}"
    )
    return {
        "raw_saves_per_sec": best_of(list(raw)),
        "http_updates_per_sec": best_of(http),
        "ratio": best_of(http) / best_of(list(raw)),
        "goal": 0.6,
        "raw_save_cpu_us": best_of(list(raw_cpu)),
        "server_cpu_us_per_update": best_of(server_cpu),
    }


# ----------------------------------------------------------------------- rebuild


def generate_events(system: Manufactory, user_id: uuid.UUID, containers: int, events: int) -> None:
    """Many config changes, saved many events per save so that set-up is quick."""
    meta = CommandMeta(user_id=user_id, correlation_id="bench")
    per_container = events // containers
    for n in range(containers):
        aggregate = system.store.load(container_aggregate_id(user_id, f"c{n}"), Container)
        for k in range(per_container):
            aggregate.change_config({"max_workers": 5 + k % 2, "max_pipelines": 1 + k % 7}, meta)
        system.store.save(aggregate)
        if n % max(containers // 10, 1) == 0:
            say(f"  generating events: {(n + 1) * per_container}/{events}")


def read_and_decode(system: Manufactory) -> None:
    recorder, mapper = system.store.recorder, system.store.mapper
    batch = system.projections.batch_size
    position = 0
    while notifications := recorder.select_notifications(position + 1, batch):
        for notification in notifications:
            mapper.to_domain_event(notification)
        position = notifications[-1].id


def read_rows_and_decode(system: Manufactory) -> None:
    """As ``read_and_decode``, through the plain rows a rebuild reads."""
    log, head = system.projections.log_rows, system.store.head()
    batch = system.projections.batch_size
    position = 0
    while rows := log.select_log(position + 1, batch, head):
        for _, _, _, topic, state in rows:
            decode_event(topic, state)
        position = rows[-1][0]


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Seconds ``work`` took, and the CPU seconds of this process meanwhile (all its threads).
    Each starts from a collected heap: the garbage an earlier round left would otherwise be
    collected during whichever round came next (the read's time alternated between two
    speeds from round to round)."""
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - started, time.process_time() - cpu


def rebuild(url: str, events: int, rounds: int = 5) -> dict[str, Any]:
    containers = 200
    system, _, user_id = prepare(url, containers)
    try:
        generate_events(system, user_id, containers, events)
        system.projections.catch_up()
        total = system.store.head()
        system.projections.rebuild("manufacturing")  # warm-up
        reads, row_reads, rebuilds = [], [], []
        for _ in range(rounds):  # interleaved: a load that comes and goes hits all alike
            reads.append(timed(lambda: read_and_decode(system)))
            row_reads.append(timed(lambda: read_rows_and_decode(system)))
            rebuilds.append(timed(lambda: system.projections.rebuild("manufacturing")))
        for label, runs in [
            (f"read+decode {total} events:", reads),
            ("  as plain rows:          ", row_reads),
            (f"rebuild of {total} events:  ", rebuilds),
        ]:
            say(f"  {label} {' '.join(f'{wall:.3f}s' for wall, _ in runs)}")
            say(f"  {' ' * len(label)} {' '.join(f'{cpu:.3f}s' for _, cpu in runs)} CPU")
    finally:
        system.close()
    read_rate = total / best_of([wall for wall, _ in reads])
    rebuild_rate = total / best_of([wall for wall, _ in rebuilds])
    return {
        "events": total,
        "read_decode_events_per_sec": read_rate,
        "rebuild_events_per_sec": rebuild_rate,
        "ratio": rebuild_rate / read_rate,
        "ratio_of_rounds": best_of([read / built for (read, _), (built, _) in zip(reads, rebuilds, strict=True)]),
        "ratio_to_row_read": rebuild_rate / (total / best_of([wall for wall, _ in row_reads])),
        "read_decode_cpu_us_per_event": best_of([cpu for _, cpu in reads]) / total * 1e6,
        "rebuild_cpu_us_per_event": best_of([cpu for _, cpu in rebuilds]) / total * 1e6,
        "goal": 0.5,
    }


# ----------------------------------------------------------------------- query path


def query_path(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    system, token, _ = prepare(url, 1)
    system.close()
    config = request_bytes("GET", "/v1/manufacturing/containers/c0/config", token)
    eventual = request_bytes("GET", "/v1/manufacturing/containers/c0/config?consistency=eventual", token)
    trivial = request_bytes("GET", "/v1/version", token)
    with tempfile.TemporaryDirectory() as cwd, serving(Path(cwd), url) as server:
        port = int(server.url.rsplit(":", 1)[1])
        load(port, lambda c, n: config, concurrency=concurrency, seconds=1)  # warm-up
        rates: dict[str, list[float]] = {"config": [], "eventual": [], "trivial": []}
        for _ in range(2):
            for name, request in (("trivial", trivial), ("config", config), ("eventual", eventual)):
                result = load(port, lambda c, n, r=request: r, concurrency=concurrency, seconds=seconds)
                assert result.ok() == result.requests, result.statuses
                rates[name].append(result.per_second)
        say(f"  trivial JSON reads/s:           {' '.join(f'{r:.0f}' for r in rates['trivial'])}")
        say(f"  config reads/s (default):       {' '.join(f'{r:.0f}' for r in rates['config'])}")
        say(f"  config reads/s (eventual):      {' '.join(f'{r:.0f}' for r in rates['eventual'])}")
    config_rate, trivial_rate = best_of(rates["config"]), best_of(rates["trivial"])
    return {
        "config_reads_per_sec": config_rate,
        "eventual_config_reads_per_sec": best_of(rates["eventual"]),
        "trivial_reads_per_sec": trivial_rate,
        "ratio": config_rate / trivial_rate,
        "goal": 0.5,
    }


# ----------------------------------------------------------------------- chains


def recompute_from_raw_recipes(system: Manufactory, owner: uuid.UUID, type_id: int) -> BillOfMaterials:
    """What a request cost before chains were kept: fetch the recipes of the item, then of
    each of their inputs, level by level, and walk them."""
    recipes: list[Recipe] = []
    seen: set[int] = set()
    frontier = {type_id}
    with system.query_engine.connect() as connection:
        while frontier:
            seen |= frontier
            found = [recipe for item in frontier for recipe in recipes_with(connection, owner, item, "product")]
            recipes.extend(found)
            frontier = {
                material.type_id
                for recipe in found
                for activity in recipe.activities
                for material in activity.materials
            } - seen
    return ProductionGraph.from_recipes(recipes).bill_of_materials(type_id, 1, default=StepSettings(me=10))


def per_second(call: Callable[[], object], seconds: float) -> float:
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        call()
        calls += 1
    return calls / (time.perf_counter() - started)


def chains(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    data = synthetic_catalog()
    root = deepest_item(data)
    say(f"  synthetic catalog: {len(data.items)} types, {len(data.recipes)} recipes; deepest item {root}")
    system, token, user_id = prepare(url, 0)
    try:
        started = time.perf_counter()
        system.catalogs.import_catalog(data, "synthetic", CommandMeta(user_id=user_id, correlation_id="bench"))
        recorded = time.perf_counter() - started
        system.projections.catch_up()
        built = time.perf_counter() - started - recorded
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        say(f"  import recorded in {recorded:.2f}s; read models and chains built in {built:.2f}s")
        say(f"  peak RSS of the benchmark process: {peak_mb:.0f} MB")
        with system.query_engine.connect() as connection:
            graph = ProductionGraph.from_recipes(all_recipes(connection, user_id))
        cached = per_second(lambda: graph.bill_of_materials(root, 1, default=StepSettings(me=10)), seconds)
        raw = per_second(lambda: recompute_from_raw_recipes(system, user_id, root), seconds)
        say(f"  materials of {root}: cached graph {cached:.0f}/s, recomputed from raw recipes {raw:.1f}/s")
    finally:
        system.close()
    path = f"/v1/production/chains/{root}/materials?me=10&runs=1"
    request = request_bytes("GET", path, token)
    with tempfile.TemporaryDirectory() as cwd, serving(Path(cwd), url) as server:
        port = int(server.url.rsplit(":", 1)[1])
        load(port, lambda c, n: request, concurrency=concurrency, seconds=1)  # warm-up (builds the graph)
        result = load(port, lambda c, n: request, concurrency=concurrency, seconds=seconds)
        assert result.ok() == result.requests, result.statuses
        latencies = []
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as client:
            for _ in range(50):  # one keep-alive client, one request at a time
                started = time.perf_counter()
                client.get(path).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    say(
        f"  HTTP materials: {result.per_second:.0f}/s at {concurrency} clients; alone p50 {latencies[25]:.1f} ms, "
        f"p95 {latencies[47]:.1f} ms"
    )
    return {
        "types": len(data.items),
        "recipes": len(data.recipes),
        "import_seconds": recorded,
        "build_seconds": built,
        "peak_rss_mb": peak_mb,
        "materials_cached_per_sec": cached,
        "materials_recomputed_per_sec": raw,
        "ratio": cached / raw,
        "goal": 20,
        "http_materials_per_sec": result.per_second,
        "http_p50_ms": latencies[25],
        "http_p95_ms": latencies[47],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured load run")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--events", type=int, default=20_000, help="events in the rebuild benchmark")
    benchmarks = ["command", "rebuild", "query", "chains", "economics", "shared", "shared-economics", "versions"]
    parser.add_argument("--only", choices=benchmarks, default=None)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        results[backend] = {}
        benchmarks = {
            "command": lambda url: command_path(url, args.seconds, args.concurrency),
            "rebuild": lambda url: rebuild(url, args.events),
            "query": lambda url: query_path(url, args.seconds, args.concurrency),
            "chains": lambda url: chains(url, args.seconds, args.concurrency),
            "economics": lambda url: economics(url, args.seconds, args.concurrency),
            "shared": lambda url: shared_catalog(url, args.seconds, args.concurrency),
            "shared-economics": lambda url: shared_economics(url),
            "versions": catalog_versions,
        }
        for name, benchmark in benchmarks.items():
            if args.only and name != args.only:
                continue
            say(f"[{backend}] {name} ...")
            with fresh_database(backend) as url:
                results[backend][name] = benchmark(url)
            outcome = results[backend][name]
            say(f"[{backend}] {name}: ratio {outcome['ratio']:.2f} (goal {outcome['goal']})")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    say(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
