"""Restoring a crafting world with a million job events: every event (before snapshots) against
its snapshot and the events after it, in one run.

    .venv/bin/python -m bench.snapshots [--events 1000000] [--interval 1000] [--backend postgres|sqlite|both]

On a fresh database (a new PostgreSQL database on 127.0.0.1, dropped afterwards, or a
temporary SQLite file) one world of 10 managers gets ``--events`` job events: jobs started
2,500 at a time and completed by a catch-up, saved 5,000 events per transaction (what the
crafting ticker's chunks look like). Then, as after a deploy, a restore replays every event
and leaves a snapshot; then the world gets ``--interval`` - 1 more job starts, each saved
alone: the longest tail a snapshot every ``--interval`` events leaves behind.

- before: ``EventStore.restore`` with snapshots off (``snapshot_interval=0``): every event
  folded from the first, which is what restoring a world cost before snapshots;
- after: ``EventStore.restore`` with the interval: the snapshot unpickled and the tail folded.

Each is the median of three restores in fresh event stores (no cache), and both must give the
same ``state()``. Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

import msgspec

from application.event_store import EventStore
from application.settings import Settings
from application.system import Manufactory
from bench.crafting_engine import RECIPES, STOCK
from domain.crafting_world import World
from domain.events import CommandMeta
from tests.support import fresh_database

MANAGERS = 10
STARTS_PER_SAVE = 2_500
ROUNDS = 3


def say(message: str) -> None:
    print(message, flush=True)


def build_world(store: EventStore, events: int) -> uuid.UUID:
    """A world with ``events`` job events, saved in big chunks."""
    meta = CommandMeta(user_id=uuid.uuid4(), correlation_id="bench-snapshots")
    world = World.create(uuid.uuid4(), "bench", 2024, meta)
    world.register_recipes(RECIPES, replace=False, meta=meta)
    for m in range(MANAGERS):
        world.create_inventory(f"inv-{m}", None, STOCK, meta)
        world.create_manager(f"chunk-{m}", (), meta)
    store.save_events(world)
    now, written = 0.0, 0
    while written < events:
        starts = min(STARTS_PER_SAVE, (events - written) // 2) or 1
        for n in range(starts):
            m = n % MANAGERS
            world.start(f"chunk-{m}", RECIPES[n % len(RECIPES)].id, f"player-{n % 50}", f"inv-{m}", now, meta)
        now += 1e6
        world.catch_up(now, meta)
        written += len(world.unsaved_records())
        store.save_events(world)
    return world.id


def add_tail(store: EventStore, world_id: uuid.UUID, tail: int) -> None:
    world = store.restore(world_id)
    assert isinstance(world, World)
    meta = CommandMeta(user_id=world.owner_id, correlation_id="bench-snapshots")
    for n in range(tail):
        m = n % MANAGERS
        world.start(f"chunk-{m}", RECIPES[n % len(RECIPES)].id, "late", f"inv-{m}", 2e12, meta)
        store.save_events(world)


def timed_restore(settings: Settings, world_id: uuid.UUID) -> tuple[float, object]:
    """(seconds, state) of one restore in a fresh event store."""
    store = EventStore(settings)
    try:
        began = time.perf_counter()
        world = store.restore(world_id)
        seconds = time.perf_counter() - began
        assert isinstance(world, World)
        return seconds, world.state()
    finally:
        store.close()


def run(backend: str, events: int, interval: int) -> dict[str, float]:
    with fresh_database(backend) as url:
        Manufactory.open(Settings(database_url=url)).close()  # the schema, snapshots table included
        without = Settings(database_url=url, snapshot_interval=0)
        snapshotting = msgspec.structs.replace(without, snapshot_interval=interval)
        writer = EventStore(without)
        began = time.perf_counter()
        world_id = build_world(writer, events)
        say(f"  {backend}: {writer.head():,} events written in {time.perf_counter() - began:.1f} s")
        first = EventStore(snapshotting)  # after a deploy: one full replay, which leaves a snapshot
        began = time.perf_counter()
        first.restore(world_id)
        say(f"  {backend}: first restore (full replay, snapshot taken) {time.perf_counter() - began:.2f} s")
        first.close()
        add_tail(writer, world_id, interval - 1)
        writer.close()
        befores, afters, states = [], [], []
        for _ in range(ROUNDS):
            seconds, state = timed_restore(without, world_id)
            befores.append(seconds)
            states.append(state)
            seconds, state = timed_restore(snapshotting, world_id)
            afters.append(seconds)
            states.append(state)
        assert all(state == states[0] for state in states), "snapshot + tail differs from the full replay"
        check = EventStore(snapshotting)
        tail = check.load(world_id, World, from_events=True).version - (check.snapshot_version(world_id) or 0)
        check.close()
        before, after = statistics.median(befores), statistics.median(afters)
        say(
            f"  {backend}: before {before:.2f} s (every event), after {after:.3f} s (snapshot + {tail:,} events): "
            f"{before / after:,.0f}x faster"
        )
        return {"before_sec": before, "after_sec": after, "ratio": before / after, "tail": tail}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--interval", type=int, default=1000)
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args(argv)
    say(f"world restore, {args.events:,} job events, snapshot every {args.interval:,}, Python {sys.version.split()[0]}")
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    for backend in backends:
        run(backend, args.events, args.interval)


if __name__ == "__main__":
    main()
