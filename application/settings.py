"""Runtime settings, read from the environment once at start-up.

One setting chooses the storage: with ``MANUFACTORY_DATABASE_URL`` unset everything lives in
embedded SQLite under ``./var/``; a ``postgresql://`` URL puts the event store and the read
models in that PostgreSQL database. On SQLite the URL names the event store's file and the
read models live in a file beside it (``<name>-readmodels.sqlite``): SQLite has one writer per
file, and sharing it made projection writes and commands queue behind each other.
``memory://`` keeps everything in this process (the library's POPO recorders for events, an
in-memory SQLite database for read models, a fresh one per ``sqlalchemy_url()``): what unit
tests run on, with no file and no server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path

import msgspec
from sqlalchemy.engine import URL, make_url

from application.notifications.delivery import DeliverySettings
from domain.work_limits import WorkLimits

DEFAULT_DATABASE_URL = "sqlite:///var/manufactory.sqlite"
MEMORY_URL = "memory://"
DEFAULT_POOL_SIZE = 20
DEFAULT_ESI_BASE_URL = "https://esi.evetech.net"
DEFAULT_EVE_COMPATIBILITY_DATE = "2025-08-26"
DEFAULT_EVE_USER_AGENT = "Manufactory/0.1 (self-hosted industry planner; contact: set MANUFACTORY_EVE_USER_AGENT)"
DEFAULT_EVE_CALLBACK_URL = "http://127.0.0.1:8000/v1/eve/callback"
DEFAULT_EVE_SSO_URL = "https://login.eveonline.com"
# What a linked character lets us read (README "EVE Online"): its jobs, assets, skills and
# blueprints; its roles in its corporation, and the corporation's data when it has the roles;
# markets in structures it can dock at, and those structures' names.
DEFAULT_EVE_SCOPES = (
    "esi-industry.read_character_jobs.v1",
    "esi-assets.read_assets.v1",
    "esi-skills.read_skills.v1",
    "esi-characters.read_blueprints.v1",
    "esi-characters.read_corporation_roles.v1",
    "esi-industry.read_corporation_jobs.v1",
    "esi-corporations.read_blueprints.v1",
    "esi-assets.read_corporation_assets.v1",
    "esi-markets.structure_markets.v1",
    "esi-universe.read_structures.v1",
)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    # Longest a query with ``minPosition`` waits for its projection to catch up.
    consistency_timeout_sec: float = 5.0
    # How often the projection runner looks for events written by other processes.
    projection_poll_sec: float = 0.2
    projection_batch_size: int = 500
    # Connections one server process may hold in its read-model pool (and as many again on
    # overflow; the event store's pool half that, and as many on overflow). Each process of
    # ``serve --workers N`` has its own; ``serve`` fits them all in PostgreSQL's max_connections
    # (application/connections.py).
    database_pool_size: int = DEFAULT_POOL_SIZE
    # Threads running the blocking handlers (commands, most queries) of one server process. A
    # command's thread waits for its group commit: more threads, bigger groups under load.
    handler_threads: int = 32
    # A PostgreSQL streaming replica of that database for the query routes and the console's
    # reads (projections/replica.py); None: they read the primary. Everything that writes, and
    # what commands read, stays on the primary.
    read_database_url: str | None = None
    # Tries of one failing event, alone, before the projection sets it aside as a dead letter.
    projection_attempts: int = 3
    # A rebuild renews its lease this often; a lease not renewed for the timeout is a dead
    # rebuilder's, and its half-built generation is dropped on the next start.
    rebuild_heartbeat_sec: float = 5.0
    rebuild_lease_timeout_sec: float = 15.0
    # How often the crafting ticker completes due jobs (a job ends at most this late).
    crafting_tick_sec: float = 0.05
    # A crafting world nobody used for this long is snapshotted and dropped from memory (it
    # comes back from the snapshot on its next command or read; its jobs still end on time);
    # 0: worlds stay in memory.
    crafting_idle_unload_sec: float = 600.0
    # Aggregates whose histories grow without end (crafting worlds, assets, catalogs, rosters,
    # plans) are snapshotted every this many events and restored as snapshot + the events
    # after it (application/snapshots.py); 0: no snapshots taken or used.
    snapshot_interval: int = 1000
    # Auto-production: a runner tick every interval (never at start-up); also its cooldown.
    auto_production_interval_sec: float = 1800.0
    # Market price history kept per region, in days before its newest observation.
    market_history_days: int = 30
    # The economics updater recomputes rows older than this (changes recompute at once).
    economics_interval_sec: float = 1800.0
    # How long a request's answer is kept for a client retrying with the same Idempotency-Key.
    idempotency_retention_sec: float = 86400.0
    # How long a request with an Idempotency-Key holds its key before a retry may take over
    # (a server that died mid-request never finishes it); longer than any command runs.
    idempotency_lease_sec: float = 120.0
    # Bounds on the work one command may cause (MANUFACTORY_MAX_<NAME>; domain/work_limits.py).
    work_limits: WorkLimits = msgspec.field(default_factory=WorkLimits)
    # How long a server trusts a token it has looked up: a token revoked through another
    # process stops working within this (through the same server: at once).
    token_cache_ttl_sec: float = 10.0
    # ESI, the game's API (application/eve/esi.py). The compatibility date picks the routes'
    # behaviour (ESI's replacement for /latest/ path versions); the User-Agent names the
    # install and a contact, as CCP asks of every client.
    esi_base_url: str = DEFAULT_ESI_BASE_URL
    eve_compatibility_date: str = DEFAULT_EVE_COMPATIBILITY_DATE
    eve_user_agent: str = DEFAULT_EVE_USER_AGENT
    esi_timeout_sec: float = 20.0
    esi_max_parallel_pages: int = 4
    esi_attempts: int = 4  # per request: the first try and up to three retries on 5xx and timeouts
    # Stop sending while the error budget is at or below this (ESI allows 100 errors a minute).
    esi_error_limit_floor: int = 10
    # A wait ESI asks for (Retry-After, the error-limit reset) longer than this is an EsiThrottled.
    esi_max_wait_sec: float = 65.0
    # ESI answers nobody used for this long leave the cache (projections/esi_cache.py): a
    # route's pages that shrank, a region no longer followed; an unlinked character's at once.
    esi_cache_keep_sec: float = 3 * 86400.0
    # EVE SSO (application/eve): the application registered at developers.eveonline.com. No
    # client id: linking characters is off. The secret is optional (PKCE: a public client).
    eve_client_id: str | None = None
    eve_client_secret: str | None = None
    eve_callback_url: str = DEFAULT_EVE_CALLBACK_URL
    eve_sso_url: str = DEFAULT_EVE_SSO_URL
    eve_scopes: tuple[str, ...] = DEFAULT_EVE_SCOPES
    # How long a login started at /v1/eve/login may take to come back to the callback.
    eve_login_ttl_sec: float = 600.0
    console_session_ttl_sec: float = 7 * 24 * 3600.0  # a token issued by signing in with EVE
    # Encrypts the EVE refresh tokens at rest; unset: a key file beside the database (0600).
    secret_key: str | None = None
    # The EVE sync (application/eve/sync.py): how often the loop looks for what is due (0: no
    # loop, the default of settings built in code such as the tests'; the environment's is
    # 30), each step's interval (ESI's Expires can only make it later), how soon a failed
    # step is tried again, and the regions whose market every user with a linked character
    # follows (MANUFACTORY_EVE_SYNC_REGIONS: ids separated by spaces or commas).
    eve_sync_tick_sec: float = 0.0
    eve_sync_jobs_sec: float = 600.0
    eve_sync_assets_sec: float = 3600.0
    eve_sync_skills_sec: float = 3600.0
    eve_sync_blueprints_sec: float = 3600.0
    eve_sync_market_sec: float = 3600.0
    eve_sync_retry_sec: float = 300.0
    eve_sync_regions: tuple[int, ...] = ()
    # Webhook notifications: the delivery loop's timeout, attempts, backoff and age bound, and how
    # long ended deliveries are kept.
    webhooks: DeliverySettings = msgspec.field(default_factory=DeliverySettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("MANUFACTORY_DATABASE_URL") or DEFAULT_DATABASE_URL,
            consistency_timeout_sec=float(env.get("MANUFACTORY_CONSISTENCY_TIMEOUT_SEC", 5.0)),
            database_pool_size=int(env.get("MANUFACTORY_DATABASE_POOL_SIZE", DEFAULT_POOL_SIZE)),
            handler_threads=int(env.get("MANUFACTORY_HANDLER_THREADS", 32)),
            read_database_url=env.get("MANUFACTORY_READ_DATABASE_URL") or None,
            projection_attempts=int(env.get("MANUFACTORY_PROJECTION_ATTEMPTS", 3)),
            rebuild_heartbeat_sec=float(env.get("MANUFACTORY_REBUILD_HEARTBEAT_SEC", 5.0)),
            rebuild_lease_timeout_sec=float(env.get("MANUFACTORY_REBUILD_LEASE_TIMEOUT_SEC", 15.0)),
            crafting_tick_sec=float(env.get("MANUFACTORY_CRAFTING_TICK_SEC", 0.05)),
            crafting_idle_unload_sec=float(env.get("MANUFACTORY_CRAFTING_IDLE_UNLOAD_SEC", 600.0)),
            snapshot_interval=int(env.get("MANUFACTORY_SNAPSHOT_INTERVAL", 1000)),
            auto_production_interval_sec=float(env.get("MANUFACTORY_AUTO_PRODUCTION_INTERVAL_SEC", 1800)),
            market_history_days=int(env.get("MANUFACTORY_MARKET_HISTORY_DAYS", 30)),
            economics_interval_sec=float(env.get("MANUFACTORY_ECONOMICS_INTERVAL_SEC", 1800)),
            idempotency_retention_sec=float(env.get("MANUFACTORY_IDEMPOTENCY_RETENTION_SEC", 86400)),
            work_limits=WorkLimits.from_env(env),
            token_cache_ttl_sec=float(env.get("MANUFACTORY_TOKEN_CACHE_TTL_SEC", 10.0)),
            esi_base_url=env.get("MANUFACTORY_ESI_BASE_URL") or DEFAULT_ESI_BASE_URL,
            eve_compatibility_date=env.get("MANUFACTORY_EVE_COMPATIBILITY_DATE") or DEFAULT_EVE_COMPATIBILITY_DATE,
            eve_user_agent=env.get("MANUFACTORY_EVE_USER_AGENT") or DEFAULT_EVE_USER_AGENT,
            esi_timeout_sec=float(env.get("MANUFACTORY_ESI_TIMEOUT_SEC", 20.0)),
            esi_max_parallel_pages=int(env.get("MANUFACTORY_ESI_MAX_PARALLEL_PAGES", 4)),
            esi_attempts=int(env.get("MANUFACTORY_ESI_ATTEMPTS", 4)),
            esi_error_limit_floor=int(env.get("MANUFACTORY_ESI_ERROR_LIMIT_FLOOR", 10)),
            esi_max_wait_sec=float(env.get("MANUFACTORY_ESI_MAX_WAIT_SEC", 65.0)),
            esi_cache_keep_sec=float(env.get("MANUFACTORY_ESI_CACHE_KEEP_SEC", 3 * 86400.0)),
            eve_client_id=env.get("MANUFACTORY_EVE_CLIENT_ID") or None,
            eve_client_secret=env.get("MANUFACTORY_EVE_CLIENT_SECRET") or None,
            eve_callback_url=env.get("MANUFACTORY_EVE_CALLBACK_URL") or DEFAULT_EVE_CALLBACK_URL,
            eve_sso_url=env.get("MANUFACTORY_EVE_SSO_URL") or DEFAULT_EVE_SSO_URL,
            eve_scopes=tuple(env.get("MANUFACTORY_EVE_SCOPES", "").split()) or DEFAULT_EVE_SCOPES,
            eve_login_ttl_sec=float(env.get("MANUFACTORY_EVE_LOGIN_TTL_SEC", 600)),
            console_session_ttl_sec=float(env.get("MANUFACTORY_CONSOLE_SESSION_TTL_SEC", 7 * 24 * 3600)),
            secret_key=env.get("MANUFACTORY_SECRET_KEY") or None,
            eve_sync_tick_sec=float(env.get("MANUFACTORY_EVE_SYNC_TICK_SEC", 30.0)),
            eve_sync_jobs_sec=float(env.get("MANUFACTORY_EVE_SYNC_JOBS_SEC", 600.0)),
            eve_sync_assets_sec=float(env.get("MANUFACTORY_EVE_SYNC_ASSETS_SEC", 3600.0)),
            eve_sync_skills_sec=float(env.get("MANUFACTORY_EVE_SYNC_SKILLS_SEC", 3600.0)),
            eve_sync_blueprints_sec=float(env.get("MANUFACTORY_EVE_SYNC_BLUEPRINTS_SEC", 3600.0)),
            eve_sync_market_sec=float(env.get("MANUFACTORY_EVE_SYNC_MARKET_SEC", 3600.0)),
            eve_sync_retry_sec=float(env.get("MANUFACTORY_EVE_SYNC_RETRY_SEC", 300.0)),
            eve_sync_regions=_ids(env.get("MANUFACTORY_EVE_SYNC_REGIONS", "")),
            webhooks=DeliverySettings.from_env(env),
        )

    @property
    def url(self) -> URL:
        url = make_url(self.database_url)
        if url.get_backend_name() not in ("sqlite", "postgresql", "memory"):
            raise ValueError(
                f"MANUFACTORY_DATABASE_URL must be sqlite:///, postgresql:// or memory://, got {url.drivername}"
            )
        return url

    @property
    def postgres_conninfo(self) -> str | None:
        """The PostgreSQL database as psycopg connects to it (None on SQLite and in memory)."""
        url = self.url
        if url.get_backend_name() != "postgresql":
            return None
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    @property
    def in_memory(self) -> bool:
        return self.url.get_backend_name() == "memory"

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.database or "var/manufactory.sqlite")

    @property
    def readmodel_sqlite_path(self) -> Path:
        path = self.sqlite_path
        return path.with_name(f"{path.stem}-readmodels{path.suffix}")

    @property
    def secret_key_path(self) -> Path:
        """Where the generated key lives when ``MANUFACTORY_SECRET_KEY`` is unset: beside the
        embedded database, else under ``./var/`` (servers sharing a PostgreSQL database must
        share the key: set the variable)."""
        return (self.sqlite_path.parent if self.is_sqlite else Path("var")) / "secret.key"

    def sqlalchemy_url(self) -> URL:
        if self.in_memory:
            # memdb: connections share a database by name, and wait for each other's locks
            name = f"file:/manufactory-{uuid.uuid4().hex}?vfs=memdb"
            return URL.create("sqlite", database=name, query={"uri": "true"})
        if self.is_sqlite:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            return URL.create("sqlite", database=str(self.readmodel_sqlite_path))
        return self.url.set(drivername="postgresql+psycopg")

    def replica_sqlalchemy_url(self) -> URL | None:
        """The streaming replica the queries read from (None: they read the primary). Only a
        PostgreSQL replica of a PostgreSQL primary: an embedded or in-memory database has no
        replicas, and a replica of something else could not answer for this database."""
        if self.read_database_url is None:
            return None
        if self.url.get_backend_name() != "postgresql":
            raise ValueError(
                "MANUFACTORY_READ_DATABASE_URL needs a PostgreSQL primary (MANUFACTORY_DATABASE_URL=postgresql://...): "
                f"a {self.url.get_backend_name()} database has no streaming replicas"
            )
        replica = make_url(self.read_database_url)
        if replica.get_backend_name() != "postgresql":
            raise ValueError(
                "MANUFACTORY_READ_DATABASE_URL must be postgresql://..., a streaming replica of "
                f"MANUFACTORY_DATABASE_URL, got {replica.drivername}"
            )
        return replica.set(drivername="postgresql+psycopg")

    def eventsourcing_env(self) -> dict[str, str]:
        if self.in_memory:
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.is_sqlite:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "APPLICATION_RECORDER_TOPIC": "application.sqlite_recorder:SQLiteRecorder",
            }
        url = self.url
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.database or "postgres",
            "POSTGRES_HOST": url.host or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "postgres",
            "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_POOL_SIZE": str(max(1, self.database_pool_size // 2)),
            "POSTGRES_MAX_OVERFLOW": str(self.database_pool_size),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "APPLICATION_RECORDER_TOPIC": "application.postgres_recorder:PostgresRecorder",
        }


def _ids(text: str) -> tuple[int, ...]:
    """Ids separated by spaces or commas."""
    return tuple(int(part) for part in text.replace(",", " ").split())
