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

import asyncio
import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from litestar.testing import transport as asgi
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from application.command_runner import create_aggregate
from application.settings import Settings
from application.system import Manufactory
from domain.errors import Conflict
from domain.events import CommandMeta
from domain.manufacturing.config import ManufacturingConfig
from domain.manufacturing.container import Container
from interfaces.cli.client import ApiClient
from interfaces.http.app import create_app
from interfaces.http.idempotency import KEYS, fingerprint
from projections.database import write_transaction
from tests.conftest import Api, make_user
from tests.integration.test_api_crafting import SWORD
from tests.integration.test_api_crafting import new_world as new_crafting_world
from tests.integration.test_api_crafting import start as start_crafting
from tests.integration.test_api_manufacturing import register as register_container
from tests.integration.test_api_plans import generate, new_plan


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


CONTAINERS = "/v1/manufacturing/containers"


def _container(container_id: str) -> dict[str, Any]:
    return {"containerId": container_id, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"}


def _keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def _listed(api: Api, position: int) -> list[str]:
    listing = ok(api.get(CONTAINERS, params={"minPosition": position}))
    return [container["containerId"] for container in listing["containers"]]


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
        system.crafting.clock = lambda: 1_800_000_000.0  # time stands still: no sword is finished meanwhile
        alice = make_user(system, client, "alice")
        plans = [new_plan(alice)["aggregateId"] for _ in range(2)]
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
        commands.append(lambda: alice.post(CONTAINERS, json=_container("c-new")))  # a creation
        relay.armed = True
        with ThreadPoolExecutor(len(commands)) as pool:  # at once: their saves share transactions
            answers = list(pool.map(lambda command: command(), commands))
        relay.armed = False

        assert relay.lost >= 1  # the fault really happened (batched saves lose one answer for all)
        assert [answer.status_code for answer in answers] == [201, 201, 201, 201, 200, 200, 201], [
            answer.text for answer in answers
        ]
        position = max(answer.json()["position"] for answer in answers)
        for plan_id in plans:
            runs = ok(alice.get(f"/v1/industry/plans/{plan_id}/runs", params={"minPosition": position}))
            assert len(runs) == 1
        for base in worlds:  # three ingots: one sword's worth, consumed once
            assert ok(alice.get(base + "/inventories/inv"))["items"] == {"hammer": 1}
            assert len(ok(alice.get(base + "/managers/forge_1/jobs"))["jobs"]) == 1
        assert _listed(alice, position) == [*containers, "c-new"]
        for container_id, answer in zip(containers, answers[4:6], strict=True):
            assert answer.json()["version"] == 2
            shown = ok(alice.get(f"/v1/manufacturing/containers/{container_id}", params={"minPosition": position}))
            assert shown["version"] == 2 and shown["config"]["maxWorkers"] == 9


def test_a_save_meeting_its_own_command_s_events_is_done_and_another_s_still_collide(system: Manufactory) -> None:
    user_id = uuid.uuid4()

    def registration(command_id: str | None) -> Container:
        meta = CommandMeta(user_id=user_id, correlation_id="register", command_id=command_id)
        return Container.register(
            owner_id=user_id, container_id="c-1", system_symbol="X1", config=ManufacturingConfig(), meta=meta
        )

    landed = create_aggregate(system.store, registration("command-1"), "container")
    again = create_aggregate(system.store, registration("command-1"), "container")  # the same command's retry

    assert again.position == landed.position and again.aggregate.version == 1
    for other in ("command-2", None):  # another command, or one that cannot tell
        with pytest.raises(Conflict):
            create_aggregate(system.store, registration(other), "container")
    assert len(system.store.history(landed.aggregate.id)) == 1


# -- Idempotency-Key ----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_gets_the_original_answer_and_runs_nothing_again(
    system: Manufactory, alice: Api
) -> None:
    plan_id = new_plan(alice)["aggregateId"]
    path = f"/v1/industry/plans/{plan_id}/generate"
    first = alice.post(path, json={"quantity": 1}, headers=_keyed("generate-1"))
    again = alice.post(path, json={"quantity": 1}, headers=_keyed("generate-1"))

    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    runs = ok(alice.get(f"/v1/industry/plans/{plan_id}/runs", params={"minPosition": first.json()["position"]}))
    assert len(runs) == 1
    run_events = system.store.history(uuid.UUID(first.json()["run"]["id"]))
    assert {event.meta.command_id for event in run_events} == {"generate-1"}


def test_without_a_key_each_request_is_a_command_of_its_own(system: Manufactory, alice: Api) -> None:
    created = ok(alice.post(CONTAINERS, json=_container("c-1")), 201)
    changed = ok(alice.patch(f"{CONTAINERS}/c-1/config", json={"maxWorkers": 6}))
    commands = [event.meta.command_id for event in system.store.history(uuid.UUID(created["aggregateId"]))]
    assert len(set(commands)) == 2 and None not in commands and changed["version"] == 2


def test_the_same_key_for_another_request_is_a_422_and_records_nothing(alice: Api) -> None:
    created = ok(alice.post(CONTAINERS, json=_container("c-1"), headers=_keyed("k")), 201)

    other_body = alice.post(CONTAINERS, json=_container("c-2"), headers=_keyed("k"))
    other_route = alice.patch(f"{CONTAINERS}/c-1/config", json=_container("c-1"), headers=_keyed("k"))

    for refused in (other_body, other_route):
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "Idempotency-Key"
    assert _listed(alice, created["position"]) == ["c-1"]
    assert ok(alice.get(f"{CONTAINERS}/c-1", params={"minPosition": created["position"]}))["version"] == 1


def test_keys_belong_to_their_user(alice: Api, bob: Api) -> None:
    mine = ok(alice.post(CONTAINERS, json=_container("c-1"), headers=_keyed("shared")), 201)
    theirs = ok(bob.post(CONTAINERS, json=_container("c-1"), headers=_keyed("shared")), 201)
    assert theirs["aggregateId"] != mine["aggregateId"]
    assert _listed(bob, theirs["position"]) == ["c-1"] and _listed(alice, theirs["position"]) == ["c-1"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_expires_after_the_retention_window_and_is_pruned(
    system: Manufactory, client: TestClient[Any], alice: Api
) -> None:
    keys = client.app.state.idempotency
    keys.clock = clock = FakeClock()
    ok(alice.post(CONTAINERS, json=_container("c-1"), headers=_keyed("k")), 201)
    ok(alice.post(CONTAINERS, json=_container("c-2"), headers=_keyed("other")), 201)

    clock.now += system.settings.idempotency_retention_sec + 1
    reused = ok(alice.post(CONTAINERS, json=_container("c-3"), headers=_keyed("k")), 201)

    assert _listed(alice, reused["position"]) == ["c-1", "c-2", "c-3"]
    with system.query_engine.connect() as connection:
        left = connection.execute(select(KEYS.c.key)).scalars().all()
    assert left == ["k"]  # the expired "other" was pruned on the way


def test_a_duplicate_while_the_first_is_still_running_is_a_409(client: TestClient[Any], alice: Api) -> None:
    body = b'{"containerId":"c-1","systemSymbol":"X1-YZ19","strategy":"prefer-fabricate"}'
    scope = {"method": "POST", "path": CONTAINERS, "query_string": b""}
    keys = client.app.state.idempotency
    assert asyncio.run(keys.claim(alice.user_id, "k", fingerprint(scope, body), 0)) is None  # the first, in flight

    duplicate = alice.post(CONTAINERS, content=body, headers={**_keyed("k"), "Content-Type": "application/json"})

    assert duplicate.status_code == 409 and duplicate.json()["field"] == "Idempotency-Key"
    assert ok(alice.get(CONTAINERS))["containers"] == []


def test_a_try_again_answer_is_not_kept_so_the_retry_runs(alice: Api) -> None:
    ok(alice.post(CONTAINERS, json=_container("c-1")), 201)
    config, body = f"{CONTAINERS}/c-1/config", {"maxWorkers": 7}
    early = alice.patch(config, json=body, headers={**_keyed("k"), "If-Match": '"2"'})
    assert early.status_code == 409 and early.json()["field"] == "If-Match"
    ok(alice.patch(config, json={"maxPipelines": 4}))  # now at version 2

    retried = alice.patch(config, json=body, headers={**_keyed("k"), "If-Match": '"2"'})

    assert ok(retried)["version"] == 3 and "idempotent-replayed" not in retried.headers
    replayed = alice.patch(config, json=body, headers={**_keyed("k"), "If-Match": '"2"'})
    assert replayed.content == retried.content and replayed.headers["idempotent-replayed"] == "true"


def _lose_answer(system: Manufactory, user_id: uuid.UUID, key: str) -> None:
    """What a server that died after the command committed leaves: a claim without an
    answer, its lease run out."""
    with write_transaction(system.read_engine) as connection:
        mine = (KEYS.c.user_id == user_id) & (KEYS.c.key == key)
        connection.execute(update(KEYS).where(mine).values(status=None, headers=None, body=None, lease_until=0.0))


def test_a_command_whose_answer_was_lost_in_a_crash_is_not_applied_again(system: Manufactory, alice: Api) -> None:
    plan_id = new_plan(alice)["aggregateId"]
    path = f"/v1/industry/plans/{plan_id}/generate"
    first = ok(alice.post(path, json={"quantity": 1}, headers=_keyed("generate-1")), 201)
    _lose_answer(system, alice.user_id, "generate-1")

    retried = alice.post(path, json={"quantity": 1}, headers=_keyed("generate-1"))
    again = alice.post(path, json={"quantity": 1}, headers=_keyed("generate-1"))

    assert retried.status_code == 409 and retried.json()["field"] == "Idempotency-Key"
    assert retried.json()["error"] == "already_applied" and f"position {first['position']}" in retried.json()["detail"]
    assert again.content == retried.content
    runs = ok(alice.get(f"/v1/industry/plans/{plan_id}/runs", params={"minPosition": first["position"]}))
    assert len(runs) == 1


def test_a_command_that_died_before_it_was_applied_runs_on_retry(
    system: Manufactory, client: TestClient[Any], alice: Api
) -> None:
    body = b'{"containerId":"c-1","systemSymbol":"X1-YZ19","strategy":"prefer-fabricate"}'
    scope = {"method": "POST", "path": CONTAINERS, "query_string": b""}
    keys = client.app.state.idempotency
    asyncio.run(keys.claim(alice.user_id, "k", fingerprint(scope, body), system.store.head()))
    _lose_answer(system, alice.user_id, "k")

    retried = alice.post(CONTAINERS, content=body, headers={**_keyed("k"), "Content-Type": "application/json"})

    assert retried.status_code == 201, retried.text
    assert _listed(alice, retried.json()["position"]) == ["c-1"]


def test_a_malformed_key_is_a_400_and_a_key_without_a_token_a_401(client: TestClient[Any], alice: Api) -> None:
    too_long = alice.post(CONTAINERS, json=_container("c-1"), headers=_keyed("k" * 129))
    assert too_long.status_code == 400 and too_long.json()["field"] == "Idempotency-Key"
    for key in ("k", "k" * 129):
        anonymous = client.post(CONTAINERS, json=_container("c-1"), headers=_keyed(key))
        assert anonymous.status_code == 401
    assert ok(alice.get(CONTAINERS))["containers"] == []


# -- the CLI's client ---------------------------------------------------------------------------


class LosesFirstAnswer(httpx.BaseTransport):
    """Delivers every request to the server, but the first answer never reaches the client."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.server = asgi.TestClientTransport(client)
        self.keys: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.keys.append(request.headers.get("Idempotency-Key"))
        response = self.server.handle_request(request)
        if len(self.keys) == 1:
            raise httpx.ReadError("connection lost", request=request)
        return response


def test_the_cli_sends_a_key_per_command_and_reuses_it_when_it_retries(client: TestClient[Any], alice: Api) -> None:
    transport = LosesFirstAnswer(client)
    cli = ApiClient(base_url=str(client.base_url), token=alice.token, transport=transport)

    cli.request("POST", CONTAINERS, _container("c-1"))
    created = cli.request("POST", CONTAINERS, _container("c-2"))
    listed = cli.request("GET", f"{CONTAINERS}?minPosition={created['position']}")

    first, retry, second, read = transport.keys
    assert first is not None and retry == first  # the lost answer's retry: the same command
    assert second is not None and second != first  # the next command: a key of its own
    assert read is None
    assert [container["containerId"] for container in listed["containers"]] == ["c-1", "c-2"]  # c-1 once
