"""Each background duty runs in exactly one of the processes sharing a database (an election
by PostgreSQL advisory lock), and the processes wake each other over LISTEN/NOTIFY."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from application.duties import LOG_CHANNEL, PROJECTIONS_CHANNEL, RETRY_SEC, DutyElection
from application.settings import Settings
from application.system import Manufactory
from domain.events import CommandMeta


class Recorded:
    """A duty that notes whether it runs."""

    def __init__(self) -> None:
        self.running = threading.Event()

    def start(self) -> None:
        self.running.set()

    def stop(self) -> None:
        self.running.clear()


def ignore(*_: object) -> None:
    """A wake-up nobody in the test listens for."""


@contextmanager
def elected(
    duties: dict[str, Recorded],
    conninfo: str | None,
    on_log_moved: Callable[[int, frozenset[str]], None] = ignore,
    on_projection_moved: Callable[[str, int], None] = ignore,
    *,
    others_elsewhere: bool = False,
    database: Path | None = None,
) -> Iterator[DutyElection]:
    """An election of its own, as one more server process would hold, stopped afterwards."""
    election = DutyElection(
        duties,
        conninfo,
        on_log_moved=on_log_moved,
        on_projection_moved=on_projection_moved,
        others_elsewhere=others_elsewhere,
        database=database,
    )
    election.start()
    try:
        yield election
    finally:
        election.stop()


def test_the_only_process_runs_every_duty_from_its_start_to_its_stop(settings: Settings) -> None:
    ticker, runner = Recorded(), Recorded()
    with elected({"ticker": ticker, "runner": runner}, settings.postgres_conninfo) as election:
        assert election.held == ["runner", "ticker"]
        assert ticker.running.is_set() and runner.running.is_set()
    assert election.held == []
    assert not ticker.running.is_set() and not runner.running.is_set()


def test_a_duty_runs_in_one_process_and_moves_to_another_when_its_holder_stops(postgres_url: str) -> None:
    conninfo = Settings(database_url=postgres_url).postgres_conninfo
    first, second = Recorded(), Recorded()
    earlier = DutyElection({"ticker": first}, conninfo, on_log_moved=ignore, on_projection_moved=ignore)
    earlier.start()
    try:
        with elected({"ticker": second}, conninfo) as later:
            assert (earlier.held, later.held) == (["ticker"], [])  # taken at the first start
            assert first.running.is_set() and not second.running.is_set()
            earlier.stop()  # its session ends, and the lock with it: the other takes the duty
            assert second.running.wait(timeout=10)
            assert later.held == ["ticker"] and not first.running.is_set()
    finally:
        earlier.stop()


def test_on_sqlite_a_duty_runs_in_one_process_and_moves_when_its_holder_stops(tmp_path: Path) -> None:
    """A server and a standalone runner on one SQLite file: the lock is a file beside it."""
    database, first, second = tmp_path / "manufactory.sqlite", Recorded(), Recorded()
    earlier = DutyElection({"ticker": first}, None, on_log_moved=ignore, on_projection_moved=ignore, database=database)
    earlier.start()
    try:
        with elected({"ticker": second}, None, database=database) as later:
            assert (earlier.held, later.held) == (["ticker"], [])
            assert first.running.is_set() and not second.running.is_set()
            earlier.stop()
            assert second.running.wait(timeout=10)
            assert later.held == ["ticker"] and not first.running.is_set()
    finally:
        earlier.stop()
    assert (tmp_path / "manufactory-duty-ticker.lock").exists()


def test_processes_wake_each_other_with_writes_and_projection_positions(postgres_url: str) -> None:
    conninfo = Settings(database_url=postgres_url).postgres_conninfo
    assert conninfo is not None
    writes: queue.Queue[tuple[int, frozenset[str]]] = queue.Queue()
    positions: queue.Queue[tuple[str, int]] = queue.Queue()
    with (
        elected(
            {"runner": Recorded()},
            conninfo,
            lambda position, wakes: writes.put((position, wakes)),
            lambda name, at: positions.put((name, at)),
        ),
        elected({"runner": Recorded()}, conninfo) as elsewhere,
    ):
        assert elsewhere.held == []
        elsewhere.log_moved(42)  # a write committed where the runner does not run
        assert writes.get(timeout=10) == (42, frozenset())
        elsewhere.log_moved(43, frozenset({"economics"}))  # one of the events that make economics rows stale
        elsewhere.log_moved(43, frozenset({"notifications"}))
        told: set[str] = set()  # in one notification, or in two if the first had gone already
        while told != {"economics", "notifications"}:
            position, wakes = writes.get(timeout=10)
            assert position == 43
            told |= wakes
        with psycopg.connect(conninfo, autocommit=True) as connection:  # as the runner's commit does
            connection.execute("SELECT pg_notify(%s, 'users 7')", (PROJECTIONS_CHANNEL,))
        assert positions.get(timeout=10) == ("users", 7)


def test_a_process_that_leaves_duties_to_runners_of_their_own_tells_them_of_every_write(postgres_url: str) -> None:
    """A ``serve --no-projections`` holds every duty of its own election, yet the projections
    run elsewhere (``manufactory projections run``): its writes must wake them all the same."""
    conninfo = Settings(database_url=postgres_url).postgres_conninfo
    writes: queue.Queue[tuple[int, frozenset[str]]] = queue.Queue()
    with (
        elected({"ticker": Recorded()}, conninfo, others_elsewhere=True) as server,
        elected({"projections": Recorded()}, conninfo, lambda position, wakes: writes.put((position, wakes))),
    ):
        assert server.held == ["ticker"]
        server.log_moved(42)
        assert writes.get(timeout=10) == (42, frozenset())


def test_a_stream_of_wake_ups_is_passed_on_without_an_election_round_for_each(postgres_url: str) -> None:
    """Writes elsewhere wake a process hundreds of times a second; its tries for the duties it
    lacks stay one round per ``retry_sec`` (a round per wake-up cost thousands of lock tries a
    second with two workers)."""
    conninfo = Settings(database_url=postgres_url).postgres_conninfo
    assert conninfo is not None
    writes: queue.Queue[int] = queue.Queue()
    with (
        elected({"runner": Recorded()}, conninfo),
        elected({"runner": Recorded()}, conninfo, lambda position, _: writes.put(position)) as elsewhere,
    ):
        assert elsewhere.held == []  # so each of its rounds tries for the runner's lock
        rounds = []
        held_round = elsewhere._round
        elsewhere._round = lambda connection: (rounds.append(time.monotonic()), held_round(connection))[1]  # type: ignore[method-assign]
        started = time.monotonic()
        with psycopg.connect(conninfo, autocommit=True) as connection:
            for position in range(1, 301):
                connection.execute("SELECT pg_notify(%s, %s)", (LOG_CHANNEL, str(position)))
        assert [writes.get(timeout=10) for _ in range(300)] == list(range(1, 301))
        elapsed = time.monotonic() - started
    assert len(rounds) <= elapsed / RETRY_SEC + 1, f"{len(rounds)} rounds in {elapsed:.2f} s"


@contextmanager
def server_duties(system: Manufactory) -> Iterator[DutyElection]:
    """The duties of ``system`` as a server process runs them (its lifespan's order)."""
    election = system.duty_election()
    system.projections.start(apply=False)
    election.start()
    try:
        yield election
    finally:
        election.stop()
        system.projections.stop()


def test_a_read_waiting_where_the_projections_do_not_run_hurries_their_runner_elsewhere(postgres_url: str) -> None:
    """A read-your-writes read on a worker that does not run the projections asks the one
    that does to apply at once; it used to wait out that runner's gathering of a burst."""
    settings = Settings(database_url=postgres_url)
    with Manufactory.open(settings) as one, Manufactory.open(settings, migrate_schema=False) as other:
        one.projections.coalesce_interval = 30.0  # gathers writes for half a minute unless hurried
        with server_duties(one) as runs, server_duties(other) as follows:
            assert "projections" in runs.held and "projections" not in follows.held
            user = other.users.create_user("reader")
            meta = CommandMeta(user_id=user.user_id, correlation_id="hurry")
            position = other.containers.register("c1", "X1-YZ19", "prefer-fabricate", {}, meta).position
            started = time.monotonic()
            other.projections.hurry(position)  # as the waiting read does
            while other.signal.known_position("manufacturing") < position:
                assert time.monotonic() - started < 10, "the runner elsewhere was not hurried"
                time.sleep(0.01)
