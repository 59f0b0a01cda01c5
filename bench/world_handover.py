"""Crafting worlds moving between processes on one PostgreSQL database: what a command costs
when its world is held by another process (a handover) against one on the process holding it,
and how long a dead owner's world takes to move, in one run.

    .venv/bin/python -m bench.world_handover [--commands 200] [--jobs 0 1000]

Two "processes" are two systems on a fresh database (dropped afterwards) in this process, each
with a crafting service of its own (its own leases, event store and cache), as in
tests/integration/test_world_leases.py. One world per ``--jobs`` size (that many running jobs:
what a snapshot carries); then, timed per command:

- owner: ``add_items`` through the process holding the world (no handover);
- handover: ``add_items`` through the other process each time (alternating), so every command
  asks the owner, waits for it to snapshot, drop and release the world, then takes it and
  restores it from the snapshot.

Median and p95 of ``--commands`` each. Then takeover: the owner's heartbeat stops (its rows
stay, as after SIGKILL) and the other's ticker loop is timed until it holds the world, with the
default lease (1.5 s). Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from application.crafting import CraftingService
from application.settings import Settings
from application.system import Manufactory
from application.world_leases import LEASE_SEC, PostgresLeases
from bench.crafting_engine import RECIPES, STOCK
from domain.crafting_world import World
from domain.events import CommandMeta
from tests.support import fresh_postgres_database


def say(message: str) -> None:
    print(message, flush=True)


def a_world(service: CraftingService, jobs: int) -> tuple[uuid.UUID, CommandMeta]:
    meta = CommandMeta(user_id=uuid.uuid4(), correlation_id="bench-handover")
    world_id, _ = service.create_world("bench", 2024, meta)

    def setup(world: World, now: float) -> None:
        world.register_recipes(RECIPES, replace=False, meta=meta)
        world.create_inventory("inv", None, STOCK, meta)
        world.create_manager("m", (), meta)
        for n in range(jobs):
            world.start("m", RECIPES[n % len(RECIPES)].id, f"player-{n % 50}", "inv", now + 1e9, meta)

    service.command(world_id, meta, setup)
    return world_id, meta


def timed(services: list[CraftingService], world_id: uuid.UUID, meta: CommandMeta, commands: int) -> list[float]:
    seconds = []
    for n in range(commands):
        service = services[n % len(services)]
        began = time.perf_counter()
        service.command(world_id, meta, lambda w, _: w.add_items("inv", {"bench": 1}, meta))
        seconds.append(time.perf_counter() - began)
    return seconds


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--jobs", type=int, nargs="+", default=[0, 1000])
    args = parser.parse_args()
    with fresh_postgres_database() as url:
        settings = Settings(database_url=url)
        conninfo = settings.postgres_conninfo
        assert conninfo is not None
        with Manufactory.open(settings) as first, Manufactory.open(settings, migrate_schema=False) as second:
            one, other = (
                CraftingService(system.store, tick_interval=0.01, leases=PostgresLeases(conninfo, owner=name))
                for system, name in ((first, "one"), (second, "two"))
            )
            for jobs in args.jobs:
                world_id, meta = a_world(one, jobs)
                owner = timed([one], world_id, meta, args.commands)
                moved = timed([other, one], world_id, meta, args.commands)
                ratio = statistics.median(moved) / statistics.median(owner)
                say(
                    f"{jobs} running jobs: owner median {statistics.median(owner) * 1000:.2f} ms "
                    f"(p95 {p95(owner) * 1000:.2f}), handover median {statistics.median(moved) * 1000:.2f} ms "
                    f"(p95 {p95(moved) * 1000:.2f}): {ratio:.1f}x"
                )
            world_id, meta = a_world(one, 0)
            one.leases.close()  # the heartbeat stops; the rows stay
            began = time.perf_counter()
            while world_id not in other.in_memory():
                other.tick()
                time.sleep(0.01)
            took = time.perf_counter() - began
            say(f"takeover after the owner's heartbeat stopped: {took:.2f} s (lease {LEASE_SEC} s)")
            other.close()
            one.close()


if __name__ == "__main__":
    main()
