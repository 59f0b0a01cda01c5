"""Growth: rebuild time and peak memory of every projection, and the notification log's read,
at several sizes of one PostgreSQL event store (issue 16: linear time, bounded memory).

    .venv/bin/python -m bench.growth [--sizes 1000000,3000000,10000000] [--projections all]

On a fresh PostgreSQL database, the events of every projection are recorded once through the
real application (``record_every_kind_of_event``, the parity test's mix: a user with tokens,
containers, a catalog, plans, runs, jobs, characters, assets, markers, a market batch; 78
events). The store then grows by copies of those stored events (their JSON as the event
store's encoder wrote it), each copy a user of its own: every UUID in it, ids and references
alike, mapped to a new one, the user's name suffixed. Copies are written with ``COPY`` (the
library's one-save-at-a-time path would take hours), then the table is vacuumed and analysed.

At each size every measurement runs in a child process of its own (``--child``), whose peak
resident memory is read when it ends (``os.wait4``: that child's own ``rusage``; a child
that only opens the application gives the floor):

- ``log``: the whole notification log read in pages of the rebuild's batch size, every event
  decoded, nothing applied;
- each projection: ``ProjectionRuntime.rebuild`` (``manufactory projections rebuild``), with
  its dead letters counted after (a copy that broke a projection would show there).

Time per event is over the whole log (each projection reads only its own events, but over
all of it); linear growth keeps it flat, bounded memory keeps the peak flat. The database is
dropped at the end. Results go to stdout and bench/results/growth.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

import msgspec
import psycopg

from application.settings import Settings
from application.system import Manufactory
from bench.run import RESULTS, say
from projections.registry import all_projections
from tests.integration.test_projection_parity import record_every_kind_of_event, without_economics_updater
from tests.support import fresh_postgres_database

UUID_TEXT = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HASH_TEXT = re.compile(rb"[0-9a-f]{64}")  # a token's hash: unique too
TEMPLATE_USER = b'"alice"'  # the name ``record_every_kind_of_event`` registers


class StoredRow(msgspec.Struct, frozen=True):
    originator_id: uuid.UUID
    originator_version: int
    topic: str
    state: bytes


class Copies:
    """The template's stored events, cut once at every UUID and at the user's name, so that a
    copy is a join of the pieces with that copy's values (no regex per copy)."""

    def __init__(self, template: list[StoredRow]) -> None:
        self.template = template
        self.ids: dict[bytes, int] = {}  # each distinct UUID of the template -> its index
        self.pieces: list[list[bytes | int]] = []  # text, or a UUID's index (-1: the name, -2: a hash's end)
        for row in template:
            self.ids.setdefault(str(row.originator_id).encode(), len(self.ids))
            pieces: list[bytes | int] = []
            cuts = rb"(" + b"|".join([UUID_TEXT.pattern, HASH_TEXT.pattern, TEMPLATE_USER]) + rb")"
            for chunk in re.split(cuts, row.state):
                if chunk == TEMPLATE_USER:
                    pieces.append(-1)
                elif HASH_TEXT.fullmatch(chunk):
                    pieces.append(chunk[:48])
                    pieces.append(-2)
                elif UUID_TEXT.fullmatch(chunk):
                    pieces.append(self.ids.setdefault(chunk, len(self.ids)))
                elif chunk:
                    pieces.append(chunk)
            self.pieces.append(pieces)
        self.originals = [uuid.UUID(text.decode()) for text in self.ids]

    def rows(self, copy: int) -> list[tuple[uuid.UUID, int, str, bytes]]:
        """The template's events as copy ``copy``: every UUID u mapped to u XOR (copy << 64), the
        name suffixed with the copy's number, a hash's last 16 digits replaced by it."""
        mask = copy << 64
        mapped = [uuid.UUID(int=original.int ^ mask) for original in self.originals]
        texts = [str(value).encode() for value in mapped]
        values = {-1: b'"alice-%d"' % copy, -2: b"%016x" % copy, **dict(enumerate(texts))}
        rows = []
        for row, pieces in zip(self.template, self.pieces, strict=True):
            state = b"".join(piece if isinstance(piece, bytes) else values[piece] for piece in pieces)
            own = self.ids[str(row.originator_id).encode()]
            rows.append((mapped[own], row.originator_version, row.topic, state))
        return rows


def record_template(url: str) -> tuple[str, list[StoredRow]]:
    """Events of every projection, recorded through the application; the events table's name."""
    system = Manufactory.open(Settings(database_url=url))
    try:
        with without_economics_updater(system) as client:
            record_every_kind_of_event(system, client)
        table = system.store.recorder.events_table_name
    finally:
        system.close()
    with psycopg.connect(libpq(url)) as connection:
        rows = connection.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table} ORDER BY notification_id"
        ).fetchall()
    return table, [StoredRow(row[0], row[1], row[2], bytes(row[3])) for row in rows]


def grow(url: str, table: str, copies: Copies, first_copy: int, size: int) -> int:
    """Append whole copies until the log holds at least ``size`` events; the next copy's number."""
    copy = first_copy
    with psycopg.connect(libpq(url)) as connection:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
        started, last_said = time.perf_counter(), 0.0
        while count < size:
            with connection.cursor().copy(
                f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN"
            ) as writing:
                for _ in range(200):  # about 15,600 events per COPY
                    for row in copies.rows(copy):
                        writing.write_row(row)
                    copy += 1
                    count += len(copies.template)
            connection.commit()
            if time.perf_counter() - last_said > 30:
                last_said = time.perf_counter()
                rate = (count - first_copy * len(copies.template)) / (last_said - started)
                say(f"  {count:,} events ({rate:,.0f}/s written)")
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        connection.execute(f"VACUUM (ANALYZE) {table}")
    return copy


def measure(url: str, what: str, attempts: int = 3) -> dict[str, Any]:
    """Run ``what`` in a child process; its answer, with its seconds and peak RSS. Tried
    again when the child fails: the shared server refuses connections when others' suites
    take them all ("too many clients")."""
    for _ in range(attempts - 1):
        try:
            return measure_once(url, what)
        except RuntimeError as error:
            say(f"  {error}; once more in 10 s")
            time.sleep(10)
    return measure_once(url, what)


def measure_once(url: str, what: str) -> dict[str, Any]:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.growth", "--child", what, "--url", url],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    answer = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{what}: the child failed ({child.returncode})")
    return {**json.loads(answer), "peak_rss_mb": usage.ru_maxrss / 1024}


def child(url: str, what: str) -> None:
    """One measurement, in this process: its seconds (and what it found) as JSON on stdout."""
    system = Manufactory.open(Settings(database_url=url))
    try:
        started = time.perf_counter()
        answer: dict[str, Any] = {}
        if what == "log":
            answer["events"] = read_log(system)
        elif what != "open":
            system.projections.rebuild(what)
            status = next(s for s in system.projections.status() if s.name == what)
            answer["dead_letters"] = status.dead_letters
        answer["seconds"] = time.perf_counter() - started
    finally:
        system.close()
    print(json.dumps(answer), flush=True)


def read_log(system: Any) -> int:
    """Every notification, in pages of the rebuild's batch size, each event decoded."""
    recorder, mapper = system.store.recorder, system.store.mapper
    page, position, events = system.projections.rebuild_batch_size, 0, 0
    while notifications := recorder.select_notifications(position + 1, page):
        for notification in notifications:
            mapper.to_domain_event(notification)
        events += len(notifications)
        position = notifications[-1].id
    return events


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,3000000,10000000", help="log sizes, comma-separated")
    parser.add_argument("--projections", default="all", help="comma-separated names, or all")
    parser.add_argument("--full-until", type=int, default=None, help="above this size, only --beyond's projections")
    parser.add_argument("--beyond", default="", help="comma-separated projections measured above --full-until")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped, it still drops its database
    if args.child:
        child(args.url, args.child)
        return
    names = [p.name for p in all_projections()] if args.projections == "all" else args.projections.split(",")
    results: dict[str, Any] = {"cores": os.cpu_count(), "sizes": {}}
    with fresh_postgres_database() as url:
        started = time.perf_counter()
        table, template = record_template(url)
        copies = Copies(template)
        say(f"template: {len(template)} events, {len(copies.ids)} UUIDs, {time.perf_counter() - started:.0f} s")
        next_copy = 1
        for size in (int(s) for s in args.sizes.split(",")):
            say(f"growing the log to {size:,} events ...")
            next_copy = grow(url, table, copies, next_copy, size)
            events = next_copy * len(template)
            measured = {"open": measure(url, "open"), "log": measure(url, "log")}
            say(f"  {events:,} events: log read {measured['log']['seconds']:.1f} s")
            larger = args.full_until is not None and size > args.full_until
            for name in [n for n in args.beyond.split(",") if n] if larger else names:
                measured[name] = measure(url, name)
                outcome = measured[name]
                say(
                    f"  {name}: {outcome['seconds']:.1f} s, {1e6 * outcome['seconds'] / events:.1f} µs/event, "
                    f"peak {outcome['peak_rss_mb']:.0f} MB, dead letters {outcome['dead_letters']}"
                )
            results["sizes"][events] = measured
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / "growth.json").write_text(json.dumps(results, indent=2))
    say(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
