"""Bodies of the service routes."""

from __future__ import annotations

import msgspec

from interfaces.http.bodies import Response


class ProjectionHealth(Response):
    name: str
    generation: int
    position: int
    lag: int
    last_error: str | None = None
    dead_letters: int = 0  # events set aside (``manufactory projections status`` lists them)
    replica_position: int | None = None  # on the streaming replica the queries read (if one is set)


class ReplicaHealth(Response):
    """The streaming replica the queries read (``MANUFACTORY_READ_DATABASE_URL``): how far it
    trails the primary. ``behind``: events its furthest-behind projection trails the primary's
    (what a read-your-writes query may wait for); ``error``: it could not be read."""

    lag_bytes: int | None = None  # WAL written on the primary, not replayed on the replica
    lag_seconds: float | None = None  # since it last replayed a transaction; 0 when it has all
    replay_paused: bool = False
    behind: int | None = None
    error: str | None = None


class ProcessHealth(Response):
    """The server process that answered: several may share the database (``serve --workers``),
    each running some of the background duties (projections, economics, auto-production,
    game-sync, notifications)."""

    pid: int
    duties: list[str]


class HealthSummary(Response):
    """What anyone may know: ok, or unavailable."""

    status: str


class Health(Response):
    """The whole picture, for an admin's token. ``status``: ``ok``; ``degraded`` (still a 200)
    when a projection has dead letters or a last error, named in ``degraded``; ``unavailable``
    (503) when the database is not."""

    status: str
    database: str
    head: int
    projections: list[ProjectionHealth]
    degraded: list[str] = msgspec.field(default_factory=list)
    process: ProcessHealth | None = None
    replica: ReplicaHealth | None = None


class VersionOut(Response):
    name: str
    version: str
