"""How a manager holds its running jobs (domain/crafting/running.py), specified by example.

The columns are invisible through the manager's API, so these examples check what could go
wrong only inside them: heap keys that must order as (end time, job number) for every float,
slots renumbered by compaction, columns that widen past their small integer types, and end
times that restored state carries but ``start + duration`` does not give.
"""

from __future__ import annotations

import math
import random

import msgspec

from domain.crafting import (
    CraftCompleted,
    CraftRecipe,
    CraftStarted,
    InMemoryInventories,
    ItemRequirement,
    ItemYield,
    Manager,
    RecipeRegistry,
)
from domain.crafting.running import Table, due_limit, job_key, key_end

RECIPES = (
    CraftRecipe(
        id="quick", category="c", inputs=(ItemRequirement("ore", 1),), outputs=(ItemYield("bar", 1),), duration=1.5
    ),
    CraftRecipe(
        id="slow", category="c", inputs=(ItemRequirement("ore", 2),), outputs=(ItemYield("gem", 1, 0.5),), duration=7.0
    ),
)


def make_manager(manager_id: str = "m") -> Manager:
    inventories = InMemoryInventories()
    for n in range(3):
        inventories.create(f"inv-{n}", items={"ore": 10**9})
    return Manager(manager_id, RecipeRegistry(RECIPES), inventories, seed=3)


def test_heap_keys_order_as_end_time_then_job_number_for_every_float() -> None:
    rng = random.Random(7)
    ends = [0.0, -0.0, 5e-324, -5e-324, 1.0, -1.0, 1e300, -1e300, math.inf, -math.inf]
    ends += [rng.uniform(-1e6, 1e6) for _ in range(500)] + [rng.choice(ends) for _ in range(100)]
    jobs = [(end, rng.randrange(2**63), rng.randrange(2**32)) for end in ends]
    assert sorted(jobs, key=lambda job: job_key(*job)) == sorted(jobs, key=lambda job: (job[0], job[1]))
    for end, seq, slot in jobs:
        key = job_key(end, seq, slot)
        assert key_end(key) == end and key & 0xFFFFFFFF == slot
        for now in (end, end - 0.5, end + 0.5, 0.0):
            assert (key <= due_limit(now)) is (end <= now)
    assert math.isnan(key_end(job_key(math.nan, 1, 1))) and job_key(math.nan, 1, 1) > due_limit(math.inf)


def test_a_churning_manager_completes_in_order_and_stays_compact() -> None:
    rng = random.Random(11)
    manager = make_manager()
    running: set[str] = set()
    now = 0.0
    for _ in range(3000):
        action = rng.random()
        if action < 0.6:
            recipe = rng.choice(("quick", "slow"))
            started = manager.start(recipe, f"p{rng.randrange(5)}", f"inv-{rng.randrange(3)}", now)[0]
            running.add(started.job_id)
        elif action < 0.7 and running:
            job_id = rng.choice(sorted(running))
            manager.cancel(job_id, now, refund="full")
            running.discard(job_id)
        else:
            now += rng.choice((0.0, 0.5, 1.5, 3.0))
            done = [r for r in manager.update(now) if isinstance(r, CraftCompleted)]
            assert [(r.at, int(r.job_id.split("#")[1])) for r in done] == sorted(
                (r.at, int(r.job_id.split("#")[1])) for r in done
            )
            assert all(r.at <= now for r in done)
            running.difference_update(r.job_id for r in done)
        columns = manager._running
        assert manager.job_count() == len(running) == columns.live
        assert len(columns.seqs) <= 2 * columns.live + 65  # dead slots never outnumber live ones for long
    jobs = manager.all_jobs()
    assert {job.job_id for job in jobs} == running and all(manager.has_job(job_id) for job_id in running)
    assert [job.job_id for job in jobs] == sorted(running, key=lambda job_id: int(job_id.split("#")[1]))
    assert manager.next_due() == min(job.end for job in jobs)
    twin = make_manager()
    twin.deserialize(manager.serialize())
    assert twin.all_jobs() == jobs and twin.update(now + 10.0) == manager.update(now + 10.0)


def test_restored_cycle_counts_and_end_times_outside_the_small_columns_carry_on() -> None:
    source = make_manager()
    started = source.start_repeating("quick", "p", "inv-0", 0.0)[0]
    assert isinstance(started, CraftStarted)
    odd = msgspec.structs.replace(started, cycle=2**40, end=0.25)  # not at + duration: only restored state does this
    manager = make_manager()
    manager.restore([odd])
    [job] = manager.all_jobs()
    assert (job.cycles_completed, job.end, manager.next_due()) == (2**40, 0.25, 0.25)
    records = manager.update(0.25)
    assert [type(r).__name__ for r in records] == ["CraftCompleted", "CraftStarted"]
    assert records[0].at == 0.25 and records[0].cycle == 2**40 + 1
    assert (records[1].at, records[1].end) == (0.25, 1.75)  # the next cycle is start + duration again


def test_jobs_run_on_negative_clocks() -> None:
    manager = make_manager()
    first = manager.start("quick", "p", "inv-0", -3.0)[0]
    second = manager.start("quick", "p", "inv-0", -3.0)[0]
    assert manager.update(-1.6) == ()
    done = manager.update(-1.5)
    assert [r.job_id for r in done] == [first.job_id, second.job_id] and {r.at for r in done} == {-1.5}


def test_a_table_widens_its_column_past_two_bytes_and_drops_unused_values() -> None:
    table: Table[str] = Table(flag=True)
    for n in range(40_000):
        index = table.add(str(n))
        table.column.append(index << 1 | n % 2)
    assert table.column.typecode == "I"
    assert [table.values[entry >> 1] for entry in table.column[-2:]] == ["39998", "39999"]
    table.keep([n >= 39_990 for n in range(40_000)], live=10)
    assert table.values == [str(n) for n in range(39_990, 40_000)] and table.column.typecode == "H"
    assert [(table.values[entry >> 1], entry & 1) for entry in table.column[:2]] == [("39990", 0), ("39991", 1)]
