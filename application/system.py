"""The composition root: one object that wires storage, projections and command services.

The only application module that knows the projections: it builds their implementations of
the write side's ports (``application.ports``) and hands them to the services, and it builds the
read side's economics services (one reading the primary, one where the queries read) and its
updater, which maintain and answer from the read models.

The server and the CLI both start from ``Manufactory.open()``; tests open one per database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from application.auto_production import AutoProductionRunner
from application.blueprints import BlueprintLibraryService
from application.catalog import SAMPLE_CATALOG, CatalogService
from application.catalog_graphs import CatalogGraphs
from application.catalog_overlays import OverlayService
from application.catalog_sources import read_catalog
from application.crafting import CraftingService
from application.duties import HURRY_PROJECTIONS, Duty, DutyElection
from application.eve.esi import EsiClient
from application.eve.links import EveLinkService
from application.eve.secrets import token_cipher
from application.eve.sso import SsoClient
from application.eve.sync import EveSync
from application.eve.sync_status import SyncStatusStore
from application.eve.vault import TokenVault
from application.event_store import EventStore
from application.game_jobs import GameJobService
from application.jobs import JobService
from application.log_head import LogHead, MemoryHead, PostgresHead, SQLiteHead
from application.manufacturing import ContainerService
from application.market import MarketService
from application.notifications.delivery import WebhookDeliverer
from application.notifications.service import NotificationService
from application.notifications.targets import WebhookTargets
from application.plans import PlanService
from application.position_signal import PositionSignal
from application.settings import Settings
from application.stock import StockService
from application.transport import TransportService
from application.users import IssuedToken, UserService
from application.world_leases import LocalLeases, PostgresLeases
from domain.catalog.universe import RouteCache
from domain.events import CommandMeta, Event
from projections.database import create_read_engine, query_engine
from projections.economics import EconomicsProjection
from projections.economics_service import EconomicsService
from projections.economics_updater import EconomicsUpdater
from projections.esi_cache import SqlResponseCache
from projections.notifications import sources as notification_sources
from projections.notifications.outbox import SqlOutbox
from projections.ports import (
    CurrentCatalogSnapshots,
    CurrentJobQueue,
    CurrentOwnedBlueprints,
    CurrentRegionMarkets,
    CurrentSlotOccupancy,
    CurrentStationRoutes,
    CurrentStockDeficits,
)
from projections.registry import all_projections
from projections.replica import Replica
from projections.runtime import ProjectionRunner, ProjectionRuntime
from projections.schema import migrate

LOCAL_USER = "local"


class Manufactory:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        replica_url = settings.replica_sqlalchemy_url()  # refused before anything opens
        self.store = EventStore(settings)
        self.read_engine = create_read_engine(settings.sqlalchemy_url(), settings.database_pool_size)
        self.query_engine = query_engine(self.read_engine)
        self.signal = PositionSignal()
        # Where the query routes and the console read, and the positions their waits watch: a
        # streaming replica's (MANUFACTORY_READ_DATABASE_URL), else the primary's.
        self.replica = (
            Replica(replica_url, self.read_engine, settings.database_pool_size, settings.projection_poll_sec)
            if replica_url is not None
            else None
        )
        self.reads = self.replica.query_engine if self.replica else self.query_engine
        self.read_signal = self.replica.signal if self.replica else self.signal
        self.projections = ProjectionRuntime(
            self.read_engine,
            self.store.recorder,
            all_projections(settings.market_history_days),
            self.signal,
            batch_size=settings.projection_batch_size,
            poll_interval=settings.projection_poll_sec,
            attempts=settings.projection_attempts,
            rebuild_heartbeat=settings.rebuild_heartbeat_sec,
            rebuild_lease_timeout=settings.rebuild_lease_timeout_sec,
        )
        self.store.on_recorded(self.projections.wake)
        self.log_head, self._head_reader = self._log_head()  # what a read-your-writes query waits for
        self.store.head_on_loop = self.log_head.current  # a command on the loop reads the head there too
        self.store.on_recorded(self.log_head.acknowledge)
        self.users = UserService(self.store)
        self.containers = ContainerService(self.store)
        self.catalogs = CatalogService(self.store, settings.work_limits)
        catalogs = CurrentCatalogSnapshots(self.projections, self.query_engine)
        self.catalog_graphs = CatalogGraphs(self.catalogs, catalogs)
        self.overlays = OverlayService(self.catalogs, self.catalog_graphs)  # own items, recipes, choices
        # Economics as the updater, the commands' markets and the CLI read it: on the primary.
        self.economics = EconomicsService(
            self.catalog_graphs, self.query_engine, self.signal, settings.projection_poll_sec
        )
        # As the query routes and the console answer it: where they read (the replica's rows and
        # positions, if one is set). Both compute with the catalog graphs the commands use. The
        # updater tells the primary's of its writes; the replica's sees them as it sees another
        # process's (kept rankings checked again within a poll interval), once replayed.
        self.read_economics = (
            EconomicsService(self.catalog_graphs, self.reads, self.read_signal, settings.projection_poll_sec)
            if self.replica
            else self.economics
        )
        markets = CurrentRegionMarkets(self.projections, self.economics.region)
        # the blueprint library: synced from the game or added by hand; plans build with the best owned
        self.blueprints = BlueprintLibraryService(self.store)
        owned_blueprints = CurrentOwnedBlueprints(self.projections, self.query_engine)
        queue = CurrentJobQueue(self.projections, self.query_engine)
        self.slot_occupancy = CurrentSlotOccupancy(self.projections, self.query_engine)
        self.route_cache = RouteCache()  # routes on each user's map: the route query's and the hauls'
        self.transport = TransportService(self.store)
        self.plans = PlanService(
            self.store,
            self.catalog_graphs,
            markets,
            owned_blueprints,
            queue,
            self.slot_occupancy,
            CurrentStationRoutes(self.projections, self.query_engine, self.route_cache),
            self.transport,
            settings.work_limits,
        )
        self.jobs = JobService(self.store, queue, self.catalog_graphs, markets, settings.work_limits)
        # the jobs the game reports per character or corporation: the board's, and the busy slots
        self.game_jobs = GameJobService(self.store)
        self.stock = StockService(self.store)
        # each crafting world in one process at a time: a lease per world on PostgreSQL
        conninfo = settings.postgres_conninfo
        self.crafting = CraftingService(
            self.store,
            tick_interval=settings.crafting_tick_sec,
            leases=LocalLeases() if conninfo is None else PostgresLeases(conninfo),
            idle_unload_sec=settings.crafting_idle_unload_sec,
            handover_timeout=settings.consistency_timeout_sec,
        )
        deficits = CurrentStockDeficits(self.projections, self.query_engine)
        self.auto_production = AutoProductionRunner(self.plans, deficits, settings.auto_production_interval_sec)
        self.market = MarketService(self.store)
        self.economics_updater = EconomicsUpdater(
            self.economics, self.projections, self.read_engine, settings.economics_interval_sec
        )
        self.eve_vault = TokenVault(self.read_engine, lambda: token_cipher(settings))
        self.eve_sso = SsoClient(settings, self.eve_vault, self.store)
        self.esi_cache = SqlResponseCache(self.read_engine, settings.esi_cache_keep_sec)
        self.eve = EveLinkService(self.store, self.eve_sso, self.eve_vault, self.esi_cache, settings, self.users)
        outbox = SqlOutbox(self.read_engine, self.store.recorder)
        self.webhook_targets = WebhookTargets(settings.webhooks.allow_private)
        self.notifications = NotificationService(self.store, outbox, self.webhook_targets)
        self.eve_sync = EveSync(
            settings,
            self.store,
            self.eve_sso,
            self.eve_vault,
            SyncStatusStore(self.read_engine),
            self.esi_client,
            self.jobs,
            self.game_jobs,
            self.stock,
            self.market,
            self.blueprints,
            self.notifications,
        )
        self.webhooks = WebhookDeliverer(outbox, settings.webhooks, self.webhook_targets)  # beside the server
        # The duties woken by some events only, by name (as writes in other processes tell them).
        self._woken_by: dict[str, tuple[Callable[[int], None], Iterable[type[Event]]]] = {
            "economics": (self.economics_updater.wake, EconomicsProjection.topics),  # what makes rows stale
            "notifications": (self.webhooks.wake, notification_sources.events()),  # what may announce
        }
        for wake, events in self._woken_by.values():
            self.store.on_recorded(wake, events)

    def _log_head(self) -> tuple[LogHead, SQLiteHead | PostgresHead | MemoryHead]:
        """The log head and its reader (closed with the system), on a connection of its own."""
        if self.settings.in_memory:
            memory_head = MemoryHead(lambda: self.store.recorder.max_notification_id() or 0)  # instant: no thread
            return LogHead(memory_head, shared=False), memory_head
        recorder: Any = self.store.recorder  # the library's SQLite or PostgreSQL recorder
        if self.settings.is_sqlite:
            sqlite_head = SQLiteHead(self.settings.sqlite_path, recorder.select_max_notification_id_statement)
            return LogHead(sqlite_head), sqlite_head  # shared: the queries of one loop turn, one read
        conninfo = self.settings.postgres_conninfo
        assert conninfo is not None  # neither SQLite nor in memory
        postgres_head = PostgresHead(conninfo, recorder.max_notification_id_statement)
        return LogHead(postgres_head), postgres_head

    def read_position(self, name: str) -> int:
        """Projection ``name``'s live position where the queries read it (the replica, if any)."""
        return self.replica.position(name) if self.replica else self.projections.position(name)

    def duty_election(self, *, run_projections: bool = True, only: str | None = None) -> DutyElection:
        """The duties that run beside a server, each in one process of those sharing the
        database; ``run_projections=False`` leaves the read models and the economics updater
        (which writes one) to ``manufactory projections run`` and ``economics run``, and
        ``only`` takes part for that one duty alone (those standalone runners)."""
        duties: dict[str, Duty] = {
            "projections": ProjectionRunner(self.projections),
            "economics": self.economics_updater,
            "auto-production": self.auto_production,  # its first tick is one interval away
            "notifications": self.webhooks,  # feeds the notification outbox and posts it
        }
        if self.settings.eve_sync_tick_sec > 0:
            duties["game-sync"] = self.eve_sync  # the characters' and regions' syncs, each when due
        if only is not None:
            chosen = {only: duties[only]}
        elif run_projections:
            chosen = duties
        else:
            chosen = {name: duty for name, duty in duties.items() if name not in ("projections", "economics")}
        election = DutyElection(
            chosen,
            self.settings.postgres_conninfo,
            on_log_moved=self._recorded_elsewhere,
            on_projection_moved=self.projections.moved_elsewhere,
            others_elsewhere=len(chosen) < len(duties),
            database=self.settings.sqlite_path if self.settings.is_sqlite else None,
        )
        self.store.on_recorded(election.log_moved)
        for name, (_, events) in self._woken_by.items():
            self.store.on_recorded(partial(election.log_moved, wakes=frozenset({name})), events)
        self.projections.hurry_elsewhere = partial(election.log_moved, wakes=frozenset({HURRY_PROJECTIONS}))
        return election

    def _recorded_elsewhere(self, position: int, wakes: frozenset[str]) -> None:
        """Another process wrote up to ``position``: wake what its own writes would wake (the
        projections at once if a query there waits for them)."""
        self.log_head.acknowledge(position)
        self.projections.wake(hurry=HURRY_PROJECTIONS in wakes)
        for name in wakes & self._woken_by.keys():
            self._woken_by[name][0](position)

    @classmethod
    def open(cls, settings: Settings | None = None, *, migrate_schema: bool = True) -> Manufactory:
        system = cls(settings or Settings.from_env())
        if migrate_schema:
            system.migrate()
        return system

    def migrate(self) -> None:
        """Bring the schema up to date, drop what a rebuild killed midway left, and create or
        rebuild the read models whose definition the database does not have yet."""
        migrate(self.read_engine)
        self.projections.drop_abandoned_rebuilds()
        self.projections.set_up()

    def esi_client(self) -> EsiClient:
        """A client for the game's API, answering from the install's shared response cache
        (the caller closes it)."""
        return EsiClient.from_settings(self.settings, self.esi_cache)

    def ensure_local_user(self) -> IssuedToken | None:
        """On a fresh embedded database, create the ``local`` user with the sample catalog so
        the server is usable at once; returns its token (to print once), or None if there is
        data already."""
        if not self.settings.is_sqlite or self.store.head() > 0:
            return None
        issued = self.users.create_user(LOCAL_USER)
        meta = CommandMeta(user_id=issued.user_id, correlation_id=str(uuid.uuid4()))
        self.catalogs.import_catalog(read_catalog(SAMPLE_CATALOG), "sample catalog", meta)
        self.projections.catch_up()
        return issued

    def close(self) -> None:
        self.eve_sync.stop()
        self.webhooks.close()
        self.crafting.close()  # its worlds released, for another process to take over at once
        self.auto_production.stop()
        self.economics_updater.stop()
        self.projections.stop()
        self.eve_sso.close()
        self.store.close()
        self._head_reader.close()
        if self.replica is not None:
            self.replica.close()
        self.read_engine.dispose()

    def __enter__(self) -> Manufactory:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
