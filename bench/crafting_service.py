"""Persisted throughput of the event-sourced crafting service, against the pure engine and raw saves.

    .venv/bin/python -m bench.crafting_service [--jobs 20000] [--worlds 8] [--managers 10] [--threads 8]
                                                [--backend postgres|sqlite]

On a fresh database (a new PostgreSQL database on 127.0.0.1, dropped afterwards, or a
temporary SQLite file), ``--worlds`` worlds of ``--managers`` managers each:

- starts: ``--threads`` threads start ``--jobs`` jobs through ``CraftingService.command``
  (thread n drives world n mod worlds), each start one saved ``CraftJobStarted`` event;
- completions: the clock jumps past every end time and one ``tick`` completes everything,
  saved in chunks of ``CATCH_UP_LIMIT`` records;
- jobs/s: jobs started and completed per second over both phases, against (1) the pure
  engine doing the same starts and completions in memory, and (2) raw saves of the very same
  events (read back from the store, re-addressed to fresh streams) with the same batching and
  threads through ``EventStore.save_events``: the cost of persistence alone;
- restore: a second service on the same database rebuilds every world from its events.

Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence

import msgspec

from application.settings import Settings
from application.system import Manufactory
from bench.crafting_engine import RECIPES, STOCK
from domain.crafting import InMemoryInventories, Manager, RecipeRegistry
from domain.crafting_world import CATCH_UP_LIMIT, CraftJobRecorded, CraftJobStarted, World
from domain.events import CommandMeta, Event
from tests.support import fresh_database

T0 = 1_800_000_000.0


def in_threads(threads: int, work: Callable[[int], None]) -> float:
    """Seconds for ``threads`` threads to run ``work(thread_index)`` together."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:  # reported after the join
            errors.append(error)

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - began


def share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


class Shard:
    """One world, set up like a game shard: every recipe, one stocked inventory per manager."""

    def __init__(self, system: Manufactory, meta: CommandMeta, managers: int) -> None:
        self.meta = meta
        self.world_id, _ = system.crafting.create_world("bench", 2024, meta)
        self.crafting = system.crafting

        def setup(world: World, _: float) -> None:
            world.register_recipes(RECIPES, replace=False, meta=meta)
            for m in range(managers):
                world.create_inventory(f"inv-{m}", None, STOCK, meta)
                world.create_manager(f"chunk-{m}", (), meta)

        self.crafting.command(self.world_id, meta, setup)
        self.managers = managers

    def start(self, n: int) -> None:
        m = n % self.managers
        recipe_id = RECIPES[n % len(RECIPES)].id
        owner = f"player-{n % 50}"
        self.crafting.command(
            self.world_id,
            self.meta,
            lambda world, now: world.start(f"chunk-{m}", recipe_id, owner, f"inv-{m}", now, self.meta),
        )


def service_run(
    system: Manufactory, jobs: int, worlds: int, managers: int, threads: int
) -> tuple[float, float, CommandMeta, list[uuid.UUID]]:
    """(start seconds, completion seconds, the user's meta, world ids) through the service."""
    clock = [T0]
    system.crafting.clock = lambda: clock[0]
    user = system.users.create_user(f"bench-{uuid.uuid4().hex[:8]}").user_id
    meta = CommandMeta(user_id=user, correlation_id="bench")
    shards = [Shard(system, meta, managers) for _ in range(worlds)]

    def starts(index: int) -> None:
        shard = shards[index % worlds]
        for n in range(share(jobs, threads, index)):
            shard.start(n)

    started = in_threads(threads, starts)
    clock[0] = T0 + 1e6
    began = time.perf_counter()
    system.crafting.tick()
    completed = time.perf_counter() - began
    running = sum(
        system.crafting.read(s.world_id, user, lambda w, _: sum(m.job_count() for m in w.managers)) for s in shards
    )
    assert running == 0, f"{running} jobs still running"
    return started, completed, meta, [s.world_id for s in shards]


def engine_run(jobs: int, worlds: int, managers: int) -> float:
    """Seconds for the pure engine to start and complete the same jobs in memory."""
    registry = RecipeRegistry(RECIPES)
    inventories = InMemoryInventories()
    chunks = []
    for w in range(worlds):
        for m in range(managers):
            inventories.create(f"{w}-inv-{m}", items=STOCK)
            chunks.append((Manager(f"{w}-chunk-{m}", registry, inventories, seed=2024), f"{w}-inv-{m}"))
    began = time.perf_counter()
    for n in range(jobs):
        manager, inventory_id = chunks[n % len(chunks)]
        manager.start(RECIPES[n % len(RECIPES)].id, f"player-{n % 50}", inventory_id, T0)
    done = sum(len(manager.update(T0 + 1e6)) for manager, _ in chunks)
    assert done == jobs
    return time.perf_counter() - began


class _Stream:
    """Events re-addressed to a fresh stream, saved as an aggregate would save them."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.id = uuid.uuid4()
        self._next: list[Event] = []
        self._events = [
            msgspec.structs.replace(event, originator_id=self.id, originator_version=version)
            for version, event in enumerate(events, start=1)
        ]
        self._saved = 0

    def take(self, count: int) -> _Stream:
        self._next = self._events[self._saved : self._saved + count]
        self._saved += count
        return self

    def collect_events(self) -> list[Event]:
        return self._next


def raw_run(system: Manufactory, world_ids: list[uuid.UUID], jobs: int, threads: int) -> float:
    """Seconds to save the same job events with the same batching, straight through the event store."""
    histories = [[e for e in system.store.history(w) if isinstance(e, CraftJobRecorded)] for w in world_ids]
    streams = [_Stream(history) for history in histories]
    starts = [sum(isinstance(e, CraftJobStarted) for e in history) for history in histories]

    def save_starts(index: int) -> None:
        stream = streams[index % len(streams)]
        for _ in range(share(jobs, threads, index)):
            system.store.save_events(stream.take(1))  # type: ignore[arg-type]

    began = time.perf_counter()
    in_threads(threads, save_starts)
    for stream, history, started in zip(streams, histories, starts, strict=True):
        for _ in range(0, len(history) - started, CATCH_UP_LIMIT):
            system.store.save_events(stream.take(CATCH_UP_LIMIT))  # type: ignore[arg-type]
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--worlds", type=int, default=8)
    parser.add_argument("--managers", type=int, default=10, help="managers per world")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args(argv)
    jobs, worlds, threads = args.jobs, args.worlds, args.threads
    print(
        f"crafting service on {args.backend}: {jobs:,} jobs, {worlds} worlds x {args.managers} managers, "
        f"{threads} threads, Python {sys.version.split()[0]}",
        flush=True,
    )
    with fresh_database(args.backend) as url, Manufactory.open(Settings(database_url=url)) as system:
        started, completed, meta, world_ids = service_run(system, jobs, worlds, args.managers, threads)
        service = started + completed
        print(f"service     starts {jobs / started:,.0f}/s ({started:.2f} s, one saved event each)")
        print(f"            completions {jobs / completed:,.0f}/s ({completed:.2f} s, {CATCH_UP_LIMIT:,} per save)")
        print(f"            {jobs / service:,.0f} jobs started+completed/s", flush=True)

        engine = engine_run(jobs, worlds, args.managers)
        print(f"engine      {jobs / engine:,.0f} jobs/s in memory: service/engine = {engine / service:.4f}", flush=True)

        raw = raw_run(system, world_ids, jobs, threads)
        print(
            f"raw saves   {jobs / raw:,.0f} jobs/s ({2 * jobs:,} events): service/raw = {raw / service:.2f}", flush=True
        )

        events = system.store.head()
        with Manufactory.open(Settings(database_url=url)) as restarted:
            began = time.perf_counter()
            for world_id in world_ids:
                restarted.crafting.read(world_id, meta.user_id, lambda w, _: w.next_due())
            restored = time.perf_counter() - began
        print(
            f"restore     {len(world_ids)} worlds ({2 * jobs:,} job events) in {restored:.2f} s: "
            f"{2 * jobs / restored:,.0f} events/s ({events:,} events in the log)"
        )


if __name__ == "__main__":
    main()
