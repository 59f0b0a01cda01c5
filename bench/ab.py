"""The command path of this checkout against another commit's, in interleaved rounds.

    .venv/bin/python -m bench.ab BASE [--backend sqlite|postgres] [--rounds 8] [--seconds 4]
                                      [--unchanged | --keyed | --reads | --eventual-reads]

On these shared 2-core machines the same code's command ratio moves from 0.44 to 0.62 between
runs minutes apart (BENCHMARKS.md, "Seventh pass"), more than most changes move it, so two
single runs of ``bench.run`` compare the machine's phases, not the code. Here both servers run
against one prepared database, turn about (the order alternating round by round), each round
a fresh ``manufactory serve`` of that tree's code (``PYTHONPATH`` puts it before the installed
checkout), warmed up, then timed under the same config updates as ``bench.run``. Printed per
round: updates/s and the server's CPU per update for each side, and this checkout's rate as a
ratio of the base's; at the end the medians. ``--unchanged`` sends updates that change nothing
(each client sets its container's ``maxWorkers`` to what it already is: no event, as a bot
re-asserting its config does); ``--keyed`` sends each update with an ``Idempotency-Key`` of its
own, as the CLI and any client that retries safely do; ``--reads`` sends each client's config
read instead (read-your-writes, the default), ``--eventual-reads`` the same with
``consistency=eventual``. BASE is any commit; it is checked out in a
temporary git worktree, removed afterwards. The database is prepared by this checkout, so the
two must share the read-model schema (a base that does not know a migration fails to start).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.loadgen import RequestFactory, load, request_bytes
from bench.run import config_updates, prepare, process_cpu_seconds, say
from tests.support import fresh_database, serving

HERE = Path(__file__).resolve().parent.parent
CLIENTS = 16


@contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """``commit`` checked out in a temporary directory (a git worktree of this repository)."""
    with tempfile.TemporaryDirectory() as parent:
        path = Path(parent) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(path), commit], cwd=HERE, check=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=HERE, check=True)


def unchanged_updates(token: str) -> RequestFactory:
    """Each client sets its own container's ``maxWorkers`` to 7, what the first one set: every
    later one records nothing and answers ``changed: false``."""
    body = json.dumps({"maxWorkers": 7}).encode()
    return lambda client, _: request_bytes("PATCH", f"/v1/manufacturing/containers/c{client}/config", token, body)


def keyed_updates(token: str) -> RequestFactory:
    """``bench.run``'s config updates, each with an ``Idempotency-Key`` of its own."""
    updates = config_updates(token)

    def keyed(client: int, number: int) -> bytes:
        head, _, rest = updates(client, number).partition(b"\r\n")
        return head + f"\r\nIdempotency-Key: {uuid.uuid4()}".encode() + b"\r\n" + rest

    return keyed


def config_reads(token: str, query: str = "") -> RequestFactory:
    """Each client reads its own container's config (``query`` appended to the path)."""
    return lambda client, _: request_bytes("GET", f"/v1/manufacturing/containers/c{client}/config{query}", token)


def one_round(url: str, tree: Path, requests: RequestFactory, seconds: float) -> tuple[float, float]:
    """Requests/s through a fresh server running ``tree``'s code, and its CPU µs per request."""
    with tempfile.TemporaryDirectory() as cwd, serving(Path(cwd), url, env={"PYTHONPATH": str(tree)}) as server:
        port = int(server.url.rsplit(":", 1)[1])
        load(port, requests, concurrency=CLIENTS, seconds=120, max_requests=CLIENTS)  # every container loaded
        load(port, requests, concurrency=CLIENTS, seconds=1)  # warm-up
        before = process_cpu_seconds(server.process.pid)
        result = load(port, requests, concurrency=CLIENTS, seconds=seconds)
        cpu_us = (process_cpu_seconds(server.process.pid) - before) * 1e6 / result.requests
        if result.ok() != result.requests:
            raise RuntimeError(f"{tree}: not every request succeeded: {result.statuses}")
        return result.per_second, cpu_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the commit to compare this checkout with")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0)
    kinds = parser.add_mutually_exclusive_group()
    kinds.add_argument("--unchanged", action="store_true", help="updates that set what is already set")
    kinds.add_argument("--keyed", action="store_true", help="each update with an Idempotency-Key of its own")
    kinds.add_argument("--reads", action="store_true", help="config reads (read-your-writes) instead of updates")
    kinds.add_argument("--eventual-reads", action="store_true", help="config reads with consistency=eventual")
    args = parser.parse_args()
    with worktree(args.base) as base, fresh_database(args.backend) as url:
        system, token, _ = prepare(url, CLIENTS)
        system.close()
        if args.unchanged:
            requests = unchanged_updates(token)
        elif args.keyed:
            requests = keyed_updates(token)
        elif args.reads or args.eventual_reads:
            requests = config_reads(token, "?consistency=eventual" if args.eventual_reads else "")
        else:
            requests = config_updates(token)
        trees = {"base": base, "this": HERE}
        rates: dict[str, list[float]] = {name: [] for name in trees}
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        for number in range(args.rounds):
            order = list(trees) if number % 2 == 0 else list(reversed(trees))
            for name in order:
                rate, cpu_us = one_round(url, trees[name], requests, args.seconds)
                rates[name].append(rate)
                cpu[name].append(cpu_us)
            base_rate, this_rate = rates["base"][-1], rates["this"][-1]
            say(
                f"  round {number + 1}: base {base_rate:.0f}/s {cpu['base'][-1]:.0f} µs, "
                f"this {this_rate:.0f}/s {cpu['this'][-1]:.0f} µs, ratio {this_rate / base_rate:.2f}"
            )
    ratios = [this / base for this, base in zip(rates["this"], rates["base"], strict=True)]
    say(
        f"[{args.backend}] {args.base}: {statistics.median(rates['base']):.0f}/s "
        f"{statistics.median(cpu['base']):.0f} µs; this checkout: {statistics.median(rates['this']):.0f}/s "
        f"{statistics.median(cpu['this']):.0f} µs; ratio per round, median {statistics.median(ratios):.2f} "
        f"({min(ratios):.2f}-{max(ratios):.2f})"
    )


if __name__ == "__main__":
    main()
