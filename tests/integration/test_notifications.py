"""Webhook notifications: registered per user, fed from the log into an outbox, posted by the
delivery loop to a real HTTP receiver in this process (retried with backoff, signed, Discord
bodies for Discord-shaped URLs), never slowing a command."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from litestar.testing import TestClient
from sqlalchemy import select, update

from application.notifications import delivery as delivery_loop
from application.notifications.delivery import DeliverySettings, WebhookDeliverer, backoff
from application.notifications.outbox import DueDelivery, Outbox
from application.notifications.targets import WebhookTargets
from application.settings import Settings
from application.system import Manufactory
from domain.eve.links import EveLinks
from domain.events import CommandMeta, utcnow
from domain.industry.runs import PlanRun
from domain.notifications.kinds import Notification
from domain.notifications.webhooks import webhooks_id
from projections.database import write_transaction
from projections.notifications import outbox as outbox_feed
from projections.notifications import tables
from tests.conftest import Api
from tests.integration.test_api_plans import HUB, D, ok
from tests.integration.test_auto_production import marker, module_plan
from tests.support import Received, free_port

SECRET = "s3cret-0123456789abcdef"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        projection_poll_sec=0.05,
        webhooks=DeliverySettings(
            timeout_sec=1.0, attempts=5, backoff_sec=0.05, max_backoff_sec=0.2, poll_sec=0.05, allow_private=True
        ),
    )


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "not within the time allowed"
            return value
        time.sleep(0.05)


def register(api: Api, url: str, kinds: list[str], secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url, "kinds": kinds}
    if secret:
        body["secret"] = secret
    return ok(api.post("/v1/notifications/webhooks", json=body), 201)["webhook"]


def deliveries(api: Api) -> list[dict[str, Any]]:
    return ok(api.get("/v1/notifications/deliveries"))["deliveries"]


def delivered(api: Api) -> list[dict[str, Any]]:
    return [d for d in deliveries(api) if d["status"] == "delivered"]


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in headers["X-Manufactory-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def complete_run(api: Api, system: Manufactory, run_id: uuid.UUID) -> None:
    for job_id in system.store.load(run_id, PlanRun).job_ids:
        ok(api.post(f"/v1/industry/jobs/{job_id}/start", json={}))
        ok(api.post(f"/v1/industry/jobs/{job_id}/complete", json={}))


def test_a_generated_run_and_its_completion_are_posted_signed(
    alice: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    webhook = register(alice, f"{url}/hook", ["run_completed", "auto_production_run_generated"], SECRET)
    assert webhook["signed"] is True and "secret" not in webhook
    plan_id = module_plan(alice)
    ok(marker(alice, 10, plan_id))
    report = system.auto_production.tick(utcnow())
    (run_id,) = [outcome.run_id for outcome in report.generated]
    assert run_id is not None

    generated = eventually(lambda: received.bodies("auto_production_run_generated"))
    assert generated[0]["details"]["runId"] == str(run_id) and generated[0]["details"]["netDeficit"] == 10
    assert not received.bodies("run_completed")  # its jobs are still planned

    complete_run(alice, system, run_id)
    (completed,) = eventually(lambda: received.bodies("run_completed"))
    assert completed["key"] == str(run_id) and completed["details"]["planName"] == "Modules"
    assert {"kind", "time", "title", "details"} <= set(completed)
    for path, headers, body in received.requests:
        assert path == "/hook" and verify(SECRET, headers, body)
        assert not verify("another-secret-0123456789", headers, body)
    # Each delivery is marked delivered after the receiver answered: wait for both marks.
    shown = eventually(lambda: len(delivered(alice)) == 2 and delivered(alice))
    assert sorted(d["kind"] for d in shown) == ["auto_production_run_generated", "run_completed"]
    assert all(d["attempts"] == 1 and d["attemptLog"][0]["statusCode"] == 204 for d in shown)


def test_a_discord_url_gets_a_discord_body(alice: Api, system: Manufactory, receiver: tuple[str, Received]) -> None:
    url, received = receiver
    register(alice, f"{url}/api/webhooks/1234567890/AbC-token_x", ["sync_failing"])
    meta = CommandMeta(user_id=alice.user_id, correlation_id="esi-sync")
    details = {"characterId": 2112000001, "loop": "assets", "error": "ESI 503 five times"}
    assert system.notifications.announce("sync_failing", "2112000001/assets/t1", "Assets sync failing", details, meta)
    ((path, headers, raw),) = eventually(lambda: received.requests)
    body = json.loads(raw)
    assert path == "/api/webhooks/1234567890/AbC-token_x" and "X-Manufactory-Signature" not in headers
    assert body["content"] == "Assets sync failing" and set(body) == {"content", "embeds"}
    (embed,) = body["embeds"]
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "characterId": "2112000001",
        "loop": "assets",
        "error": "ESI 503 five times",
    }


def test_announcing_a_fact_twice_notifies_once(alice: Api, system: Manufactory, receiver: tuple[str, Received]) -> None:
    url, received = receiver
    register(alice, url, ["job_ready"])
    meta = CommandMeta(user_id=alice.user_id, correlation_id="esi-sync")
    details = {"esiJobId": 77, "characterId": 2112000001}
    assert system.notifications.announce("job_ready", "77", "Job 77 is ready to deliver", details, meta)
    assert not system.notifications.announce("job_ready", "77", "Job 77 is ready to deliver", details, meta)
    eventually(lambda: received.bodies("job_ready"))
    time.sleep(0.3)
    assert len(received.bodies("job_ready")) == 1 and len(deliveries(alice)) == 1


def test_a_receiver_failing_then_recovering_gets_it_after_retries(
    alice: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    received.failures_left = 2
    register(alice, url, ["job_ready"])
    meta = CommandMeta(user_id=alice.user_id, correlation_id="esi-sync")
    system.notifications.announce("job_ready", "1", "Job 1 is ready to deliver", {}, meta)
    (delivery,) = eventually(lambda: delivered(alice))
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500, 500, 204]
    assert [a["error"] for a in delivery["attemptLog"]] == ["HTTP 500", "HTTP 500", None]
    assert delivery["attempts"] == 3 and len(received.bodies("job_ready")) == 1


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    for attempt in range(1, 8):
        delay = backoff(attempt, 1.0, 10.0)
        assert min(10.0, 2 ** (attempt - 1)) * 0.5 <= delay <= min(10.0, 2 ** (attempt - 1))


def test_a_dead_or_slow_receiver_never_slows_commands(
    alice: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    received.delay_sec = 3.0  # beyond the 1 s timeout
    register(alice, f"http://127.0.0.1:{free_port()}/nobody-listens", ["job_ready", "stockpile_deficit_opened"])
    register(alice, f"{url}/slow", ["job_ready", "stockpile_deficit_opened"])
    meta = CommandMeta(user_id=alice.user_id, correlation_id="esi-sync")
    latencies = []
    for number in range(20):
        started = time.monotonic()
        system.notifications.announce("job_ready", str(number), f"Job {number}", {}, meta)
        ok(
            alice.put(
                "/v1/assets", json={"locationId": HUB, "assets": [{"typeId": D, "locationId": HUB, "quantity": number}]}
            )
        )
        latencies.append(time.monotonic() - started)
    print(f"command latency with a dead and a slow receiver: max {max(latencies) * 1000:.0f} ms")
    failed = eventually(lambda: [d for d in deliveries(alice) if d["attemptLog"] and d["attemptLog"][0]["error"]])
    assert {d["attemptLog"][0]["error"] for d in failed} <= {"ConnectError", "ReadTimeout", "HTTP 500"}


def test_a_deficit_opening_and_a_reauthorization_are_notified(
    alice: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    register(alice, url, ["stockpile_deficit_opened", "character_reauthorization_needed"])
    ok(marker(alice, 10, None))  # placed short: not an opening
    assets = {"locationId": HUB, "assets": [{"typeId": D, "locationId": HUB, "quantity": 12}]}
    ok(alice.put("/v1/assets", json=assets))  # satisfied
    assets["assets"][0]["quantity"] = 4
    ok(alice.put("/v1/assets", json=assets))  # short again: opened
    ok(alice.put("/v1/assets", json={**assets, "assets": [{"typeId": D, "locationId": HUB, "quantity": 3}]}))
    meta = CommandMeta(user_id=alice.user_id, correlation_id="sso")
    links = EveLinks.open(alice.user_id, meta)
    links.link(2112000001, "Ann", ("esi-assets.read_assets.v1",), meta)
    links.needs_reauthorization(2112000001, "invalid_grant", meta)
    system.store.save_events(links)

    (reauthorize,) = eventually(lambda: received.bodies("character_reauthorization_needed"))
    assert reauthorize["details"] == {"characterId": 2112000001, "reason": "invalid_grant"}
    # Fed before the reauthorization, but a round's deliveries are posted in parallel: either
    # may arrive first.
    (opened,) = eventually(lambda: received.bodies("stockpile_deficit_opened"))
    assert opened["details"]["deficit"] == 6 and opened["details"]["currentQuantity"] == 4

    ok(alice.put("/v1/assets", json={**assets, "assets": [{"typeId": D, "locationId": HUB, "quantity": 20}]}))
    ok(marker(alice, 25, None))  # wanting more than is held opens it too
    raised = eventually(lambda: received.bodies("stockpile_deficit_opened")[1:])
    assert [body["details"]["deficit"] for body in raised] == [5]


def test_a_divisions_deficit_opens_by_that_divisions_units_alone(
    alice: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    """The corporation's division-3 marker wants 100 and an unowned marker 100; division 3 holds
    150 and division 1 500, then 40 and 1,000: division 3 is 60 short (opened), while the
    unowned marker still sees 1,040 (nothing opened for it)."""
    url, received = receiver
    register(alice, url, ["stockpile_deficit_opened"])
    corp = {"ownerType": "corporation", "ownerId": 98000001}
    ok(
        alice.post(
            "/v1/stockpiles", json={"typeId": D, "locationId": HUB, "desiredQuantity": 100, **corp, "divisionNumber": 3}
        )
    )
    ok(alice.post("/v1/stockpiles", json={"typeId": D, "locationId": HUB, "desiredQuantity": 100}))

    def snapshot(third: int, first: int) -> None:
        holdings = [
            {"typeId": D, "locationId": HUB, "quantity": third, **corp, "divisionNumber": 3},
            {"typeId": D, "locationId": HUB, "quantity": first, **corp, "divisionNumber": 1},
        ]
        ok(alice.put("/v1/assets", json={"locationId": HUB, "assets": holdings}))

    snapshot(150, 500)
    snapshot(40, 1_000)
    (opened,) = eventually(lambda: received.bodies("stockpile_deficit_opened"))
    assert (opened["details"]["currentQuantity"], opened["details"]["deficit"]) == (40, 60)


def test_urls_are_checked_and_the_secret_never_shown(alice: Api) -> None:
    for url in [
        "ftp://example.com/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://user:pass@example.com/hook",
        "https://example.com/" + "x" * 2100,
        "not a url",
    ]:
        answer = alice.post("/v1/notifications/webhooks", json={"url": url, "kinds": ["job_ready"]})
        assert answer.status_code == 400, (url, answer.text)
    assert alice.post("/v1/notifications/webhooks", json={"url": "http://x", "kinds": ["nope"]}).status_code == 400
    assert alice.post("/v1/notifications/webhooks", json={"url": "http://x", "kinds": []}).status_code == 400
    short = {"url": "http://x", "kinds": ["job_ready"], "secret": "short"}
    assert alice.post("/v1/notifications/webhooks", json=short).status_code == 400
    register(alice, "http://192.168.1.20:8080/discord-bridge", ["job_ready"], SECRET)  # a LAN bridge is fine
    listed = ok(alice.get("/v1/notifications/webhooks"))
    assert SECRET not in json.dumps(listed) and listed["webhooks"][0]["signed"] is True
    audit = ok(alice.get(f"/v1/audit/{webhooks_id(alice.user_id)}"))
    assert SECRET not in json.dumps(audit)
    assert SECRET not in json.dumps(ok(alice.get(f"/v1/audit/{webhooks_id(alice.user_id)}", params={"version": 2})))


def test_bob_never_sees_alices_webhooks_or_deliveries(
    alice: Api, bob: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    webhook = register(alice, url, ["job_ready"])
    system.notifications.announce(
        "job_ready", "9", "Job 9", {}, CommandMeta(user_id=alice.user_id, correlation_id="esi-sync")
    )
    eventually(lambda: delivered(alice))
    assert ok(bob.get("/v1/notifications/webhooks")) == {"webhooks": []}
    assert deliveries(bob) == []
    assert bob.delete(f"/v1/notifications/webhooks/{webhook['webhookId']}").status_code == 404
    ok(alice.delete(f"/v1/notifications/webhooks/{webhook['webhookId']}"))
    assert ok(alice.get("/v1/notifications/webhooks")) == {"webhooks": []}
    system.notifications.announce(
        "job_ready", "10", "Job 10", {}, CommandMeta(user_id=alice.user_id, correlation_id="esi-sync")
    )
    time.sleep(0.3)
    assert len(received.bodies("job_ready")) == 1  # removed: no more deliveries


def test_the_outbox_turns_each_event_into_rows_once(
    alice: Api, system: Manufactory, client: TestClient[Any], receiver: tuple[str, Received]
) -> None:
    """Two feeders at once (the server's loop and this test) never make a row twice."""
    url, _ = receiver
    register(alice, url, ["job_ready"])
    meta = CommandMeta(user_id=alice.user_id, correlation_id="esi-sync")
    for number in range(30):
        system.notifications.announce("job_ready", str(number), f"Job {number}", {}, meta)
    threads = [threading.Thread(target=system.webhooks.outbox.feed) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shown = eventually(lambda: len(deliveries(alice)) == 30 and deliveries(alice))
    assert sorted(int(d["key"]) for d in shown) == list(range(30))


# ------------------------------------------------------------------ deliveries that never succeed


def announce(system: Manufactory, api: Api, key: str) -> None:
    meta = CommandMeta(user_id=api.user_id, correlation_id="esi-sync")
    assert system.notifications.announce("job_ready", key, f"Job {key} is ready to deliver", {}, meta)


def test_a_delivery_failing_every_time_is_given_up_for_good_and_its_webhook_shows_failing(
    alice: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    received.failures_left = 1000
    webhook = register(alice, url, ["job_ready"])
    assert ok(alice.get("/v1/notifications/webhooks"))["webhooks"][0]["health"] == {
        "failing": False,
        "failedInARow": 0,
        "lastDeliveredAt": None,
        "lastError": None,
    }
    announce(system, alice, "1")
    (dead,) = eventually(
        lambda: ok(alice.get("/v1/notifications/deliveries", params={"status": "failed"}))["deliveries"]
    )
    assert dead["attempts"] == 5 and dead["lastError"] == "HTTP 500" and dead["nextAttemptAt"] is None
    assert [a["statusCode"] for a in dead["attemptLog"]] == [500] * 5
    assert ok(alice.get("/v1/notifications/deliveries", params={"status": "pending"}))["deliveries"] == []
    (shown,) = ok(alice.get("/v1/notifications/webhooks"))["webhooks"]
    assert shown["webhookId"] == webhook["webhookId"]
    assert shown["health"] == {"failing": True, "failedInARow": 1, "lastDeliveredAt": None, "lastError": "HTTP 500"}

    assert system.webhooks.run_once(utcnow() + timedelta(days=30)) == 0  # never tried again
    assert received.failures_left == 1000 - 5
    received.failures_left = 0
    announce(system, alice, "2")
    eventually(lambda: delivered(alice))
    health = ok(alice.get("/v1/notifications/webhooks"))["webhooks"][0]["health"]
    assert not health["failing"] and health["failedInARow"] == 0 and health["lastDeliveredAt"] is not None
    statuses = alice.get("/v1/notifications/deliveries", params={"status": "dead"})
    assert statuses.status_code == 400 and statuses.json()["field"] == "status"


def test_a_failing_delivery_is_not_tried_again_past_its_age(receiver: tuple[str, Received]) -> None:
    url, received = receiver
    received.failures_left = 2
    settings = DeliverySettings(attempts=100, max_age_sec=3600, backoff_sec=1)
    deliverer = WebhookDeliverer(cast(Outbox, None), settings, WebhookTargets(allow_private=True))

    def due(at: datetime) -> DueDelivery:
        notification = Notification(owner_id=uuid.uuid4(), kind="job_ready", key="1", at=at, title="Job 1")
        return DueDelivery(
            delivery_id=1, webhook_id=uuid.uuid4(), url=url, secret=None, attempt=3, notification=notification
        )

    try:
        assert deliverer.attempt(due(utcnow())).retry_at is not None
        given_up = deliverer.attempt(due(utcnow() - timedelta(hours=1)))
        assert given_up.error == "HTTP 500" and given_up.retry_at is None
    finally:
        deliverer.close()


def test_a_delivery_that_cannot_even_be_posted_is_given_up_after_its_attempts(
    alice: Api, system: Manufactory, receiver: tuple[str, Received], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug while posting (here: building the body) is an attempt like a refused connection,
    so the delivery's claim always ends and its retries run out."""

    def broken(url: str, notification: Notification) -> bytes:
        raise RuntimeError("a bug")

    monkeypatch.setattr(delivery_loop, "body_for", broken)
    register(alice, receiver[0], ["job_ready"])
    announce(system, alice, "1")
    (dead,) = eventually(
        lambda: ok(alice.get("/v1/notifications/deliveries", params={"status": "failed"}))["deliveries"]
    )
    assert dead["attempts"] == 5 and dead["lastError"] == "RuntimeError (see the server's log)"


def test_a_notification_that_can_no_longer_be_read_is_given_up_without_holding_up_the_others(
    alice: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    register(alice, url, ["job_ready"])
    system.webhooks.stop()  # this test runs the rounds
    announce(system, alice, "old")
    announce(system, alice, "new")
    system.webhooks.outbox.feed()
    deliveries_table = tables.deliveries
    with write_transaction(system.read_engine) as connection:  # as stored by a version with another kind
        connection.execute(
            update(deliveries_table)
            .where(deliveries_table.c.key == "old")
            .values(notification=json.dumps({"kind": "a_kind_since_removed", "key": "old"}))
        )
    assert system.webhooks.run_once() == 1
    assert [body["key"] for body in received.bodies()] == ["new"]

    def old_row() -> Any:
        with system.read_engine.connect() as connection:
            columns = (deliveries_table.c.status, deliveries_table.c.attempts, deliveries_table.c.last_error)
            return connection.execute(select(*columns).where(deliveries_table.c.key == "old")).one()

    given_up = old_row()
    assert given_up.status == "failed" and given_up.last_error.startswith("unreadable: ")
    # A day's rounds later it is still given up: never posted, never tried again (the round may
    # post "new" again, if its answer was slower than the test's 1 s timeout on a busy machine).
    system.webhooks.run_once(utcnow() + timedelta(days=1))
    assert old_row() == given_up
    assert "old" not in [body["key"] for body in received.bodies()]


def test_an_event_the_outbox_cannot_decode_is_skipped_and_the_rest_fed(
    alice: Api, system: Manufactory, receiver: tuple[str, Received], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = receiver
    register(alice, url, ["job_ready"])
    system.webhooks.stop()  # this test feeds the outbox
    announce(system, alice, "unreadable")
    announce(system, alice, "readable")
    real_decode = outbox_feed.decode_event

    def decode(topic: str, state: bytes) -> Any:
        if b'"unreadable"' in state:
            raise ValueError("no such event class")
        return real_decode(topic, state)

    monkeypatch.setattr(outbox_feed, "decode_event", decode)
    system.webhooks.outbox.feed()
    with system.read_engine.connect() as connection:
        keys = connection.execute(select(tables.deliveries.c.key)).scalars().all()
    assert [key for key in keys if key.endswith("readable")] == ["readable"]
    assert system.webhooks.outbox.position() == system.store.head()


def test_ended_deliveries_are_pruned_after_the_retention_and_pending_ones_never(
    alice: Api, system: Manufactory, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    register(alice, url, ["job_ready"])
    for key in ("1", "2", "3"):
        announce(system, alice, key)
    eventually(lambda: len(delivered(alice)) == 3)
    system.webhooks.stop()  # this test runs the rounds
    announce(system, alice, "4")
    system.webhooks.outbox.feed()

    assert system.webhooks.outbox.prune(utcnow(), limit=2) == 2  # the oldest ended ones
    assert sorted((d["key"], d["status"]) for d in deliveries(alice)) == [("3", "delivered"), ("4", "pending")]
    with system.read_engine.connect() as connection:
        logged = connection.execute(select(tables.attempts.c.delivery_id)).scalars().all()
    assert logged == [next(d["deliveryId"] for d in deliveries(alice) if d["key"] == "3")]  # theirs went with them

    keeping_nothing = WebhookDeliverer(
        system.webhooks.outbox, DeliverySettings(retention_sec=0.0), WebhookTargets(allow_private=True)
    )
    try:
        assert keeping_nothing.run_once() == 1  # pruned "3" first, then delivered "4"
    finally:
        keeping_nothing.close()
    assert [(d["key"], d["status"]) for d in deliveries(alice)] == [("4", "delivered")]
