"""Queries read from a PostgreSQL streaming replica (``MANUFACTORY_READ_DATABASE_URL``) and still
see every write acknowledged before them: they wait until the replica's projection positions
reach what they need, at most the consistency timeout, then answer 503 as on the primary.
Commands write to the primary. Runs on a primary and replica of its own (``streaming_replica``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from application.settings import Settings
from application.system import Manufactory
from tests.conftest import Api
from tests.integration.test_api_manufacturing import CONFIG, register
from tests.support import StreamingPair

TIMEOUT_SEC = 1.0


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def system(streaming_replica: StreamingPair) -> Iterator[Manufactory]:
    """The system on the pair's primary, its queries reading the replica (the ``client``,
    ``alice`` and ``operator`` fixtures take this one)."""
    with streaming_replica.fresh_database() as (primary_url, replica_url):
        settings = Settings(
            database_url=primary_url,
            read_database_url=replica_url,
            consistency_timeout_sec=TIMEOUT_SEC,
            projection_poll_sec=0.05,
        )
        with Manufactory.open(settings) as opened:
            yield opened


@contextmanager
def replay_paused(streaming_replica: StreamingPair) -> Iterator[None]:
    """The replica stops replaying the primary's WAL, until the block ends."""
    streaming_replica.on_replica("SELECT pg_wal_replay_pause()")
    try:
        deadline = time.monotonic() + 5
        while streaming_replica.on_replica("SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() < deadline, "the replica did not pause"
            time.sleep(0.01)
        yield
    finally:
        streaming_replica.on_replica("SELECT pg_wal_replay_resume()")


def test_a_read_through_the_replica_sees_the_write_just_made_on_the_primary(
    system: Manufactory, alice: Api, streaming_replica: StreamingPair
) -> None:
    assert system.replica is not None and system.reads.url.port == streaming_replica.replica_port
    register(alice)
    for workers in range(6, 11):
        changed = ok(alice.patch(CONFIG, json={"maxWorkers": workers}))
        assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == workers
        assert system.replica.position("manufacturing") >= changed["position"]


def test_a_paused_replica_holds_reads_back_until_the_timeout_and_health_shows_its_lag(
    system: Manufactory, alice: Api, operator: Api, streaming_replica: StreamingPair
) -> None:
    register(alice)
    assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == 5
    assert caught_up(operator)["replayPaused"] is False

    with replay_paused(streaming_replica):
        changed = ok(alice.patch(CONFIG, json={"maxWorkers": 9}))  # on the primary, at once
        started = time.monotonic()
        lagging = alice.get(CONFIG)
        waited = time.monotonic() - started
        assert lagging.status_code == 503, lagging.text
        assert lagging.json()["field"] == "consistency"
        assert "consistency=eventual" in lagging.json()["detail"]
        assert TIMEOUT_SEC <= waited < TIMEOUT_SEC + 3
        # the primary's read model has the write; what the replica holds has not
        _wait_for(lambda: system.projections.position("manufacturing") >= changed["position"])
        assert ok(alice.get(CONFIG, params={"consistency": "eventual"}))["config"]["maxWorkers"] == 5

        health = ok(operator.get("/health"))
        assert health["replica"]["replayPaused"] is True
        assert health["replica"]["lagBytes"] > 0
        assert health["replica"]["behind"] >= 1
        manufacturing = next(p for p in health["projections"] if p["name"] == "manufacturing")
        assert manufacturing["replicaPosition"] < manufacturing["position"]

    assert ok(alice.get(CONFIG))["config"]["maxWorkers"] == 9  # replay resumed: the read waits for it
    assert caught_up(operator)["replayPaused"] is False


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "not within 5 s"
        time.sleep(0.02)


def caught_up(operator: Api) -> dict[str, Any]:
    """The replica's health once every read model there has reached the primary's (milliseconds)."""
    deadline = time.monotonic() + 5
    while (replica := ok(operator.get("/health"))["replica"])["behind"] > 0:
        assert time.monotonic() < deadline, replica
        time.sleep(0.02)
    assert replica["lagSeconds"] < 5
    return replica
