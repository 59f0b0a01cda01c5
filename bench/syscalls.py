"""System calls per config update in the real server, counted by strace on all of its threads.

    .venv/bin/python -m bench.syscalls [--backend sqlite|postgres] [--request update|read] [--seconds 4]

CPU time and instructions (``bench.instructions``) say what Python costs; what the kernel costs
a request (system calls, page faults, the wake-ups of other threads) moves most with the
machine's phases, and is invisible to callgrind. This serves the prepared database with
``manufactory serve`` as ``bench.run`` does, sends it config updates (or, ``--request read``,
the query path's read-your-writes config reads) from 16 clients, and counts the server's system
calls over ``--seconds`` of that load with ``strace -c`` attached to each of its threads: per
request, by call. strace slows every call down, so the updates per second are
not the server's; the counts per update are. It found a new greenlet's stack taken and given
back per command (an ``mmap`` and ``munmap`` each: BENCHMARKS.md, "Tenth pass"). Needs strace
(Debian: ``apt-get install strace``) and the right to trace (root, or ``ptrace_scope`` 0).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.loadgen import RequestFactory, load, request_bytes
from bench.run import config_updates, prepare, say
from tests.support import fresh_database, serving

CLIENTS = 16


def requests(kind: str, token: str) -> RequestFactory:
    """Config updates (as ``bench.run``'s command path) or reads (as its query path)."""
    if kind == "update":
        return config_updates(token)
    read = request_bytes("GET", "/v1/manufacturing/containers/c0/config", token)
    return lambda client, number: read


def count(backend: str, kind: str, seconds: float) -> tuple[int, list[tuple[str, int, int]]]:
    """Requests answered while traced, and (call, calls, errors) for each system call seen."""
    with fresh_database(backend) as url:
        system, token, _ = prepare(url, CLIENTS)
        system.close()
        patch = requests(kind, token)
        with tempfile.TemporaryDirectory() as cwd, serving(Path(cwd), url) as server:
            port = int(server.url.rsplit(":", 1)[1])
            load(port, patch, concurrency=CLIENTS, seconds=2)  # warm: every container loaded
            report = Path(cwd) / "strace.txt"
            threads = [argument for tid in os.listdir(f"/proc/{server.process.pid}/task") for argument in ("-p", tid)]
            tracer = subprocess.Popen(["strace", "-c", "-q", "-o", str(report), *threads])
            time.sleep(1.0)  # attached to every thread before the load starts
            result = load(port, patch, concurrency=CLIENTS, seconds=seconds)
            tracer.send_signal(signal.SIGINT)
            tracer.wait()
            return result.requests, parse(report.read_text())


def parse(report: str) -> list[tuple[str, int, int]]:
    """The rows of ``strace -c``'s table: (call, calls, errors)."""
    rows = []
    for line in report.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls, errors = int(fields[3]), int(fields[4]) if len(fields) == 6 else 0
            rows.append((fields[-1], calls, errors))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--request", choices=["update", "read"], default="update")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    updates, rows = count(args.backend, args.request, args.seconds)
    say(f"[{args.backend}] {updates} config {args.request}s while traced; system calls per {args.request}:")
    for call, calls, errors in sorted(rows, key=lambda row: -row[1]):
        if calls >= updates / 100:
            failed = f" ({errors / updates:.2f} failed)" if errors else ""
            say(f"  {call:<16} {calls / updates:6.2f}{failed}")
    say(f"  {'all':<16} {sum(calls for _, calls, _ in rows) / updates:6.2f}")


if __name__ == "__main__":
    main()
