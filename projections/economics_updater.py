"""The economics updater: keeps the stored production_economics rows current.

The economics projection records, per event, which rows it makes stale (``economics_pending``).
``update_pending`` brings the catalog, industry and market read models up to that projection's
position, recomputes only the rows those changes reach (a changed price: the item and every
product whose chain uses it, through the reverse index of the user's production graph; a catalog
change, new cost indices or a job site: every row of the user or region; a plan: its product),
writes the rows whose figures changed, and deletes the pending entries it handled, in one
transaction per user under the projection's registry lock (so a rebuild's swap cannot slip in
between). The shared owner is one more "user": its base rows are what every follower without
inputs of their own reads; a user gets base rows only where ``BaseRowsOwner`` says their own
inputs make them theirs, and their plan rows. ``refresh`` recomputes the (user, region) groups
whose rows are older than the interval (``MANUFACTORY_ECONOMICS_INTERVAL_SEC``), or all of them:
the spec's periodic updater, a safety net here because every change already triggers its own
recomputation.

In the server it runs in a background thread (``start``), woken by every saved event and polling
for other processes' events; recomputation is plain Python, so a full one shares the GIL with
requests but never holds a lock they wait for (queries without ``minPosition`` read what is
stored; with it, they wait at most the consistency timeout). Standalone:
``manufactory economics update | run``.

It lives on the read side: it records no event and decides nothing for the write side; it
maintains the economics read model, writing that projection's tables under its registry lock and
catching up the runtime, so it belongs beside the projection it completes.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from uuid import UUID

import msgspec
from sqlalchemy import Engine, MetaData, Table, select

from application.background import Background
from domain.catalog.catalog import SHARED_CATALOG_OWNER
from domain.catalog.chains import CatalogSnapshot, ProductionGraph
from domain.economics.dependents import Dependents
from domain.economics.region import RegionMarket
from domain.errors import DomainError, RuleViolation
from domain.events import utcnow
from projections.database import write_transaction
from projections.economics import (
    ECONOMICS,
    EVERY_REGION,
    PENDING,
    REGIONS,
    USERS,
    EconomicsProjection,
    EconomicsView,
    Pending,
    PendingKey,
    Plans,
    Scope,
    forget_pending,
    pending,
    stale_groups,
    users_with_inputs,
    widen,
    write_rows,
)
from projections.economics_service import BASE, STORED, Builds, EconomicsService, compute
from projections.market import all_regions
from projections.runtime import ProjectionRuntime
from projections.tracking import registry

log = logging.getLogger(__name__)

DEPENDENCIES = ("catalog", "industry", "market")  # the read models a row is computed from


class UpdateReport(msgspec.Struct, kw_only=True):
    users: int = 0
    regions: int = 0
    pending: int = 0  # pending entries handled
    computed: int = 0  # rows worked out
    changed: int = 0  # rows whose figures changed (version + 1)
    removed: int = 0  # rows of items no longer built
    seconds: float = 0.0


class Busy(Exception):
    """Another update holds the updater longer than the caller can wait."""


def _stored_views(
    snapshot: CatalogSnapshot,
    type_id: int,
    market: RegionMarket,
    plans: Plans,
    builds: Builds,
    owner: UUID,
    base: bool = True,
) -> list[EconomicsView]:
    """The item's stored rows in one region: its base row (unless ``base`` is False: the shared
    row answers), and its plan row when it has a plan that fits the catalog (a plan that does not
    is set aside: no plan row)."""
    views: list[EconomicsView] = []
    wanted = (BASE,) if base else ()
    for options in (*wanted, STORED) if type_id in plans else wanted:
        try:
            view = compute(snapshot, type_id, market, options, plans, builds)
        except DomainError as error:  # e.g. a chain that loops: no row
            log.debug("no economics for type %s of %s: %s", type_id, owner, error)
            return views
        if options is BASE or view.scenario == "plan":
            views.append(view)
    return views


class EconomicsUpdater(Background):
    thread_name = "economics"
    join_timeout_sec = 30.0

    def __init__(
        self,
        economics: EconomicsService,
        projections: ProjectionRuntime,
        engine: Engine,
        interval_sec: float,
        poll_sec: float = 1.0,
    ) -> None:
        self._economics = economics
        self._projections = projections
        self._engine = engine
        self.interval_sec = interval_sec
        self._poll_sec = poll_sec
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._tables: dict[int, tuple[Table, Table, Table, Table]] = {}
        # Per graph, not per user: every follower of the shared catalog without bought marks has
        # the same graph, so one reverse index serves them all; a graph with marks (a view made
        # per snapshot) gets its own for its recomputation, then it goes with the graph.
        self._dependents: weakref.WeakKeyDictionary[ProductionGraph, Dependents] = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------ updating

    def update_pending(self, owner: UUID | None = None, wait: float | None = None) -> UpdateReport:
        """Recompute what the pending entries (of ``owner`` and of the shared rows it may read,
        or everyone's) make stale. ``wait``: longest to wait for an update already running (Busy
        after that)."""
        started = time.perf_counter()
        report = UpdateReport()
        with self._turn(wait):
            generation = self._catch_up()
            owners = None if owner is None else [owner, SHARED_CATALOG_OWNER]
            with self._engine.connect() as connection:
                entries = pending(connection, self._physical(generation)[1], owners)
            by_owner: dict[UUID, list[Pending]] = defaultdict(list)
            for entry in entries:
                by_owner[entry.owner_id].append(entry)
            for user, found in by_owner.items():
                scope: Scope = {}
                for entry in found:
                    widen(scope, entry.region_id, entry.type_ids)
                self._recompute(user, scope, generation, [entry.key for entry in found], report)
        report.seconds = time.perf_counter() - started
        return report

    def refresh(self, older_than: timedelta | None = None, owner: UUID | None = None) -> UpdateReport:
        """Recompute every row of each (user, region) with a row last worked out more than
        ``older_than`` ago; with None, every row of every region (of ``owner``, or everyone's)."""
        started = time.perf_counter()
        report = self.update_pending(owner)
        with self._turn(None):
            generation = self._catch_up()
            with self._engine.connect() as connection:
                if older_than is None:
                    groups = all_regions(connection, owner)
                    if owner is None:  # users with plans but no market data of their own
                        users = users_with_inputs(connection, self._physical(generation)[3])
                        groups += [(user, EVERY_REGION) for user in users]
                else:
                    groups = stale_groups(connection, self._physical(generation)[2], utcnow() - older_than)
        by_owner: dict[UUID, Scope] = defaultdict(dict)
        for user, region in groups:
            if owner is None or user == owner:
                widen(by_owner[user], region, None)
        for user, scope in by_owner.items():
            with self._turn(None):  # one user at a time: queries waiting for their own rows get a turn
                self._recompute(user, scope, self._catch_up(), [], report)
        report.seconds = time.perf_counter() - started
        return report

    def _recompute(
        self, owner: UUID, scope: Scope, generation: int, handled: list[PendingKey], report: UpdateReport
    ) -> None:
        economics = self._economics
        rows_table, pending_table, regions_table, _ = self._physical(generation)
        regions = economics.region_ids(owner)
        base = economics.base_rows_owner(owner)
        wanted: Scope = {}
        for region, items in scope.items():
            for each in regions if region == EVERY_REGION else [region] if region in regions else []:
                widen(wanted, each, items)
        try:
            snapshot = economics.catalog(owner)
        except RuleViolation:  # no catalog: nothing to compute
            snapshot = None
        written: list[tuple[int, list[EconomicsView], frozenset[int] | None]] = []
        if snapshot is not None:
            dependents = self._dependents.get(snapshot.graph)
            if dependents is None:
                dependents = self._dependents[snapshot.graph] = Dependents(
                    snapshot.graph, snapshot.inventions, snapshot.decryptors
                )
            plans = economics.plans(owner)
            builds: Builds = {}
            for region, items in sorted(wanted.items()):
                market = economics.region(owner, region)
                own = base.own(region)  # else only plan rows: the shared base rows answer
                reached = dependents.products if own else dependents.products & plans.keys()
                products = reached if items is None else reached & dependents.of(items)
                views = []
                for type_id in sorted(products):
                    views.extend(_stored_views(snapshot, type_id, market, plans, builds, owner, own))
                written.append((region, views, reached if items is None else None))
        now = utcnow()
        with write_transaction(self._engine) as connection:
            locked = connection.execute(
                select(registry.c.active_generation)
                .where(registry.c.name == EconomicsProjection.name)
                .with_for_update()
            ).scalar_one()
            if locked != generation:
                return  # a rebuild swapped generations meanwhile: its own pending entries will follow
            for region, views, keep_only in written:
                outcome = write_rows(connection, (rows_table, regions_table), owner, region, views, now, keep_only)
                report.computed += outcome.computed
                report.changed += outcome.changed
                report.removed += outcome.removed
            forget_pending(connection, pending_table, handled)
        economics.rows_written()
        report.users += 1
        report.regions += len(written)
        report.pending += len(handled)

    def _catch_up(self) -> int:
        """This projection's pending entries, and the read models rows are computed from, up to
        at least its position; returns its live generation."""
        # One round for all of them (also moves this process's position signal, for its caches):
        # each reaches at least the head this began at, so its sources are as far as it is.
        self._projections.catch_up((EconomicsProjection.name, *DEPENDENCIES))
        with self._engine.connect() as connection:
            generation: int = connection.execute(
                select(registry.c.active_generation).where(registry.c.name == EconomicsProjection.name)
            ).scalar_one()
        return generation

    def _physical(self, generation: int) -> tuple[Table, Table, Table, Table]:
        """The rows, pending, regions and users tables of a generation (written directly: views
        are read-only)."""
        if generation not in self._tables:
            metadata = MetaData()
            self._tables[generation] = (
                ECONOMICS.physical(generation, metadata),
                PENDING.physical(generation, metadata),
                REGIONS.physical(generation, metadata),
                USERS.physical(generation, metadata),
            )
        return self._tables[generation]

    @contextmanager
    def _turn(self, wait: float | None) -> Iterator[None]:
        """One update at a time in this process (others would only repeat its work)."""
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            raise Busy("the economics updater is busy; retry shortly")
        try:
            yield
        finally:
            self._lock.release()

    # ------------------------------------------------------------ background

    def wake(self, _position: int | None = None) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._wake.set()  # a loop waiting to be woken sees the stop at once
        super().stop()

    def run_until_stopped(self) -> None:
        """Pending entries as they come, stale groups every interval, until ``stop``."""
        due = time.monotonic() + self.interval_sec
        while not self._stop.is_set():
            if self._wake.wait(self._poll_sec):
                self._wake.clear()
                self._stop.wait(0.05)  # let the projection runner apply the burst first
            try:
                report = self.update_pending()
                if time.monotonic() >= due:
                    due = time.monotonic() + self.interval_sec
                    report = self.refresh(timedelta(seconds=self.interval_sec))
                if report.computed:
                    log.info("economics: %d rows worked out, %d changed", report.computed, report.changed)
            except Exception:  # keep serving; try again on the next wake or poll
                log.exception("economics update failed")
                self._stop.wait(1.0)
