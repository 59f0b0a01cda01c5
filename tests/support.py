"""Test and benchmark support: fresh PostgreSQL databases and the real ``manufactory``
console script run as child processes."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import psycopg
import pytest

PG_ADMIN_URL = os.environ.get("MANUFACTORY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MANUFACTORY = str(Path(sys.executable).parent / "manufactory")
TOKEN = re.compile(r"mf_[A-Za-z0-9_-]{20,}")


class RowsRead:
    """A connection that keeps the rows its queries answered, for tests that a query reads a
    page of a table rather than all of it."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.rows: list[Any] = []

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        answered = self.connection.execute(*args, **kwargs).freeze()
        self.rows.extend(answered.data)
        return answered()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANUFACTORY_")}
    if database_url:
        env["MANUFACTORY_DATABASE_URL"] = database_url
    return {**env, **extra}


def run_cli(*args: str, cwd: Path, database_url: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MANUFACTORY, *args],
        cwd=cwd,
        env=environment(database_url, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str, output: str) -> None:
        self.process = process
        self.url = url
        self.output = output  # what it printed before it was ready
        self.log: list[str] = []  # what it printed since

    @property
    def printed_token(self) -> str | None:
        found = TOKEN.search(self.output)
        return found.group(0) if found else None


def interrupt(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """Stop a child as Ctrl-C would, and kill it if it does not stop within ``timeout`` seconds."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(
    cwd: Path,
    database_url: str | None = None,
    *args: str,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    ready_sec: float = 30.0,
) -> Iterator[Server]:
    """``manufactory serve`` on ``port`` (a free one if None), with ``env`` on top of the
    environment, once it answers (within ``ready_sec``)."""
    port = port or free_port()
    process = subprocess.Popen(
        [MANUFACTORY, "serve", "--port", str(port), *args],
        cwd=cwd,
        env=environment(database_url, **(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    output: list[str] = []
    try:
        deadline = time.monotonic() + ready_sec
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError("server exited:\n" + "".join(output))
            output.append(line)
            if "Uvicorn running" in line:
                break
        httpx.get(f"{url}/health", timeout=ready_sec).raise_for_status()  # `serve --workers` may still be starting them
        server = Server(process, url, "".join(output))
        # keep reading what it prints, so a full pipe never blocks the server
        threading.Thread(target=lambda: [server.log.append(line) for line in process.stdout or []], daemon=True).start()
        yield server
    finally:
        interrupt(process)


def worker_duties(
    url: str, admin_token: str, workers: int, duties: list[str], timeout: float = 30.0
) -> dict[int, list[str]]:
    """The background duties of each of a server's ``workers`` processes (by pid), once every
    one of them has answered ``/health`` (each request on a new connection, which the kernel
    hands to any of them) and each of ``duties`` is held."""
    seen: dict[int, list[str]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        headers = {"Authorization": f"Bearer {admin_token}"}
        process = httpx.get(f"{url}/health", headers=headers, timeout=10).json()["process"]
        seen[process["pid"]] = process["duties"]
        if len(seen) >= workers and sorted(duty for held in seen.values() for duty in held) == sorted(duties):
            return seen
        time.sleep(0.02)
    raise TimeoutError(f"{workers} workers did not all answer and hold {duties} within {timeout} s: {seen}")


def pid_of(api: httpx.Client) -> int:
    pid: int = api.get("/health").json()["process"]["pid"]
    return pid


@contextmanager
def pinned_clients(url: str, token: str, workers: int) -> Iterator[dict[int, httpx.Client]]:
    """One keep-alive client per worker process (by pid): a connection stays with the process
    that accepted it, so each client talks to one process only."""
    with ExitStack() as stack:
        clients: dict[int, httpx.Client] = {}
        for _ in range(200):
            client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            pid = pid_of(client)
            if pid in clients:
                client.close()
                continue
            clients[pid] = client
            stack.callback(client.close)
            if len(clients) == workers:
                break
        assert len(clients) == workers, "every worker accepts connections"
        yield clients


@contextmanager
def standin_game(cwd: Path) -> Iterator[str]:
    """``manufactory eve fake-server``, the stand-in game, as its own process: its URL, once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [MANUFACTORY, "eve", "fake-server", "--port", str(port)],
        cwd=cwd,
        env=environment(None),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/_standin/requests", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the stand-in game did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        interrupt(process)


class Runner:
    """A duty's runner (``manufactory projections run`` and the like) in its own process."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self._lines.put(line) for line in process.stdout or []], daemon=True).start()

    def next_line(self, timeout: float = 20.0) -> str:
        """The next line it prints, waiting up to ``timeout`` seconds for it."""
        return self._lines.get(timeout=timeout).strip()


@contextmanager
def running(cwd: Path, database_url: str, *command: str) -> Iterator[Runner]:
    """``manufactory <command>`` (a runner that goes on until interrupted), stopped afterwards."""
    process = subprocess.Popen(
        [MANUFACTORY, *command],
        cwd=cwd,
        env=environment(database_url),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield Runner(process)
    finally:
        interrupt(process)


@contextmanager
def fresh_postgres_database(template: str | None = None) -> Iterator[str]:
    """A brand-new PostgreSQL database (its URL), dropped afterwards; a copy of ``template``
    when one is named. Raises psycopg.OperationalError when the server cannot be reached."""
    name = create_database(template)
    try:
        yield database_url(name)
    finally:
        drop_database(name)


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A fresh database's URL for a benchmark: ``postgres`` (a new PostgreSQL database, dropped
    after) or anything else (an embedded SQLite file in a temporary folder)."""
    if backend == "postgres":
        with fresh_postgres_database() as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.sqlite"


def create_database(template: str | None = None) -> str:
    """A new database's name: empty, or a copy of ``template``."""
    name = f"mf_test_{uuid.uuid4().hex[:16]}"
    create = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        for attempt in range(50):
            try:
                admin.execute(create)
                return name
            except psycopg.errors.ObjectInUse:  # the template's last connection is still closing
                if attempt == 49:
                    raise
                time.sleep(0.1)
    raise AssertionError("unreachable")


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class TemplateCopies:
    """Copies of a template database made ahead of need and dropped behind, in a thread.
    Copying takes about 0.4 s, most of it the server writing files, so made while the test
    before runs it costs the next test next to nothing."""

    def __init__(self, template: str, ahead: int = 2) -> None:
        self._template = template
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="template-copies")
        self._ready = deque(self._worker.submit(create_database, template) for _ in range(ahead))

    def take(self) -> str:
        """A fresh copy's URL; raises what making it raised (psycopg.OperationalError)."""
        self._ready.append(self._worker.submit(create_database, self._template))
        return database_url(self._ready.popleft().result())

    def give_back(self, url: str) -> None:
        self._worker.submit(drop_database, database_name(url))

    def close(self) -> None:
        for future in self._ready:
            if future.exception() is None:
                self._worker.submit(drop_database, future.result())
        self._worker.shutdown(wait=True)


def database_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


@contextmanager
def serving_app(app: Any, *, lifespan: Literal["auto", "on", "off"] = "auto") -> Iterator[str]:
    """An ASGI app served over real HTTP by uvicorn in a thread of this process (its URL).
    uvicorn's own ``Date`` (refreshed once a second) is off: an app that dates its answers, as
    the ESI stand-in does, must not be joined by a second, older one. ``lifespan="off"`` serves
    an app whose lifespan a ``TestClient`` runs already (the tests' app, for its streams)."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", date_header=False, lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Received:
    """What a receiver got: path, headers and the raw body of each request. Delivery is at
    least once (an answer slower than the deliverer's timeout is posted again), so ``bodies``
    drops repeats by the notification's kind and key, as a receiver is told to."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.failures_left = 0  # answer 500 this many times first
        self.delay_sec = 0.0
        self.lock = threading.Lock()

    def bodies(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            found = [json.loads(body) for _, _, body in self.requests]
        firsts: dict[object, dict[str, Any]] = {}
        for body in found:
            firsts.setdefault((body.get("kind"), body.get("key")) if "key" in body else id(body), body)  # Discord: none
        return [body for body in firsts.values() if kind in (None, body.get("kind"))]


@pytest.fixture(name="database_url")
def sqlite_database_url(sqlite_url: str) -> str:
    """The one database of a module that imports this fixture: the console's page tests, whose
    pages read and write through the API's own queries and services, which the API's tests
    run on both databases (``tests/integration/test_console.py`` keeps the console's own
    session and dashboard on both)."""
    return sqlite_url


class ReplicaUnavailable(Exception):
    """This machine cannot run a PostgreSQL primary and its streaming replica for the tests."""


class StreamingPair:
    """A throwaway PostgreSQL primary and its streaming replica on two free ports: their
    ``primary_url`` and ``replica_url`` name one database, migrated on the primary."""

    def __init__(self, primary_port: int, replica_port: int) -> None:
        self.primary_port, self.replica_port = primary_port, replica_port
        self.primary_url = self.url(primary_port, "manufactory")
        self.replica_url = self.url(replica_port, "manufactory")

    @staticmethod
    def url(port: int, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    @contextmanager
    def fresh_database(self) -> Iterator[tuple[str, str]]:
        """A copy of the migrated database for one test: its URLs on the primary and on the
        replica (once the replica has it), dropped afterwards."""
        name = f"mf_test_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(self.primary_port, "postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE manufactory')
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    psycopg.connect(self.url(self.replica_port, name), connect_timeout=5).close()
                    break
                except psycopg.OperationalError:  # not replayed yet
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
            yield self.url(self.primary_port, name), self.url(self.replica_port, name)
        finally:
            with psycopg.connect(self.url(self.primary_port, "postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def on_replica(self, statement: str) -> Any:
        """Run one statement on the replica as its superuser; its first value."""
        with psycopg.connect(self.url(self.replica_port, "postgres"), autocommit=True, connect_timeout=5) as connection:
            row = connection.execute(statement).fetchone()  # type: ignore[call-overload]  # a test's literal SQL
        return row[0] if row else None


def _postgres_binaries() -> Path:
    """The folder holding all of PostgreSQL's server programs the pair needs: Debian keeps them
    out of PATH, in one folder per version (the newest is taken); else beside ``pg_ctl`` on PATH
    (resolved: a link on PATH may stand alone)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    if (on_path := shutil.which("pg_ctl")) is not None:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / program).exists() for program in ("initdb", "pg_ctl", "pg_basebackup", "postgres")):
            return folder
    raise ReplicaUnavailable("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed")


@contextmanager
def streaming_pair() -> Iterator[StreamingPair]:
    """A primary cluster of its own (not the shared test server: a replica of that would copy
    and replay every test database of the run) and a streaming replica of it, both stopped
    and deleted afterwards. About 5 s: ``initdb`` without fsync, the schema migrated once,
    ``pg_basebackup -R`` (WAL streamed) of the small cluster, two ``pg_ctl start -w``.

    PostgreSQL refuses to run as root: as root, every program runs as the ``postgres`` OS user
    (``runuser``) in a directory it owns. The primary allows replication connections from
    127.0.0.1 with trust (``initdb -A trust`` writes that line); nothing of the machine's own
    clusters is touched. Raises ``ReplicaUnavailable`` when the programs are missing or a
    cluster does not start."""
    binaries = _postgres_binaries()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    directory = Path(tempfile.mkdtemp(prefix="manufactory-replica-"))
    if as_postgres:
        shutil.chown(directory, "postgres")
    primary, replica = directory / "primary", directory / "replica"
    pair = StreamingPair(free_port(), free_port())

    def run(program: str, *args: str) -> None:
        try:
            subprocess.run(
                [*as_postgres, str(binaries / program), *args],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
                cwd=directory,
            )
        except (OSError, subprocess.SubprocessError) as error:
            output = str(getattr(error, "stderr", "") or "").strip()[-500:]
            raise ReplicaUnavailable(f"{program} failed: {error} {output}") from error

    def start(cluster: Path, port: int) -> None:
        with open(cluster / "postgresql.conf", "a") as conf:  # later lines win
            conf.write(f"port = {port}\n")
        run("pg_ctl", "-D", str(cluster), "-l", str(directory / f"{cluster.name}.log"), "-w", "-t", "30", "start")
        started.append(cluster)

    started: list[Path] = []
    try:
        # 1 MB WAL segments (not 16): less for pg_basebackup to copy and for the end to delete
        initdb = ("-U", "postgres", "-A", "trust", "-N", "--no-instructions", "--locale=C", "-E", "UTF8")
        run("initdb", "-D", str(primary), *initdb, "--wal-segsize=1")
        with open(primary / "postgresql.conf", "a") as conf:  # the replica copies these
            conf.write(
                f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{directory}'\n"
                "fsync = off\nfull_page_writes = off\nshared_buffers = 16MB\n"
            )
        start(primary, pair.primary_port)
        with psycopg.connect(pair.url(pair.primary_port, "postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE manufactory")
        from application.settings import Settings
        from application.system import Manufactory

        Manufactory.open(Settings(database_url=pair.primary_url)).close()
        port = str(pair.primary_port)
        run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "postgres",
            "-D",
            str(replica),
            "-R",
            "-c",
            "fast",
            "-N",
        )
        start(replica, pair.replica_port)
        yield pair
    finally:
        for cluster in reversed(started):
            subprocess.run(
                [*as_postgres, str(binaries / "pg_ctl"), "-D", str(cluster), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=30,
            )
        shutil.rmtree(directory, ignore_errors=True)
