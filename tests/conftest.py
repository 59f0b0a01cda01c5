"""Fixtures: each test gets a fresh database of its own, on SQLite and on PostgreSQL.

PostgreSQL is the one at ``MANUFACTORY_TEST_PG_URL`` (default: the local server, trust
auth). Without it the PostgreSQL tests are skipped locally, but fail under ``CI=true``.
A test is marked ``unit``, ``integration`` or ``e2e`` by the directory it lives in, so
``pytest -m unit`` runs what needs no database server (``tests/unit`` runs in memory).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from application.settings import Settings
from application.system import Manufactory
from interfaces.http.app import bind, create_app
from tests.support import (
    PG_ADMIN_URL,
    Received,
    ReplicaUnavailable,
    StreamingPair,
    TemplateCopies,
    database_name,
    fresh_postgres_database,
    streaming_pair,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
KINDS = ("unit", "integration", "e2e")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one test process per core and one more. With one per core a fifth of the
    CPU sat idle (tests waiting on child processes, fsyncs, servers and browsers), and the
    extra worker cut the suite's time by a fifth on 2 cores (BENCHMARKS.md, "The test suite's time")."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the kind its directory names (tests/unit, tests/integration, tests/e2e)."""
    for item in items:
        kind = next((part for part in item.path.parts if part in KINDS), None)
        if kind is not None:
            item.add_marker(kind)


@pytest.fixture(scope="session")
def postgres_copies() -> Iterator[TemplateCopies | None]:
    """Copies of a database migrated and set up once per run: ``CREATE DATABASE ... TEMPLATE``
    takes a fraction of the second the schema's DDL costs, and the copies are made ahead.
    None when PostgreSQL is unreachable (each test then reports it)."""
    try:
        with fresh_postgres_database() as url:
            Manufactory.open(Settings(database_url=url)).close()
            copies = TemplateCopies(database_name(url))
            try:
                yield copies
            finally:
                copies.close()
    except psycopg.OperationalError:
        yield None


@pytest.fixture
def postgres_url(postgres_copies: TemplateCopies | None) -> Iterator[str]:
    """A PostgreSQL database of this test's own, set up as a fresh start leaves it, dropped after the test."""
    try:
        if postgres_copies is None:
            raise psycopg.OperationalError("no template database")
        url = postgres_copies.take()
    except psycopg.OperationalError as error:
        message = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    yield url
    postgres_copies.give_back(url)


_streaming_pair: Future[tuple[ExitStack, StreamingPair]] | None = None


def _start_streaming_pair() -> Future[tuple[ExitStack, StreamingPair]]:
    """Make the run's primary and replica in a thread (once): ``streaming_replica`` waits for them."""
    global _streaming_pair
    if _streaming_pair is None:
        starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="streaming-pair")

        def start() -> tuple[ExitStack, StreamingPair]:
            stack = ExitStack()
            return stack, stack.enter_context(streaming_pair())

        _streaming_pair = starter.submit(start)
        starter.shutdown(wait=False)
    return _streaming_pair


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the streaming pair at once when a selected test needs it: its ~5 s overlap the
    tests that run before that one. Not in a pytest-xdist worker: each collects every test but
    runs only some, so there the fixture starts the pair when a test of that worker needs it."""
    if hasattr(session.config, "workerinput"):
        return
    if not session.config.option.collectonly and any(
        "streaming_replica" in getattr(item, "fixturenames", ()) for item in session.items
    ):
        _start_streaming_pair()


def pytest_sessionfinish() -> None:
    """Stop and delete the streaming pair, if one was made."""
    if _streaming_pair is not None and _streaming_pair.exception() is None:
        stack, _ = _streaming_pair.result()
        stack.close()


@pytest.fixture(scope="session")
def streaming_replica() -> StreamingPair:
    """A PostgreSQL primary of the run's own and its streaming replica (``streaming_pair``:
    about 5 s, started when the run is collected). Where the machine cannot run them the tests
    are skipped locally, but fail under ``CI=true``, which runs where it can (as root, with the
    programs)."""
    try:
        return _start_streaming_pair().result()[1]
    except ReplicaUnavailable as error:
        message = f"no PostgreSQL streaming replica on this machine: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files of an embedded database set up once per run, which each test copies."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    Manufactory.open(Settings(database_url=f"sqlite:///{directory}/manufactory.sqlite")).close()
    return directory


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """An embedded database of this test's own, set up as a fresh start leaves it."""
    for file in sqlite_template.iterdir():
        shutil.copy(file, tmp_path / file.name)
    return f"sqlite:///{tmp_path}/manufactory.sqlite"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, consistency_timeout_sec=5.0, projection_poll_sec=0.05)


@pytest.fixture
def system(settings: Settings) -> Iterator[Manufactory]:
    with Manufactory.open(settings) as opened:
        yield opened


class Api:
    """A test client acting as one user."""

    def __init__(self, client: TestClient[Any], token: str, user_id: uuid.UUID) -> None:
        self.client = client
        self.token = token
        self.user_id = user_id
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method: str) -> Any:
        call = getattr(self.client, method)

        def with_auth(path: str, **kwargs: Any) -> Any:
            kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
            return call(path, **kwargs)

        return with_auth


@pytest.fixture(scope="session")
def apps() -> dict[str, Litestar]:
    """The one app of the run, bound to each test's system in turn: building an app costs about
    0.2 s (Litestar copies and inspects every handler), binding one nothing."""
    return {}


@pytest.fixture
def client(system: Manufactory, apps: dict[str, Litestar]) -> Iterator[TestClient[Any]]:
    if "app" in apps:
        bind(apps["app"], system)
    else:
        apps["app"] = create_app(system)
    with TestClient(apps["app"]) as test_client:
        yield test_client


def make_user(system: Manufactory, client: TestClient[Any], name: str, *, admin: bool = False) -> Api:
    issued = system.users.create_user(name, admin=admin)
    system.projections.catch_up("users")
    return Api(client, issued.token, issued.user_id)


@pytest.fixture
def operator(system: Manufactory, client: TestClient[Any]) -> Api:
    """An admin: sees /health's details."""
    return make_user(system, client, "operator", admin=True)


@pytest.fixture
def alice(system: Manufactory, client: TestClient[Any]) -> Api:
    return make_user(system, client, "alice")


@pytest.fixture
def bob(system: Manufactory, client: TestClient[Any]) -> Api:
    return make_user(system, client, "bob")


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """The session's Chromium, as a test finds a new one: one blank window and an empty log.
    A page left open by the test before (its live streams reconnecting to a server that has
    stopped) would otherwise log errors into this test's log."""
    _blank(chromium)
    yield chromium
    _blank(chromium)


def _blank(chrome: Any) -> None:
    first, *others = chrome.window_handles
    for handle in others:
        chrome.switch_to.window(handle)
        chrome.close()
    chrome.switch_to.window(first)
    chrome.get("about:blank")
    chrome.get_log("browser")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium driven by Selenium (Debian's ``chromium`` and ``chromium-driver``;
    ``.ci/run`` installs them). Without them the browser tests are skipped, but fail under
    ``CI=true``. Its console log (``get_log("browser")``) shows what a page's policy refused."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver is None:
        message = "Chromium and ChromeDriver are not installed (Debian: chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    """A local webhook receiver on a free port (answers 204, or 500 while ``failures_left``):
    on 127.0.0.1, so only a system with ``DeliverySettings(allow_private=True)`` posts to it."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(received.delay_sec)
            with received.lock:
                failing = received.failures_left > 0
                received.failures_left -= failing
                if not failing:
                    received.requests.append((self.path, dict(self.headers), body))
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
