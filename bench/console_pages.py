"""The console's page loads: each page's server time and the bytes a first visit transfers.

    .venv/bin/python -m bench.console_pages [--backend sqlite|postgres|both] [--loads 30]

A real ``manufactory serve`` (the local user, the sample catalog) with a plan for the Rifter, a
generated run and a stockpile marker; every console page (found on the console's controllers,
its path ids filled from that data) is read ``--loads`` times over localhost with the session
cookie. Server time is the median time of a page's request (loopback included: an upper bound);
the trivial ``/health`` request of the same server, timed the same way, is the baseline beside
it. Bytes are the page's HTML plus every script, stylesheet and icon it links (a first visit;
later ones are served from the browser's cache). Goals (issue 15): under 50 ms and under
200 KB per page.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
from litestar.handlers import HTTPRouteHandler

import interfaces.http.app  # noqa: F401 - imports every page's controller
from bench.run import RESULTS, say
from interfaces.web.pages import ConsoleController
from interfaces.web.session import SESSION_COOKIE
from tests.support import fresh_database, serving

RIFTER = 587  # in the local user's sample catalog
NOT_PAGES = ("/stream", "/sections", "/sign-in")  # live feeds, fragments, the signed-out form
LINKED = re.compile(r'(?:src|href)="(/static/[^"]+)"')
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def console_paths() -> Iterator[str]:
    """Every GET route of the console's controllers that answers a page."""
    controllers: list[type[ConsoleController]] = []
    pending: list[type[ConsoleController]] = [ConsoleController]
    while pending:
        controller = pending.pop()
        controllers.append(controller)
        pending.extend(controller.__subclasses__())
    seen = set()
    for controller in controllers:
        prefix = vars(controller).get("path", "")  # a controller without its own path has none
        for handler in vars(controller).values():
            if not isinstance(handler, HTTPRouteHandler) or "GET" not in handler.http_methods:
                continue
            for path in handler.paths:
                full = (prefix.rstrip("/") + path) or "/"
                if full not in seen and not any(marker in full for marker in NOT_PAGES):
                    seen.add(full)
                    yield full


def seeded(api: httpx.Client) -> dict[str, str]:
    """A plan for the Rifter, a run of it and a marker wanting Rifters: the ids pages name."""
    plan = api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER})
    plan.raise_for_status()
    plan_id = plan.json()["aggregateId"]
    run = api.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 5})
    run.raise_for_status()
    run_id = run.json()["run"]["id"]
    marker = api.post(
        "/v1/stockpiles",
        json={"typeId": RIFTER, "locationId": 60003760, "desiredQuantity": 10, "planId": plan_id},
    )
    marker.raise_for_status()
    jobs = api.get("/v1/industry/jobs").json()
    container_id = "parallel-mfg-X1-YZ19-bench"
    api.post(
        "/v1/manufacturing/containers",
        json={"containerId": container_id, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"},
    ).raise_for_status()
    world = api.post("/v1/crafting/worlds", json={"name": "Bench"})
    world.raise_for_status()
    world_base = f"/v1/crafting/worlds/{world.json()['world']['id']}"
    sword = {"id": "iron_sword", "inputs": [{"item": "iron_ingot", "quantity": 3}], "duration": 3600}
    for path, body in (
        ("/recipes", {**sword, "outputs": [{"item": "iron_sword", "quantity": 1}]}),
        ("/inventories", {"inventoryId": "inv", "items": {"iron_ingot": 30}}),
        ("/managers", {"managerId": "forge_1"}),
        ("/managers/forge_1/jobs", {"recipeId": "iron_sword", "owner": "smith", "inventoryId": "inv"}),
    ):
        api.post(world_base + path, json=body).raise_for_status()
    return {
        "plan_id": plan_id,
        "run_id": run_id,
        "marker_id": marker.json()["marker"]["id"],
        "type_id": str(RIFTER),
        "job_id": jobs[0]["id"] if jobs else "",
        "aggregate_id": plan_id,
        "container_id": container_id,
        "world_id": world.json()["world"]["id"],
    }


def filled(path: str, ids: Mapping[str, str]) -> str | None:
    """The path with its ids, or None when the data has none of that kind."""
    names = PARAMETER.findall(path)
    if any(not ids.get(name) for name in names):
        return None
    return PARAMETER.sub(lambda found: ids[found.group(1)], path)


def median_ms(client: httpx.Client, path: str, loads: int) -> float:
    for _ in range(3):  # warm-up: caches, first queries
        client.get(path).raise_for_status()
    times = []
    for _ in range(loads):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def first_visit_bytes(client: httpx.Client, path: str) -> tuple[int, int]:
    """The HTML's bytes, and the page with everything it links (each asset once)."""
    html = client.get(path).content
    assets = set(LINKED.findall(html.decode()))
    return len(html), len(html) + sum(len(client.get(asset).content) for asset in assets)


def measure(url: str, loads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as cwd, serving(Path(cwd), url) as server:
        token = server.printed_token
        assert token, server.output
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        ids = seeded(api)
        console = httpx.Client(base_url=server.url, cookies={SESSION_COOKIE: token}, timeout=30)
        baseline = median_ms(console, "/health", loads)
        say(f"  /health (baseline): {baseline:.1f} ms")
        pages: dict[str, Any] = {}
        for route in sorted(console_paths()):
            path = filled(route, ids)
            if path is None:
                say(f"  {route}: skipped (no data names its ids)")
                continue
            server_ms = median_ms(console, path, loads)
            html, total = first_visit_bytes(console, path)
            pages[route] = {"server_ms": server_ms, "html_bytes": html, "first_visit_bytes": total}
            say(f"  {route}: {server_ms:.1f} ms, {html / 1024:.1f} KB HTML, {total / 1024:.1f} KB first visit")
    return {"baseline_health_ms": baseline, "pages": pages, "goal": {"server_ms": 50, "first_visit_kb": 200}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--loads", type=int, default=30, help="timed loads of each page")
    args = parser.parse_args()
    results = {}
    for backend in ["sqlite", "postgres"] if args.backend == "both" else [args.backend]:
        say(f"[{backend}] console pages ...")
        with fresh_database(backend) as url:
            results[backend] = measure(url, args.loads)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console_pages.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
