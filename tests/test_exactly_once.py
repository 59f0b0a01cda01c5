"""Exactly-once commands: a command whose COMMIT answer is lost is applied once and answered
as done, and a client retrying with the same ``Idempotency-Key`` gets the original answer.

The lost COMMIT answer is produced for real: PostgreSQL is reached through a small TCP proxy
that, while armed, lets the COMMIT of every transaction inserting events through to the
server, waits for the server's ``CommandComplete`` (the transaction has committed) and cuts
the connection instead of passing it on. (Terminating the backend during COMMIT does not do
it on PostgreSQL 15: a backend signalled while it flushes the commit record still sends the
COMMIT's answer before it exits.)
"""

from __future__ import annotations

import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import make_url

from application.settings import Settings
from application.system import Manufactory
from interfaces.http.app import create_app
from tests.conftest import Api, make_user
from tests.test_api_crafting import SWORD
from tests.test_api_crafting import new_world as new_crafting_world
from tests.test_api_crafting import start as start_crafting
from tests.test_api_manufacturing import register as register_container
from tests.test_api_plans import HUB, S, generate, new_plan


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


# -- a proxy that loses the answer to COMMIT ----------------------------------------------------


def _messages(sock: socket.socket, typed: bool) -> Iterator[tuple[bytes, bytes]]:
    """(raw message, payload) pairs of the PostgreSQL wire protocol; the first message from
    a client (the startup message) has no type byte."""
    stream = sock.makefile("rb")
    while True:
        kind = stream.read(1) if typed else b""
        length = stream.read(4)
        if len(length) < 4:
            return
        size = struct.unpack("!i", length)[0] - 4
        payload = stream.read(size)
        if len(payload) < size:
            return
        yield kind + length + payload, (kind or b"\0") + payload
        typed = True


class CommitAnswerLosingProxy:
    """Relays connections to PostgreSQL; while ``armed``, the answer to the COMMIT of each
    transaction that inserted events is never delivered: the connection is cut right after
    the server confirmed the commit."""

    def __init__(self, server_host: str, server_port: int) -> None:
        self.server = (server_host, server_port)
        self.armed = False
        self.lost = 0  # COMMIT answers lost so far
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.server)
            for sock in (client, server):  # relayed message by message: no Nagle delays
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            state = {"events": False, "committing": False}
            threading.Thread(target=self._upstream, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client, state), daemon=True).start()

    def _upstream(self, client: socket.socket, server: socket.socket, state: dict[str, bool]) -> None:
        try:
            for raw, payload in _messages(client, typed=False):
                if payload[:1] in (b"P", b"Q"):  # Parse or simple Query: look at the SQL
                    sql = payload.upper()
                    if b"INSERT" in sql and b'"MANUFACTORY_EVENTS"' in sql:
                        state["events"] = True
                    elif b"COMMIT" in sql and state["events"]:
                        state["committing"], state["events"] = True, False
                    elif b"ROLLBACK" in sql:
                        state["events"] = False
                server.sendall(raw)
        except OSError:
            pass
        _close(client, server)

    def _downstream(self, server: socket.socket, client: socket.socket, state: dict[str, bool]) -> None:
        try:
            for raw, payload in _messages(server, typed=True):
                if state["committing"] and payload.startswith(b"CCOMMIT"):  # CommandComplete
                    state["committing"] = False
                    if self.armed:
                        with self._lock:
                            self.lost += 1
                        break  # committed, and the client never hears of it
                client.sendall(raw)
        except OSError:
            pass
        _close(client, server)


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


@pytest.fixture
def proxy(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CommitAnswerLosingProxy, str]]:
    monkeypatch.setenv("PGSSLMODE", "disable")  # the proxy speaks the plain protocol only
    monkeypatch.setenv("PGGSSENCMODE", "disable")
    url = make_url(postgres_url)
    relay = CommitAnswerLosingProxy(url.host or "127.0.0.1", url.port or 5432)
    yield relay, url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    relay.close()


# -- lost COMMIT answers ------------------------------------------------------------------------


def test_commands_whose_commit_answer_is_lost_are_applied_once_and_answered_as_done(
    proxy: tuple[CommitAnswerLosingProxy, str],
) -> None:
    relay, url = proxy
    settings = Settings(database_url=url, consistency_timeout_sec=10.0, projection_poll_sec=0.05)
    with Manufactory.open(settings) as system, TestClient(create_app(system)) as client:
        alice = make_user(system, client, "alice")
        plans = [new_plan(alice)["aggregateId"], ok(alice.post("/v1/industry/plans", json=_plan_body()), 201)["aggregateId"]]
        containers = [f"c-{n}" for n in range(2)]
        for container_id in containers:
            register_container(alice, container_id)
        worlds = [new_crafting_world(alice, SWORD, items={"iron_ingot": 3, "hammer": 1}) for _ in range(2)]

        commands = [
            *(lambda plan_id=plan_id: generate(alice, plan_id, 1) for plan_id in plans),
            *(lambda base=base: start_crafting(alice, base, "iron_sword") for base in worlds),
            *(
                lambda container_id=container_id: alice.patch(
                    f"/v1/manufacturing/containers/{container_id}/config",
                    json={"maxWorkers": 9},
                    headers={"If-Match": '"1"'},
                )
                for container_id in containers
            ),
        ]
        relay.armed = True
        with ThreadPoolExecutor(len(commands)) as pool:  # at once: their saves share transactions
            answers = list(pool.map(lambda command: command(), commands))
        relay.armed = False

        assert relay.lost >= 1  # the fault really happened (batched saves lose one answer for all)
        assert [answer.status_code for answer in answers] == [201, 201, 201, 201, 200, 200], [a.text for a in answers]
        position = max(answer.json()["position"] for answer in answers)
        for plan_id in plans:
            runs = ok(alice.get(f"/v1/industry/plans/{plan_id}/runs", params={"minPosition": position}))
            assert len(runs) == 1
        for base in worlds:  # three ingots: one sword's worth, consumed once
            assert ok(alice.get(base + "/inventories/inv"))["items"] == {"hammer": 1}
            assert len(ok(alice.get(base + "/managers/forge_1/jobs"))["jobs"]) == 1
        for container_id, answer in zip(containers, answers[4:], strict=True):
            assert answer.json()["version"] == 2
            shown = ok(alice.get(f"/v1/manufacturing/containers/{container_id}", params={"minPosition": position}))
            assert shown["version"] == 2 and shown["config"]["maxWorkers"] == 9


def _plan_body() -> dict[str, Any]:
    return {"name": "More ships", "productTypeId": S, "defaults": {"meLevel": 0, "teLevel": 0, "stationId": HUB}}
