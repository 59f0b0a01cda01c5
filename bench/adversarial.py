"""Adversarial requests against a real server: what each answers, and the server's peak memory.

    .venv/bin/python -m bench.adversarial [--backend sqlite|postgres]      # about a minute

Starts ``manufactory serve`` on a fresh database (as the other benchmarks do), sends every
adversarial request of issue 11's sections 1 and 2 once (ids beyond int64, NUL characters,
1e308 floats, JSON nested 100,000 deep, a 100,000,000-unit generate on a one-run-per-job
blueprint, imports as large as the request body limit allows, a chain that doubles at every
level, long search strings, huge limits) and prints, per request, the status it answered,
the time it took and the server's peak RSS after it (``VmHWM`` of ``/proc/<pid>/status``:
the high-water mark, so a request that allocated and freed still shows). The goal is a peak
under 500 MB and no 5xx. Results also go to ``bench/results/adversarial.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support import fresh_postgres_database, run_cli, serving

RESULTS = Path(__file__).parent / "results"
GOAL_MB = 500
INT64_OVERFLOW = 2**63
# One blueprint that allows one run per job (the 23 GB generate), and a chain of 40
# levels where A_i and B_i are each made of one A_(i-1) and one B_(i-1): 2^40 tree nodes.
ONE_RUN_PRODUCT, DOUBLING_LEVELS = 90_000, 40


def catalog() -> dict[str, Any]:
    def recipe(recipe_id: int, product: int, materials: list[int], max_runs: int | None = None) -> dict[str, Any]:
        activity = {
            "kind": "manufacturing",
            "time": 60,
            "materials": [{"typeId": m, "quantity": 1} for m in materials],
            "products": [{"typeId": product, "quantity": 1}],
        }
        return {"recipeId": recipe_id, "activities": [activity], **({"maxRuns": max_runs} if max_runs else {})}

    levels = range(1, DOUBLING_LEVELS + 1)
    recipes = [recipe(80_000, ONE_RUN_PRODUCT, [34], max_runs=1)]
    recipes += [recipe(base + i, base + i, [1000 + i - 1, 2000 + i - 1]) for base in (1000, 2000) for i in levels]
    items = [{"typeId": 34, "name": "Tritanium"}, {"typeId": ONE_RUN_PRODUCT, "name": "One Run Widget"}]
    items += [{"typeId": base + i, "name": f"L{base + i}"} for base in (1000, 2000) for i in range(DOUBLING_LEVELS + 1)]
    return {"format": "manufactory-catalog", "items": items, "recipes": recipes}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


@contextmanager
def server(backend: str, cwd: Path) -> Iterator[tuple[str, str, int]]:
    """(url, token, server pid) of a fresh server."""
    if backend == "postgres":
        with fresh_postgres_database() as url:
            created = run_cli("users", "create", "adversary", cwd=cwd, database_url=url)
            token = created.stdout.strip().split()[-1]
            with serving(cwd, url) as running:
                yield running.url, token, running.process.pid
    else:
        with serving(cwd, f"sqlite:///{cwd}/adversarial.sqlite") as running:
            assert running.printed_token is not None
            yield running.url, running.printed_token, running.process.pid


Request = tuple[str, str, str, Any]  # (label, method, path, JSON body or raw bytes)


def requests(client: httpx.Client) -> Iterator[Request]:
    """Every adversarial request; later ones may use what earlier answers created. Section 2
    comes first: on PostgreSQL, section 1's poisoned catalog import stops the catalog read
    model (until dead letters exist), and every plan command with it."""
    # ---- section 2: work
    yield "import the adversarial catalog (valid)", "POST", "/v1/catalog/imports", catalog()
    plan = client.post("/v1/industry/plans", json={"name": "One run", "productTypeId": ONE_RUN_PRODUCT}).json()
    plan_id = plan.get("aggregateId", "00000000-0000-0000-0000-000000000000")
    yield (
        "generate 100,000,000 on one run per job",
        "POST",
        f"/v1/industry/plans/{plan_id}/generate",
        {"quantity": 100_000_000},
    )
    yield (
        "generate 1e9 (the quantity limit)",
        "POST",
        f"/v1/industry/plans/{plan_id}/generate",
        {"quantity": 1_000_000_000},
    )
    yield "generate 10^30", "POST", f"/v1/industry/plans/{plan_id}/generate", {"quantity": 10**30}
    top = 1000 + DOUBLING_LEVELS
    yield "plan of a chain with 2^40 steps", "POST", "/v1/industry/plans", {"name": "Doubling", "productTypeId": top}
    yield "chain tree with 2^41 nodes", "GET", f"/v1/production/chains/{top}?format=tree", None
    yield "materials for 10^18 runs", "GET", f"/v1/production/chains/{top}/materials?runs={10**18}", None
    items = [{"typeId": 100_000 + n, "name": f"i{n}"} for n in range(250_000)]  # ~8 MB
    yield "catalog import of 250,000 items", "POST", "/v1/catalog/imports", {**catalog(), "items": items}
    yield "search of 60,000 characters", "GET", "/v1/catalog/items?search=" + "a" * 60_000, None
    yield "runs limit=10^9", "GET", "/v1/industry/plans/runs?limit=1000000000", None
    yield "jobs limit=10^9", "GET", "/v1/industry/jobs?limit=1000000000", None
    world = client.post("/v1/crafting/worlds", json={"name": "Forge", "seed": 1}).json().get("world", {})
    base = f"/v1/crafting/worlds/{world.get('id', '00000000-0000-0000-0000-000000000000')}"
    sword = {"id": "sword", "inputs": [{"item": "iron", "quantity": 1}], "outputs": [{"item": "sword", "quantity": 1}]}
    client.post(base + "/recipe-imports", json={"format": 1, "recipes": [{**sword, "duration": 5}]})
    client.post(base + "/inventories", json={"inventoryId": "inv", "items": {"iron": 1000}})
    client.post(base + "/managers", json={"managerId": "forge"})
    job = {"recipeId": "sword", "owner": "p1", "inventoryId": "inv"}
    yield (
        "crafting recipe duration 1e308",
        "POST",
        base + "/recipe-imports",
        {
            "format": 1,
            "recipes": [{**sword, "id": "slow", "duration": 1e308}],
        },
    )
    yield (
        "crafting grant timeSpeed 1e308",
        "POST",
        base + "/managers",
        {
            "managerId": "fast",
            "grants": [{"modifiers": {"timeSpeed": 1e308}}],
        },
    )
    yield (
        "crafting job timeSpeed 1e308",
        "POST",
        base + "/managers/forge/jobs",
        {
            **job,
            "modifiers": {"timeSpeed": 1e308},
        },
    )
    yield (
        "crafting job outputYield 1e308",
        "POST",
        base + "/managers/forge/jobs",
        {
            **job,
            "modifiers": {"outputYield": 1e308},
        },
    )
    yield "crafting items 10^30", "POST", base + "/inventories/inv/add", {"items": {"iron": 10**30}}
    many = [{**sword, "id": f"r{n}", "duration": 1} for n in range(40_000)]  # ~5 MB
    yield "crafting import of 40,000 recipes", "POST", base + "/recipe-imports", {"format": 1, "recipes": many}
    nul = "evil\u0000name"
    # ---- section 1: poison
    yield (
        "job with productTypeId 2^63",
        "POST",
        "/v1/industry/jobs",
        {
            "productTypeId": INT64_OVERFLOW,
            "blueprintTypeId": 24699,
            "runs": 1,
        },
    )
    yield (
        "job with stationId 2^63",
        "POST",
        "/v1/industry/jobs",
        {
            "productTypeId": 587,
            "blueprintTypeId": 691,
            "runs": 1,
            "stationId": INT64_OVERFLOW,
        },
    )
    yield "query characterId=2^63", "GET", f"/v1/industry/jobs?characterId={INT64_OVERFLOW}", None
    yield "character path id 2^63", "PUT", f"/v1/industry/characters/{INT64_OVERFLOW}", {"name": "Big"}
    yield (
        "marker locationId 2^63",
        "POST",
        "/v1/stockpiles",
        {
            "typeId": 587,
            "locationId": INT64_OVERFLOW,
            "desiredQuantity": 1,
        },
    )
    yield (
        "market regionId 2^63",
        "POST",
        "/v1/market/prices",
        {
            "regionId": INT64_OVERFLOW,
            "quotes": [{"typeId": 34, "lowestSell": 4.0}],
        },
    )
    yield "plan name with NUL", "POST", "/v1/industry/plans", {"name": nul, "productTypeId": ONE_RUN_PRODUCT}
    yield "crafting world name with NUL", "POST", "/v1/crafting/worlds", {"name": nul}
    yield "catalog game of 65 characters", "POST", "/v1/catalog/imports", {**catalog(), "game": "g" * 65}
    yield (
        "catalog item name of 256 characters",
        "POST",
        "/v1/catalog/imports",
        {
            **catalog(),
            "items": [{"typeId": 34, "name": "n" * 256}],
        },
    )
    yield (
        "integer sent as a string",
        "POST",
        "/v1/industry/jobs",
        {
            "productTypeId": "587",
            "blueprintTypeId": 691,
            "runs": 1,
        },
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    yield "JSON nested 100,000 deep", "POST", "/v1/catalog/imports", deep
    yield "JSON nested 100,000 deep, no token", "POST NOAUTH", "/v1/catalog/imports", deep
    yield "a crafting job after all that (valid)", "POST", base + "/managers/forge/jobs", job


def run(backend: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as directory, server(backend, Path(directory)) as (url, token, pid):
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            started_mb = peak_rss_mb(pid)
            print(f"server pid {pid}, peak RSS after start {started_mb:.0f} MB", flush=True)
            for label, method, path, body in requests(client):
                send: Callable[..., httpx.Response] = client.request
                if method.endswith("NOAUTH"):
                    method = method.split()[0]
                    send = httpx.Client(base_url=url, timeout=120).request
                content = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
                began = time.perf_counter()
                try:
                    status = send(method, path, content=content).status_code
                except httpx.HTTPError as error:
                    status = f"no answer ({type(error).__name__})"
                took = time.perf_counter() - began
                peak = peak_rss_mb(pid)
                results.append(
                    {"request": label, "status": status, "seconds": round(took, 3), "peak_rss_mb": round(peak)}
                )
                print(f"  {status!s:>4}  {took:6.2f} s  peak {peak:5.0f} MB  {label}", flush=True)
            final = peak_rss_mb(pid)
    server_errors = [r["request"] for r in results if not isinstance(r["status"], int) or r["status"] >= 500]
    summary = {
        "backend": backend,
        "peak_rss_mb": round(final),
        "goal_mb": GOAL_MB,
        "server_errors": server_errors,
        "requests": results,
    }
    print(f"peak RSS {final:.0f} MB (goal < {GOAL_MB} MB); {len(server_errors)} answers 5xx or none", flush=True)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    summary = run(args.backend)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "adversarial.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
