"""The console's page loads: each page's server time and the bytes a first visit transfers.

    .venv/bin/python -m bench.console_pages [--loads 30]

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
from pathlib import Path
from typing import Any

import httpx

from bench.run import RESULTS, say
from interfaces.web.session import SESSION_COOKIE
from tests.console_tour import console_paths, filled, seeded
from tests.support import fresh_database, serving

LINKED = re.compile(r'(?:src|href)="(/static/[^"]+)"')


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
    parser.add_argument("--loads", type=int, default=30, help="timed loads of each page")
    args = parser.parse_args()
    results = {}
    # The embedded default only: the first start's ``local`` user, with the sample catalog, is
    # what a player opening the console meets (a PostgreSQL server starts with no user).
    say("[sqlite] console pages ...")
    with fresh_database("sqlite") as url:
        results["sqlite"] = measure(url, args.loads)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console_pages.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
