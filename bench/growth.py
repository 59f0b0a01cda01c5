"""Growth: rebuild time and peak memory of every projection, and the notification log's read,
at several sizes of one PostgreSQL event store (issue 16: linear time, bounded memory).

    .venv/bin/python -m bench.growth [--sizes 1000000,3000000,10000000] [--projections all]
        [--keep PREFIX | --existing PREFIX | --drop PREFIX] [--timeout SECONDS]

On a fresh PostgreSQL database, the events of every projection are recorded once through the
real application (``record_every_kind_of_event``, the parity test's mix: a user with tokens,
containers, a catalog, plans, runs, jobs, characters, assets, markers, a market batch; 78
events). The store then grows by copies of those stored events (their JSON as the event
store's encoder wrote it), each copy a user of its own: every UUID in it, ids and references
alike, mapped to a new one, the user's name suffixed. Copies are written with ``COPY`` (the
library's one-save-at-a-time path would take hours), then the table is vacuumed and analysed.

At each size every measurement runs in a child process of its own (``--child``), whose peak
resident memory and CPU time are read when it ends (``os.wait4``: that child's own
``rusage``, not the database server's; a child that only opens the application gives the
floor):

- ``log``: the whole notification log read in pages of the rebuild's batch size, every event
  decoded, nothing applied;
- each projection: ``ProjectionRuntime.rebuild`` (``manufactory projections rebuild``), with
  its dead letters counted after (a copy that broke a projection would show there).

``--projections`` names what is measured: ``log`` and projections, ``all`` for every one.
Time per event is over the whole log (each projection reads only its own events, but over
all of it); linear growth keeps it flat, bounded memory keeps the peak flat. A measurement
that outlasts ``--timeout`` is stopped and reported as such.

The growing database is dropped at the end. Writing 10,000,000 events takes most of an hour
on a loaded machine, so the stores can be kept and measured again later:

- ``--keep PREFIX``: at each size the grown store is kept as the database ``PREFIX_<size>``
  (``growth_1m``, ``growth_300k``; a copy made with ``CREATE DATABASE ... TEMPLATE``, the
  last size by renaming the growing database itself), and measured there;
- ``--existing PREFIX``: nothing is grown; ``--projections`` are measured on the kept
  databases of ``--sizes`` (rebuilding a projection replaces its tables in that database);
- ``--drop PREFIX``: the kept databases of ``--sizes`` are dropped.

Results go to stdout and bench/results/growth.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
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
from tests.support import PG_ADMIN_URL, database_name, database_url, drop_database, fresh_postgres_database, interrupt

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


def measure(url: str, what: str, timeout: float | None, attempts: int = 3) -> dict[str, Any]:
    """Run ``what`` in a child process; its answer, with its seconds and peak RSS. Tried
    again when the child fails: the shared server refuses connections when others' suites
    take them all ("too many clients")."""
    for _ in range(attempts - 1):
        try:
            return measure_once(url, what, timeout)
        except RuntimeError as error:
            say(f"  {error}; once more in 10 s")
            time.sleep(10)
    return measure_once(url, what, timeout)


def measure_once(url: str, what: str, timeout: float | None) -> dict[str, Any]:
    """One child. One that outlasts ``timeout`` is interrupted (SIGINT: a rebuild then drops
    its new tables and gives its lease back) and killed a minute later if it has not ended;
    its answer says so, and it is not tried again."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.growth", "--child", what, "--url", url],
        stdout=subprocess.PIPE,
        text=True,
    )
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        os.kill(child.pid, signal.SIGINT)  # not child.send_signal: its poll() could reap the child

    kill = threading.Timer((timeout or 0) + 60, os.kill, (child.pid, signal.SIGKILL))
    timers = [threading.Timer(timeout, stop), kill] if timeout else []
    try:
        for timer in timers:
            timer.start()
        assert child.stdout is not None
        answer = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        for timer in timers:
            timer.cancel()
        if child.returncode is None:  # this process was stopped while it waited
            interrupt(child, timeout=60)
    peak = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime  # the child's own, not the database server's
    if stopped.is_set():
        return {"seconds": None, "stopped_after": timeout, "peak_rss_mb": peak, "cpu_seconds": cpu}
    if child.returncode != 0:
        raise RuntimeError(f"{what}: the child failed ({child.returncode})")
    return {**json.loads(answer), "peak_rss_mb": peak, "cpu_seconds": cpu}


def child(url: str, what: str) -> None:
    """One measurement, in this process: its seconds (and what it found) as JSON on stdout."""
    system = Manufactory.open(Settings(database_url=url))
    try:
        started = time.perf_counter()
        answer: dict[str, Any] = {}
        if what == "open":
            answer["events"] = system.store.recorder.max_notification_id() or 0
        elif what == "log":
            answer["events"] = read_log(system)
        else:
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


def kept_name(prefix: str, size: int) -> str:
    """``growth_1m`` for 1,000,000 events, ``growth_300k``, ``growth_1234`` for the rest."""
    for unit, suffix in ((1_000_000, "m"), (1_000, "k")):
        if size % unit == 0:
            return f"{prefix}_{size // unit}{suffix}"
    return f"{prefix}_{size}"


def keep(growing: str, kept: str, last: bool) -> None:
    """Keep the grown store as ``kept``: a copy (no connection may be open to the template,
    so it is retried while the last one closes), or, for the last size, the store itself."""
    statement = (
        f'ALTER DATABASE "{growing}" RENAME TO "{kept}"'
        if last
        else f'CREATE DATABASE "{kept}" TEMPLATE "{growing}" STRATEGY FILE_COPY'
    )
    started = time.perf_counter()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        for attempt in range(100):
            try:
                admin.execute(statement)
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 99:
                    raise
                time.sleep(0.2)
    say(f"  kept as {kept} ({time.perf_counter() - started:.0f} s)")


def existing(names: list[str]) -> list[str]:
    with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as admin:
        rows = admin.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", [names]).fetchall()
    return [row[0] for row in rows]


def measure_all(url: str, names: list[str], timeout: float | None) -> dict[str, Any]:
    """The floor (a child that only opens the application), then each of ``names``."""
    measured = {"open": measure(url, "open", None)}
    events = measured["open"]["events"]
    with psycopg.connect(libpq(url)) as connection:
        (size,) = connection.execute("SELECT pg_database_size(current_database())").fetchone() or (0,)
    say(f"  {database_name(url)}: {events:,} events, {size / 2**30:.1f} GiB, load {os.getloadavg()[0]:.1f}")
    measured["database_gib"] = size / 2**30
    for name in names:
        say(f"  {name} ... ({time.strftime('%H:%M:%S')}, load {os.getloadavg()[0]:.1f})")
        measured[name] = outcome = measure(url, name, timeout)
        if outcome["seconds"] is None:
            say(f"  {name}: stopped after {timeout:.0f} s, peak {outcome['peak_rss_mb']:.0f} MB")
            continue
        dead = f", dead letters {outcome['dead_letters']}" if "dead_letters" in outcome else ""
        say(
            f"  {name}: {outcome['seconds']:.1f} s, {1e6 * outcome['seconds'] / max(events, 1):.1f} µs/event, "
            f"CPU {outcome['cpu_seconds'] - measured['open']['cpu_seconds']:.1f} s beyond opening, "
            f"peak {outcome['peak_rss_mb']:.0f} MB{dead}"
        )
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,3000000,10000000", help="log sizes, comma-separated")
    parser.add_argument("--projections", default="all", help="comma-separated: log and projections, or all")
    parser.add_argument("--full-until", type=int, default=None, help="above this size, only --beyond's projections")
    parser.add_argument("--beyond", default="", help="comma-separated projections measured above --full-until")
    parser.add_argument("--timeout", type=float, default=None, help="seconds before a measurement is stopped")
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument("--keep", metavar="PREFIX", help="keep the store at each size as PREFIX_<size>")
    kept.add_argument("--existing", metavar="PREFIX", help="measure the kept PREFIX_<size>, growing nothing")
    kept.add_argument("--drop", metavar="PREFIX", help="drop the kept PREFIX_<size>")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped, it still drops its database
    if args.child:
        child(args.url, args.child)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    names = ["log", *(p.name for p in all_projections())] if args.projections == "all" else args.projections.split(",")
    if args.drop:
        for size in sizes:
            drop_database(kept_name(args.drop, size))
            say(f"dropped {kept_name(args.drop, size)} (if it existed)")
        return
    prefix = args.keep or args.existing
    wanted = [kept_name(prefix, size) for size in sizes] if prefix else []
    found = existing(wanted)
    if args.keep and found:
        raise SystemExit(f"already kept: {', '.join(found)} (--drop {args.keep} first, or --existing)")
    if args.existing and len(found) < len(wanted):
        raise SystemExit(f"not kept: {', '.join(sorted(set(wanted) - set(found)))}")
    results: dict[str, Any] = {"cores": os.cpu_count(), "sizes": {}}

    def record(size: int, url: str) -> None:
        larger = args.full_until is not None and size > args.full_until
        measured = measure_all(url, [n for n in args.beyond.split(",") if n] if larger else names, args.timeout)
        results["sizes"][measured["open"]["events"]] = measured
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "growth.json").write_text(json.dumps(results, indent=2))

    if args.existing:
        for size in sizes:
            record(size, database_url(kept_name(args.existing, size)))
    else:
        with fresh_postgres_database() as url:
            started = time.perf_counter()
            table, template = record_template(url)
            copies = Copies(template)
            say(f"template: {len(template)} events, {len(copies.ids)} UUIDs, {time.perf_counter() - started:.0f} s")
            next_copy = 1
            for size in sizes:
                say(f"growing the log to {size:,} events ... ({time.strftime('%H:%M:%S')})")
                next_copy = grow(url, table, copies, next_copy, size)
                if args.keep:
                    keep(database_name(url), kept_name(args.keep, size), last=size == sizes[-1])
                record(size, database_url(kept_name(args.keep, size)) if args.keep else url)
    say(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
