"""The shared catalog's cost per user (``python -m bench.run --only shared``).

An admin imports the SDE-sized synthetic catalog (``bench/synthetic_catalog.py``) once as the
shared catalog; then 1, 10 and 100 users follow it, each with an overlay (five items marked
bought) and one chain query through the real server. Measured per user, between 10 and 100
users (goal: under 1 MB each):

- disk: the database's growth (events and read models both: an upper bound on the read
  models), and the catalog read-model rows keyed by the user (exact);
- server memory: the serving process's resident set growth while the users' first queries
  build what it keeps for them.

Baseline in the same run: one user who imports the same catalog privately (the disk it adds),
and the chain query's speed for that private user against a follower with an overlay (goal:
ratio >= 0.9, the same speed), and against a follower whose overlay also holds a blueprint
variant of their own for an item of the chain, chosen over the catalog's.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy import Engine, func, select, text

from application.settings import Settings
from application.system import Manufactory
from bench.loadgen import load, request_bytes
from bench.synthetic_catalog import deepest_item, synthetic_catalog
from domain.catalog.model import CatalogData, Recipe, RecipeChoice
from domain.events import CommandMeta
from projections.catalog import CatalogProjection
from tests.support import serving

USERS = (1, 10, 100)
ROUNDS = 3
MB = 1024 * 1024


def say(message: str) -> None:
    print(message, flush=True)


def database_bytes(engine: Engine, url: str) -> int:
    """The whole database's size: the SQLite files (after a checkpoint), or PostgreSQL's own count."""
    if url.startswith("sqlite"):
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        folder = Path(url.removeprefix("sqlite:///")).parent
        return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)


def rows_of(system: Manufactory, user: Any) -> int:
    """Catalog read-model rows keyed by ``user``, over every catalog table."""
    with system.query_engine.connect() as connection:
        return sum(
            int(connection.execute(select(func.count()).where(table.view.c.owner_id == user)).scalar() or 0)
            for table in CatalogProjection.tables
        )


def own_variant(data: CatalogData, root: int) -> Recipe:
    """A blueprint variant of a user's own for the first built input of ``root``: a new id, one
    more Tritanium-like unit of its first material (a second way to build that item)."""
    recipes = {recipe.activities[0].products[0].type_id: recipe for recipe in data.recipes}
    below = next(m.type_id for m in recipes[root].activities[0].materials if m.type_id in recipes)
    activity = recipes[below].activities[0]
    first, *rest = activity.materials
    materials = (msgspec.structs.replace(first, quantity=first.quantity + 1), *rest)
    changed = msgspec.structs.replace(activity, materials=materials)
    return Recipe(recipe_id=9_000_000, name="My variant", activities=(changed,))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def shared_catalog(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    data = synthetic_catalog()
    root = deepest_item(data)
    bought = [data.recipes[n].activities[0].products[0].type_id for n in range(0, 5000, 1000)]
    system = Manufactory.open(Settings(database_url=url))
    try:
        admin = system.users.create_user("admin", admin=True)
        started = time.perf_counter()
        system.catalogs.import_shared(data, "synthetic", CommandMeta(user_id=admin.user_id, correlation_id="bench"))
        system.projections.catch_up()
        say(f"  shared import and chains built in {time.perf_counter() - started:.1f}s")
        before_private = database_bytes(system.read_engine, url)
        private = system.users.create_user("private")
        system.catalogs.import_catalog(data, "synthetic", CommandMeta(user_id=private.user_id, correlation_id="b"))
        system.projections.catch_up()
        private_bytes = database_bytes(system.read_engine, url) - before_private
        private_rows = rows_of(system, private.user_id)
        say(f"  a private import of the same catalog adds {private_bytes / MB:.1f} MB, {private_rows} rows")
        # one more follower with a blueprint variant of their own for an item of the chain, chosen
        variant = own_variant(data, root)
        custom = system.users.create_user("custom")
        meta = CommandMeta(user_id=custom.user_id, correlation_id="bench")
        system.catalogs.mark_bought(bought, meta)
        system.overlays.add_own([], [variant], meta)
        made = variant.activities[0].products[0].type_id
        system.overlays.choose([RecipeChoice(type_id=made, recipe_id=variant.recipe_id)], meta)
        tokens: list[str] = []
        disk: dict[int, int] = {}
        rows: dict[int, int] = {}
        for count in USERS:
            while len(tokens) < count:
                user = system.users.create_user(f"u{len(tokens)}")
                meta = CommandMeta(user_id=user.user_id, correlation_id="bench")
                system.catalogs.mark_bought(bought, meta)
                tokens.append(user.token)
                last = user.user_id
            system.projections.catch_up()
            disk[count] = database_bytes(system.read_engine, url)
            rows[count] = rows_of(system, last)
            say(f"  {count} followers: database {disk[count] / MB:.1f} MB, rows of the last one {rows[count]}")
    finally:
        system.close()
    path = f"/v1/production/chains/{root}/materials?me=10&runs=1"
    memory: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as cwd, serving(Path(cwd), url, ready_sec=600) as server:
        port = int(server.url.rsplit(":", 1)[1])
        asked = 0
        for count in USERS:
            for token in tokens[asked:count]:
                httpx.get(server.url + path, headers=_bearer(token), timeout=300).raise_for_status()
            asked = count
            time.sleep(0.5)
            memory[count] = rss_bytes(server.process.pid)
            say(f"  {count} followers asked: server RSS {memory[count] / MB:.1f} MB")
        follower, owner = request_bytes("GET", path, tokens[-1]), request_bytes("GET", path, private.token)
        customised = request_bytes("GET", path, custom.token)
        rates: dict[str, list[float]] = {"follower": [], "private": [], "custom": []}
        load(port, lambda c, n: follower, concurrency=concurrency, seconds=1)  # warm-up
        load(port, lambda c, n: owner, concurrency=concurrency, seconds=1)
        for _ in range(ROUNDS):
            for name, request in (("private", owner), ("follower", follower), ("custom", customised)):
                result = load(port, lambda c, n, r=request: r, concurrency=concurrency, seconds=seconds)
                assert result.ok() == result.requests, result.statuses
                rates[name].append(result.per_second)
    follower_rate, private_rate = statistics.median(rates["follower"]), statistics.median(rates["private"])
    custom_rate = statistics.median(rates["custom"])
    say(f"  materials/s: follower {follower_rate:.0f}, private {private_rate:.0f}, own recipe {custom_rate:.0f}")
    disk_per_user = (disk[100] - disk[10]) / 90
    memory_per_user = (memory[100] - memory[10]) / 90
    say(f"  per user (10 -> 100): disk {disk_per_user / 1024:.1f} KB, server memory {memory_per_user / 1024:.1f} KB")
    return {
        "types": len(data.items),
        "recipes": len(data.recipes),
        "private_catalog_bytes": private_bytes,
        "private_catalog_rows": private_rows,
        "database_bytes": disk,
        "rows_of_last_follower": rows,
        "server_rss_bytes": memory,
        "disk_bytes_per_follower": disk_per_user,
        "memory_bytes_per_follower": memory_per_user,
        "follower_materials_per_sec": follower_rate,
        "private_materials_per_sec": private_rate,
        "own_recipe_follower_materials_per_sec": custom_rate,
        "own_recipe_ratio": custom_rate / private_rate,
        "ratio": follower_rate / private_rate,
        "goal": 0.9,
    }
