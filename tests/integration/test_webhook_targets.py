"""Webhooks reach only the addresses allowed, whatever a name resolves to: checked when a
webhook is registered and again as each delivery connects, to the very address checked (no
second lookup a DNS rebinding could answer differently), with the name kept in the Host
header and TLS's SNI. Names are resolved by a stand-in resolver (no DNS here); the receiver
is the tests' local one, on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from application.notifications.delivery import DeliverySettings, WebhookDeliverer
from application.notifications.outbox import DueDelivery, Outbox
from application.notifications.targets import WebhookTargets
from application.system import Manufactory
from domain.events import CommandMeta, utcnow
from domain.notifications.kinds import Notification
from domain.notifications.webhooks import IPAddress
from tests.conftest import Api
from tests.integration.test_api_plans import ok
from tests.integration.test_notifications import deliveries, eventually
from tests.support import Received

PUBLIC = "93.184.216.34"


class StandInDns:
    """Answers for names, in turn: a name's last answer stands once its list is spent."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        turns = self.answers.get(host)
        if turns is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = turns.pop(0) if len(turns) > 1 else turns[0]
        return [ipaddress.ip_address(address) for address in answer]


def registering(api: Api, url: str) -> Any:
    return api.post("/v1/notifications/webhooks", json={"url": url, "kinds": ["job_ready"]})


def test_a_name_or_address_that_is_not_public_is_refused_at_registration(
    alice: Api, system: Manufactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    dns = StandInDns(
        {
            "hooks.example": [[PUBLIC]],
            "metadata.example": [["169.254.169.254"]],
            "lan.example": [["10.0.0.5"]],
            "loopback.example": [["::1"]],
            "mapped.example": [["::ffff:127.0.0.1"]],
            "split.example": [[PUBLIC, "127.0.0.1"]],
        }
    )
    monkeypatch.setattr(system.webhook_targets, "resolver", dns)
    assert registering(alice, "https://hooks.example/hook").status_code == 201
    for url, why in [
        ("http://metadata.example/latest/meta-data", "169.254.169.254, a link-local address"),
        ("http://lan.example:8080/hook", "10.0.0.5, a loopback, private"),
        ("http://loopback.example/hook", "::1, a loopback"),
        ("http://mapped.example/hook", "a loopback"),  # ::ffff:127.0.0.1 is 127.0.0.1
        ("http://split.example/hook", "127.0.0.1"),  # one address refused refuses the name
        ("http://10.1.2.3/hook", "10.1.2.3, a loopback, private"),
        ("http://nowhere.example/hook", "does not resolve"),
    ]:
        refused = registering(alice, url)
        assert refused.status_code == 422 and refused.json()["field"] == "url", (url, refused.text)
        assert why in refused.json()["detail"], (url, refused.json())
    assert len(ok(alice.get("/v1/notifications/webhooks"))["webhooks"]) == 1


def test_the_system_resolver_is_checked_too(alice: Api) -> None:
    refused = registering(alice, "http://localhost:8080/hook")  # /etc/hosts: 127.0.0.1
    assert refused.status_code == 422 and "a loopback" in refused.json()["detail"]


def test_a_name_rebound_to_a_private_address_after_registration_is_refused_as_the_delivery_connects(
    alice: Api, system: Manufactory, receiver: tuple[str, Received], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = receiver[0].rsplit(":", 1)[1]
    dns = StandInDns({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})  # public when checked, then the receiver's
    monkeypatch.setattr(system.webhook_targets, "resolver", dns)
    ok(registering(alice, f"http://rebind.example:{port}/hook"), 201)
    system.notifications.announce("job_ready", "1", "Job 1", {}, CommandMeta(user_id=alice.user_id, correlation_id="t"))
    (refused,) = eventually(lambda: [d for d in deliveries(alice) if d["status"] == "failed"])
    assert refused["attempts"] == 1  # final at once: retrying cannot make the address allowed
    assert refused["lastError"].startswith("refused: the host resolves to 127.0.0.1, a loopback")
    assert receiver[1].requests == [] and dns.asked == ["rebind.example", "rebind.example"]


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """An HTTPS receiver on 127.0.0.1 with a certificate for hook.test only, trusted through
    SSL_CERT_FILE; it records (SNI, Host) of each request."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hook.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hook.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    names: list[str] = []
    seen: list[tuple[str, str]] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    context.sni_callback = lambda _socket, server_name, _context: names.append(server_name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((names[-1], self.headers["Host"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_delivery_connects_to_the_address_checked_and_keeps_the_name_for_host_sni_and_certificate(
    tls_receiver: tuple[int, list[tuple[str, str]]],
) -> None:
    port, seen = tls_receiver
    dns = StandInDns({"hook.test": [["127.0.0.1"]]})  # a name no real resolver knows
    deliverer = WebhookDeliverer(cast(Outbox, None), DeliverySettings(), WebhookTargets(True, dns))
    notification = Notification(owner_id=uuid.uuid4(), kind="job_ready", key="1", at=utcnow(), title="Job 1")
    due = DueDelivery(
        delivery_id=1,
        webhook_id=uuid.uuid4(),
        url=f"https://hook.test:{port}/hook",
        secret=None,
        attempt=1,
        notification=notification,
    )
    try:
        outcome = deliverer.attempt(due)
    finally:
        deliverer.close()
    assert (outcome.status_code, outcome.error) == (204, None)
    assert seen == [("hook.test", f"hook.test:{port}")] and dns.asked == ["hook.test"]
