"""Snapshots of the aggregates whose histories grow without end, so a restore is the snapshot
plus the events after it instead of every event since the first.

A snapshot is a cache of what the events say, never a source of truth, so the rules are:

- It is written only after the events it covers have committed (``EventStore.save_events``
  takes it after the save), and a failed write is logged and forgotten: it never fails the
  command that saved the events.
- It is used only when the aggregate's state layout is the one this code builds: each kind
  declares a layout version (bump it when the attributes an aggregate keeps change shape),
  and the stored layout also carries a digest of the source of the packages that define the
  state, so a deploy that changed them ignores the old snapshots (one full replay, then a new
  snapshot) even if nobody bumped the number. A snapshot that does not unpickle into an
  aggregate of its id and version is ignored too.
- Audit, as-of-version reads and projection rebuilds read events, never snapshots.

The state is the aggregate pickled through its ``__getstate__`` (the form the event store's
cache already deep-copies), because the aggregates are plain classes that msgspec cannot
encode as they are. The table lives beside the events, written only by this process's own
code, so it is trusted as much as the events themselves.

Storage: one row per aggregate (the newest snapshot wins), ``aggregate_snapshots`` in the
event store's own SQLite file (created here, like the library's tables) or in the PostgreSQL
database (migration 0018); in memory a dict.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import pickle
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import msgspec
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from domain.aggregate import Aggregate
from domain.catalog.catalog import Catalog
from domain.crafting_world.world import World
from domain.industry.characters import Roster
from domain.industry.plan import Plan
from domain.stock.assets import Assets

log = logging.getLogger(__name__)
TABLE = "aggregate_snapshots"


class Layout(msgspec.Struct, frozen=True):
    """How a kind's state is laid out: a version bumped by hand, and the packages whose source
    defines the state (their digest joins the version)."""

    version: int
    packages: tuple[str, ...]


_ALWAYS = ("domain.aggregate", "domain.events")
# The aggregates that snapshot: their histories grow with use, never settle.
SNAPSHOTTED: dict[type[Aggregate], Layout] = {
    World: Layout(1, ("domain.crafting_world", "domain.crafting")),
    Assets: Layout(1, ("domain.stock",)),
    Catalog: Layout(1, ("domain.catalog",)),
    Roster: Layout(1, ("domain.industry",)),
    Plan: Layout(1, ("domain.industry",)),
}


def kind_of(aggregate_class: type[Aggregate]) -> str:
    return f"{aggregate_class.__module__}:{aggregate_class.__qualname__}"


_KINDS = {kind_of(cls): cls for cls in SNAPSHOTTED}


def layout_of(aggregate_class: type[Aggregate]) -> str:
    """``v<version>-<digest of the defining source>`` of a snapshotted kind."""
    return _layout(kind_of(aggregate_class))


@cache
def _layout(kind: str) -> str:
    layout = SNAPSHOTTED[_KINDS[kind]]
    digest = hashlib.sha256()
    for name in sorted({*_ALWAYS, *layout.packages}):
        for path in _sources(name):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return f"v{layout.version}-{digest.hexdigest()[:16]}"


def _sources(module_name: str) -> list[Path]:
    module = importlib.import_module(module_name)
    paths = getattr(module, "__path__", None)
    if paths is None:
        return [Path(module.__file__ or "")]
    return sorted(path for directory in paths for path in Path(directory).rglob("*.py"))


def snapshots(aggregate: Aggregate) -> bool:
    return type(aggregate) in SNAPSHOTTED


class StoredSnapshot(msgspec.Struct, frozen=True):
    aggregate_id: UUID
    version: int
    kind: str
    layout: str
    state: bytes


def take(aggregate: Aggregate) -> StoredSnapshot:
    cls = type(aggregate)
    return StoredSnapshot(
        aggregate.id, aggregate.version, kind_of(cls), layout_of(cls), pickle.dumps(aggregate, pickle.HIGHEST_PROTOCOL)
    )


def usable(snapshot: StoredSnapshot) -> Aggregate | None:
    """The snapshot's aggregate, or None when this code does not build that layout (or the
    bytes are not what they claim)."""
    cls = _KINDS.get(snapshot.kind)
    if cls is None or snapshot.layout != layout_of(cls):
        return None
    try:
        aggregate = pickle.loads(snapshot.state)  # noqa: S301  # our own table, beside the events
    except Exception:
        log.warning(
            "snapshot of %s at version %d does not load; replaying events",
            snapshot.aggregate_id,
            snapshot.version,
            exc_info=True,
        )
        return None
    if type(aggregate) is not cls or aggregate.id != snapshot.aggregate_id or aggregate.version != snapshot.version:
        return None
    return aggregate


class SnapshotTable(Protocol):
    def newest(self, aggregate_id: UUID) -> StoredSnapshot | None: ...

    def keep(self, snapshot: StoredSnapshot) -> None:
        """Store it unless a newer one is there already."""


class MemorySnapshots:
    def __init__(self) -> None:
        self._rows: dict[UUID, StoredSnapshot] = {}
        self._lock = threading.Lock()

    def newest(self, aggregate_id: UUID) -> StoredSnapshot | None:
        return self._rows.get(aggregate_id)

    def keep(self, snapshot: StoredSnapshot) -> None:
        with self._lock:
            kept = self._rows.get(snapshot.aggregate_id)
            if kept is None or kept.version < snapshot.version:
                self._rows[snapshot.aggregate_id] = snapshot


_COLUMNS = "aggregate_id, version, kind, layout, state"
_UPSERT = (
    f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES ({{0}}, {{0}}, {{0}}, {{0}}, {{0}}) "
    "ON CONFLICT (aggregate_id) DO UPDATE SET version = excluded.version, kind = excluded.kind, "
    f"layout = excluded.layout, state = excluded.state WHERE {TABLE}.version < excluded.version"
)
_SELECT = f"SELECT {_COLUMNS} FROM {TABLE} WHERE aggregate_id = {{0}}"


def _row(row: Sequence[Any]) -> StoredSnapshot:
    aggregate_id = row[0] if isinstance(row[0], UUID) else UUID(row[0])
    return StoredSnapshot(aggregate_id, int(row[1]), str(row[2]), str(row[3]), bytes(row[4]))


class SQLiteSnapshots:
    """In the event store's file, so a snapshot and its events share a backup."""

    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (aggregate_id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
                "kind TEXT NOT NULL, layout TEXT NOT NULL, state BLOB NOT NULL)"
            )

    def newest(self, aggregate_id: UUID) -> StoredSnapshot | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(_SELECT.format("?"), (aggregate_id.hex,))
            row = cursor.fetchone()
        return None if row is None else _row(tuple(row))

    def keep(self, snapshot: StoredSnapshot) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                _UPSERT.format("?"),
                (snapshot.aggregate_id.hex, snapshot.version, snapshot.kind, snapshot.layout, snapshot.state),
            )


class PostgresSnapshots:
    """The table comes from migration 0018 (``manufactory migrate``, run at every start)."""

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self._datastore = recorder.datastore

    def newest(self, aggregate_id: UUID) -> StoredSnapshot | None:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(_SELECT.format("%s"), (aggregate_id,))
            row = cursor.fetchone()
        return (
            None
            if row is None
            else _row([row[name] for name in ("aggregate_id", "version", "kind", "layout", "state")])
        )

    def keep(self, snapshot: StoredSnapshot) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                _UPSERT.format("%s"),
                (snapshot.aggregate_id, snapshot.version, snapshot.kind, snapshot.layout, snapshot.state),
            )


def snapshot_table(recorder: object) -> SnapshotTable:
    """Where the snapshots of this event store's recorder live."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteSnapshots(recorder)
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresSnapshots(recorder)
    return MemorySnapshots()
