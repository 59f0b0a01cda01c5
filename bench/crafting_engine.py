"""The crafting engine (domain/crafting) at a million jobs, in one process.

    .venv/bin/python -m bench.crafting_engine [--jobs 1000000] [--managers 1000]

Prints:
- start: time to start ``--jobs`` jobs spread over ``--managers`` managers (every start
  resolves modifiers from a source, consumes from an in-memory inventory, and builds its
  ``CraftStarted`` record);
- idle update: time of one ``update(now)`` with no due job, on one manager grown to 1k, 10k,
  100k and 1M jobs, with the ratios to 1k (1.0 means constant time), and a sweep of every
  manager of the world;
- completions: jobs completed per second while the world's clock runs past every end time
  in one-minute ticks (the updates that find nothing due are included);
- memory: bytes per running job measured with tracemalloc (the job, its heap slot, its
  entry in the manager's map and the numbers it owns), against a plain-dict baseline built
  the same way in the same run: each job a dict in a per-manager map and heap of tuples.

Default settings take about a minute on 2 cores. Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from domain.crafting import (
    CraftRecipe,
    InMemoryInventories,
    ItemRequirement,
    ItemYield,
    Manager,
    Modifiers,
    RecipeRegistry,
)
from domain.crafting.running import job_key

RECIPES = (
    CraftRecipe(
        id="iron_sword",
        category="weapons",
        inputs=(ItemRequirement("iron_ingot", 3), ItemRequirement("hammer", 1, consume=False)),
        outputs=(ItemYield("iron_sword", 1),),
        duration=60.0,
    ),
    CraftRecipe(
        id="steel",
        category="smelting",
        inputs=(ItemRequirement("coal", 2), ItemRequirement("iron_ingot", 1)),
        outputs=(ItemYield("steel", 1),),
        duration=300.0,
    ),
    CraftRecipe(
        id="gem_loot",
        category="mining",
        inputs=(ItemRequirement("geode", 1),),
        outputs=(ItemYield("stone", 2), ItemYield("ruby", 1, 0.1)),
        duration=3600.0,
    ),
)
STOCK = {"iron_ingot": 10**12, "coal": 10**12, "geode": 10**12, "hammer": 1}
OWNERS_PER_MANAGER = 50
IDLE_SIZES = (1_000, 10_000, 100_000, 1_000_000)


class Workshop:
    """A modifier source like a building: 10% faster, always the same answer."""

    modifiers = Modifiers(time_speed=0.9, source="Workshop Lvl 1")

    def get_modifiers(self, owner: str, recipe: CraftRecipe) -> Modifiers:
        return self.modifiers


def build_world(jobs: int, managers: int) -> tuple[list[Manager], float]:
    """``jobs`` running jobs over ``managers`` managers; returns them and the seconds the starts took."""
    registry = RecipeRegistry(RECIPES)
    inventories = InMemoryInventories()
    world = []
    for m in range(managers):
        inventories.create(f"inv-{m}", items=STOCK)
        world.append(Manager(f"chunk-{m}", registry, inventories, modifier_sources=[Workshop()], seed=2024))
    owners = [f"player-{n}" for n in range(OWNERS_PER_MANAGER)]
    recipe_ids = [recipe.id for recipe in RECIPES]
    per_manager = [jobs // managers + (1 if m < jobs % managers else 0) for m in range(managers)]
    began = time.perf_counter()
    for m, manager in enumerate(world):
        inventory_id = f"inv-{m}"
        start = manager.start
        for n in range(per_manager[m]):
            start(recipe_ids[n % 3], owners[n % OWNERS_PER_MANAGER], inventory_id, n * 0.01)
    return world, time.perf_counter() - began


def time_per_call(call: Callable[[], Any], calls: int, repeats: int = 5) -> float:
    """Best-of-``repeats`` seconds per call of ``call``."""
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - began) / calls)
    return best


def idle_update_scaling(sizes: list[int], rounds: int = 7, calls: int = 100_000) -> list[tuple[int, float]]:
    """For each size, a manager holding that many jobs and the time of an update with nothing due.

    The sizes are measured in interleaved rounds and each keeps its best round, so a burst of
    load from elsewhere on the machine cannot make one size look slower than another.
    """
    registry = RecipeRegistry(RECIPES)
    inventories = InMemoryInventories()
    inventories.create("inv", items=STOCK)
    managers = []
    for size in sizes:
        manager = Manager(f"idle-{size}", registry, inventories, seed=1)
        for n in range(size):
            manager.start("iron_sword", "player", "inv", n * 0.001)
        managers.append(manager)
    best = [float("inf")] * len(sizes)
    now = 59.0  # every job ends at 60 s or later
    for _ in range(rounds):
        for index, manager in enumerate(managers):
            best[index] = min(best[index], time_per_call(lambda update=manager.update: update(now), calls, repeats=1))
    return list(zip(sizes, best, strict=True))


def idle_sweep(world: list[Manager], rounds: int = 20) -> float:
    """Seconds per manager to update every manager of the world when nothing is due."""

    def sweep() -> None:
        for manager in world:
            manager.update(1.0)

    return time_per_call(sweep, rounds) / len(world)


def complete_all(world: list[Manager]) -> tuple[int, float, int]:
    """Advance the world's clock in one-minute ticks until every job is done; (completions, seconds, updates)."""
    completions = updates = 0
    began = time.perf_counter()
    now = 0.0
    while any(manager.job_count() for manager in world):
        now += 60.0
        for manager in world:
            completions += len(manager.update(now))
            updates += 1
    return completions, time.perf_counter() - began, updates


def traced_bytes(build: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes still allocated (tracemalloc) after ``build`` returns, and what it returned."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, kept


def dict_baseline(jobs: int, managers: int) -> list[tuple[dict[int, dict[str, Any]], list[tuple[float, int, dict]]]]:
    """The same jobs as plain dicts: per manager a map seq -> job dict and a heap of (end, seq, job)."""
    world = []
    owners = [f"player-{n}" for n in range(OWNERS_PER_MANAGER)]
    plans = [object() for _ in RECIPES]  # stands for the shared resolved recipe, as in the engine
    per_manager = [jobs // managers + (1 if m < jobs % managers else 0) for m in range(managers)]
    for m in range(managers):
        inventory_id = f"inv-{m}"
        index: dict[int, dict[str, Any]] = {}
        heap: list[tuple[float, int, dict]] = []
        for n in range(per_manager[m]):
            seq = n + 1
            start = n * 0.01
            job = {
                "end": start + (54.0, 270.0, 3240.0)[n % 3],
                "seq": seq,
                "plan": plans[n % 3],
                "owner": owners[n % OWNERS_PER_MANAGER],
                "inventory_id": inventory_id,
                "start": start,
                "cycles": 0,
                "repeat": False,
                "context": None,
            }
            index[seq] = job
            heapq.heappush(heap, (job["end"], seq, job))
        world.append((index, heap))
    return world


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000, help="running jobs in the world (default 1,000,000)")
    parser.add_argument("--managers", type=int, default=1_000, help="managers they are spread over (default 1,000)")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time starts, updates and completions by the wall clock (default) or by this process's CPU time, "
        "which a machine loaded by other work disturbs far less",
    )
    args = parser.parse_args(argv)
    if args.clock == "cpu":
        time.perf_counter = time.process_time  # type: ignore[assignment]  # every timing below reads CPU time
    jobs, managers = args.jobs, max(1, min(args.managers, args.jobs))
    print(
        f"crafting engine: {jobs:,} jobs over {managers:,} managers, Python {sys.version.split()[0]}, "
        f"{args.clock} clock"
    )

    world, seconds = build_world(jobs, managers)
    each = seconds / jobs * 1e6
    print(f"start       {jobs:,} jobs in {seconds:.2f} s: {jobs / seconds:,.0f} starts/s ({each:.2f} us each)")
    sweep = idle_sweep(world)
    print(f"idle update every manager of the world ({jobs // managers:,} jobs each): {sweep * 1e9:,.0f} ns per manager")
    completions, seconds, updates = complete_all(world)
    world.clear()
    print(
        f"completions {completions:,} in {seconds:.2f} s over {updates:,} updates: {completions / seconds:,.0f} "
        f"completions/s ({seconds / completions * 1e6:.2f} us each, idle updates included)"
    )
    gc.collect()

    sizes = [size for size in IDLE_SIZES if size <= jobs] or [jobs]
    scaling = idle_update_scaling(sizes)
    base = scaling[0][1]
    print(
        "idle update on one manager (nothing due): "
        + ", ".join(f"{size:,} jobs {cost * 1e9:,.0f} ns (x{cost / base:.2f})" for size, cost in scaling)
    )
    gc.collect()

    empty_bytes, kept = traced_bytes(lambda: build_world(0, managers)[0])
    del kept
    engine_bytes, kept = traced_bytes(lambda: build_world(jobs, managers)[0])
    del kept
    gc.collect()
    baseline_bytes, kept = traced_bytes(lambda: dict_baseline(jobs, managers))
    del kept
    per_job = (engine_bytes - empty_bytes) / jobs
    heap_key = sys.getsizeof(job_key(3600.0, jobs, jobs))
    print(
        f"memory      {per_job:,.0f} bytes per job (tracemalloc; {engine_bytes / jobs:,.0f} counting the managers and "
        f"inventories) vs {baseline_bytes / jobs:,.0f} for plain dicts: x{per_job / baseline_bytes * jobs:.2f}; "
        f"of which the heap key is {heap_key} bytes (allocated in 16-byte steps) plus its 8-byte list slot"
    )
    print(f"peak RSS    {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
