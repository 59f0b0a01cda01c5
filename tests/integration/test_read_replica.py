"""Queries read from a PostgreSQL streaming replica (``MANUFACTORY_READ_DATABASE_URL``) and still
see every write acknowledged before them: they wait until the replica's projection positions
reach what they need, at most the consistency timeout, then answer 503 as on the primary.
Commands write to the primary. The economics answers read the replica too; the rows the
economics updater works out for a ``minPosition`` are written on the primary, and the answer
waits until the replica has replayed them. Runs on a primary and replica of its own
(``streaming_replica``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from application.settings import Settings
from application.system import Manufactory
from interfaces.http.economics.queries import READ_MODELS
from tests.conftest import Api
from tests.integration import test_api_economics as econ
from tests.integration.test_api_manufacturing import CONFIG, register
from tests.support import StreamingPair

TIMEOUT_SEC = 6.0  # short for the 503s, but the primary's runner alone took over 3 s with 3 test workers on 2 cores


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


def gift_priced(api: Api, price: float) -> int:
    """The Forge's price of G, all X (901) is made from; the log position of the change."""
    batch = {"regionId": econ.FORGE, "quotes": [{"typeId": econ.G, "lowestSell": price, "highestBuy": price / 2}]}
    return int(ok(api.post("/v1/market/prices", json=batch), 201)["position"])


def gadget(api: Api, **params: Any) -> Any:
    """The answer about X in The Forge."""
    return api.get(f"/v1/production/economics/{econ.X}", params={"region_id": econ.FORGE, **params})


def gadget_cost(api: Api, **params: Any) -> float:
    return float(ok(gadget(api, **params))["materialCost"]["value"])


def test_economics_answers_come_from_the_replica_and_wait_for_it_like_every_query(
    system: Manufactory, alice: Api, streaming_replica: StreamingPair
) -> None:
    position = econ.setup(alice)
    assert gadget_cost(alice, minPosition=position) == 0.0  # G is free

    with replay_paused(streaming_replica):
        position = gift_priced(alice, 2.0)  # on the primary, at once
        started = time.monotonic()
        lagging = gadget(alice, minPosition=position)
        assert lagging.status_code == 503, lagging.text
        assert lagging.json()["field"] == "minPosition"
        assert "on the read replica" in lagging.json()["detail"]
        assert TIMEOUT_SEC <= time.monotonic() - started < TIMEOUT_SEC + 3
        # the primary's row has the new price; the replica's row and prices do not, and answer
        system.economics_updater.update_pending(alice.user_id)
        assert system.economics.economics(alice.user_id, econ.X, econ.FORGE).material_cost.value == 2.0
        assert ok(gadget(alice, consistency="eventual"))["source"] == "projection"
        assert gadget_cost(alice, consistency="eventual") == 0.0
        assert gadget_cost(alice, consistency="eventual", runs=2) == 0.0  # worked out on request

    replayed(system)  # what piled up while paused (seconds on a loaded machine, beyond the timeout)
    assert gadget_cost(alice, minPosition=position) == 2.0
    assert gadget_cost(alice, minPosition=position, runs=2) == 4.0


def test_an_economics_read_after_a_price_change_sees_it_through_the_replica_every_time(alice: Api) -> None:
    econ.setup(alice)
    for price in (1.0, 2.0, 3.0, 5.0, 8.0):
        position = gift_priced(alice, price)
        assert gadget_cost(alice, minPosition=position) == price
        opportunities = {"region_id": econ.FORGE, "minPosition": position, "limit": 1000}
        ranked = ok(alice.get("/v1/production/economics/opportunities", params=opportunities))["items"]
        assert [item["profit"] for item in ranked if item["typeId"] == econ.X] == [1_000.0 - price]


def test_the_rows_a_read_has_worked_out_on_the_primary_are_awaited_on_the_replica(
    system: Manufactory, alice: Api, streaming_replica: StreamingPair
) -> None:
    position = econ.setup(alice)
    assert gadget_cost(alice, minPosition=position) == 0.0
    system.economics_updater.stop()  # the rows are worked out by the reads alone (as by a slow updater)
    position = gift_priced(alice, 2.0)
    _wait_for(
        lambda: all(system.replica is not None and system.replica.position(name) >= position for name in READ_MODELS)
    )

    with replay_paused(streaming_replica):  # the replica has the price, not yet the rows made from it
        lagging = gadget(alice, minPosition=position)
        assert lagging.status_code == 503, lagging.text
        assert lagging.json()["field"] == "minPosition"
        assert "replayed the primary's WAL" in lagging.json()["detail"]
        # the read had the updater work the row out on the primary
        assert system.economics.economics(alice.user_id, econ.X, econ.FORGE).material_cost.value == 2.0

    replayed(system)
    assert gadget_cost(alice, minPosition=position) == 2.0


def replayed(system: Manufactory) -> None:
    """Once the replica has replayed the primary's WAL as written now."""
    replica = system.replica
    assert replica is not None
    written = replica.primary_wal()
    _wait_for(lambda: (replica.replayed_wal() or 0) >= written)


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
