"""Instructions per request, counted by callgrind: a measure the machine's phases do not move.

    .venv/bin/python -m bench.instructions [BASE] [--request update|read|version] [--requests 300]

On these shared 2-core machines a request's CPU time moves by a fifth between runs minutes
apart, and even turn-about rounds (``bench.ab``) cannot see a change of a few percent. The
instructions a request executes do not move with the machine: this runs the app in process
(as ``bench.threads`` does, no sockets) under valgrind's callgrind, one client sending one
request after another, twice: a short run and one ``--requests`` longer. The difference of the
two, divided by the extra requests, is the instructions per request (start-up and warm-up cancel
out), on the event loop's thread and in all threads. With BASE (a commit), the same for BASE's
code, checked out in a temporary worktree: a commit with ``bench/threads.py`` (c606b6f or later),
whose request and app helpers the driver imports from the tree it measures. Needs valgrind
(Debian: ``apt-get install valgrind``). Each run takes a few minutes (callgrind runs the code
about 50 times slower); the two trees' runs go side by side.

Instructions are not time: a cache miss costs no instruction, and background duties that run on
a timer (the projection runner's rounds) do more per request when everything runs slower. The
event loop's count is the sharpest; the total is a guide.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.ab import HERE, worktree
from bench.run import prepare, say
from bench.threads import call, requests
from interfaces.http.app import create_app
from tests.support import fresh_database

SHORT = 100  # requests of the short run, after 50 of warm-up in each


def drive(kind: str, count: int) -> None:
    """``count`` requests, one after another, through the app in process (run under callgrind)."""
    request = requests(kind)
    with fresh_database("sqlite") as url:
        system, token, _ = prepare(url, 1)
        app = create_app(system)

        async def run() -> None:
            async with app.lifespan():
                for number in range(50 + count):
                    status = await call(app, token, *request(0, number))
                    assert status < 400, status

        try:
            asyncio.run(run())
        finally:
            system.close()


def counted(tree: Path, kind: str, count: int) -> tuple[int, int]:
    """(event loop's instructions, all threads' instructions) of ``count`` requests and start-up."""
    with tempfile.TemporaryDirectory() as out:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--separate-threads=yes",
            f"--callgrind-out-file={out}/callgrind.out",
            sys.executable,
            str(Path(__file__).resolve()),  # this driver, the tree's code (PYTHONPATH) under it
            "--drive",
            str(count),
            "--request",
            kind,
        ]
        subprocess.run(command, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, check=True, capture_output=True)
        totals = {int(path.name.rsplit("-", 1)[1]): _total(path) for path in Path(out).glob("callgrind.out-*")}
    return totals[1], sum(totals.values())  # thread 1: the main thread, the event loop's


def _total(path: Path) -> int:
    found = re.search(r"^(?:summary|totals): (\d+)", path.read_text(errors="replace"), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"{path}: no total in callgrind's output")
    return int(found.group(1))


def per_request(tree: Path, kind: str, extra: int) -> tuple[float, float]:
    (loop_short, all_short), (loop_long, all_long) = (counted(tree, kind, n) for n in (SHORT, SHORT + extra))
    return (loop_long - loop_short) / extra, (all_long - all_short) / extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", nargs="?", help="a commit to compare this checkout with")
    parser.add_argument("--request", choices=["update", "read", "version"], default="update")
    parser.add_argument("--requests", type=int, default=300, help="the long run's extra requests")
    parser.add_argument("--drive", type=int, help=argparse.SUPPRESS)  # the run under callgrind
    arguments = parser.parse_args()
    if arguments.drive is not None:
        drive(arguments.request, arguments.drive)
        return
    say(f"{arguments.request}: callgrind runs of {SHORT} and {SHORT + arguments.requests} requests per tree")
    with worktree(arguments.base) if arguments.base else tempfile.TemporaryDirectory() as base:
        trees = {"this": HERE, **({arguments.base: Path(base)} if arguments.base else {})}
        with ThreadPoolExecutor(len(trees)) as pool:
            counts = dict(
                zip(
                    trees,
                    pool.map(lambda tree: per_request(tree, arguments.request, arguments.requests), trees.values()),
                    strict=True,
                )
            )
    for name, (loop, total) in counts.items():
        say(f"  {name}: {loop:,.0f} instructions per request on the event loop, {total:,.0f} in all threads")
    if arguments.base:
        (this_loop, this_all), (base_loop, base_all) = counts["this"], counts[arguments.base]
        say(f"  this / {arguments.base}: event loop {this_loop / base_loop:.3f}, all threads {this_all / base_all:.3f}")


if __name__ == "__main__":
    main()
