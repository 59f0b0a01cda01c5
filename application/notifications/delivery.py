"""The delivery loop: feeds the outbox from the log and posts what is due, in a thread of its
own, so a slow or dead receiver never slows a command (a command only records its events and
wakes this loop).

At least once: a delivery is claimed for the timeout plus a margin, posted, and its outcome
recorded; a process that dies between posting and recording leaves it to be posted again
when the claim runs out, and an answer slower than the timeout is posted again too
(receivers drop repeats by the notification's kind and key). A 2xx answer is delivered; no
answer, a timeout, a 5xx, 408 or 429 is tried again after an exponential
backoff with jitter (``backoff × 2^(attempt-1)``, capped, times a random 0.5-1) until
``attempts`` tries, or until the next try would come later than ``max_age_sec`` after the
notification; any other 4xx is final at once (the URL is wrong or the webhook was deleted on
the other side: repeating cannot help), and so is a host that now resolves to an address no
webhook may reach (each connection resolves and checks it: ``targets.py``). A given-up
delivery is ``failed`` for good, with its last error, and its webhook shows as failing
(``Outbox.health``). Anything else that goes wrong posting one delivery (a bug, a body that
cannot be built) is that attempt's error, so every claim ends in a recorded attempt and no
delivery is claimed forever. Redirects are not followed. Logs name the delivery and its
webhook, never its URL (a Discord URL carries its token) or secret.

Ended deliveries are kept ``retention_sec`` after their notification, then pruned (a bounded
batch, at most once a minute), so the outbox holds at most that much history.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import msgspec

from application.background import Background
from application.notifications.outbox import AttemptOutcome, DueDelivery, Outbox
from application.notifications.targets import TargetRefused, WebhookTargets
from domain.events import utcnow
from domain.notifications.bodies import SIGNATURE_HEADER, body_for, signature

log = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({408, 429})
CLAIM_MARGIN_SEC = 30.0
COALESCE_SEC = 0.02
BATCH = 16
PRUNE_EVERY_SEC = 60.0
PRUNE_BATCH = 500
USER_AGENT = "Manufactory-Webhooks/0.1"


class DeliverySettings(msgspec.Struct, frozen=True, kw_only=True):
    """MANUFACTORY_WEBHOOK_<NAME>: how deliveries are posted and retried."""

    timeout_sec: float = 5.0  # per attempt
    attempts: int = 8  # tries before a delivery is given up (about 10 minutes with the defaults)
    backoff_sec: float = 5.0  # before the second try; doubling after each, capped
    max_backoff_sec: float = 3600.0
    max_age_sec: float = 86400.0  # no try is scheduled later than this after the notification
    retention_sec: float = 7 * 86400.0  # ended deliveries are pruned this long after their notification
    # Loopback, LAN and other non-public targets (application/notifications/targets.py): off but
    # where the operator posts to a bridge on its LAN, and in the tests (their local receiver).
    allow_private: bool = False
    poll_sec: float = 1.0  # how often the loop looks for retries due and other processes' events
    parallel: int = 4  # posts at once, so one slow receiver does not hold up the others

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DeliverySettings:
        return cls(
            timeout_sec=float(env.get("MANUFACTORY_WEBHOOK_TIMEOUT_SEC", 5.0)),
            attempts=int(env.get("MANUFACTORY_WEBHOOK_ATTEMPTS", 8)),
            backoff_sec=float(env.get("MANUFACTORY_WEBHOOK_BACKOFF_SEC", 5.0)),
            max_backoff_sec=float(env.get("MANUFACTORY_WEBHOOK_MAX_BACKOFF_SEC", 3600.0)),
            max_age_sec=float(env.get("MANUFACTORY_WEBHOOK_MAX_AGE_SEC", 86400.0)),
            retention_sec=float(env.get("MANUFACTORY_WEBHOOK_RETENTION_SEC", 7 * 86400.0)),
            allow_private=env.get("MANUFACTORY_WEBHOOK_ALLOW_PRIVATE", "").lower() in ("1", "true", "yes"),
        )


def backoff(attempt: int, base_sec: float, max_sec: float) -> float:
    """Seconds before the try after ``attempt`` (1 = the first failed): exponential, capped, jittered."""
    return float(min(max_sec, base_sec * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0))


class WebhookDeliverer(Background):
    thread_name = "notifications"

    def __init__(self, outbox: Outbox, settings: DeliverySettings, targets: WebhookTargets) -> None:
        self.outbox = outbox
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._http = httpx.Client(
            transport=targets.transport(),  # every connection to an address checked as it is made
            timeout=settings.timeout_sec,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )
        self._pool = ThreadPoolExecutor(max_workers=settings.parallel, thread_name_prefix="webhook")
        self._next_prune_at = 0.0  # time.monotonic()

    def wake(self, _position: int | None = None) -> None:
        """Called when events are recorded: never waits."""
        self._wake.set()

    def stop(self) -> None:
        self._wake.set()
        super().stop()

    def close(self) -> None:
        self.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def run_until_stopped(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception:  # keep going: the next round tries again
                log.exception("notifications: a round failed; trying again")
            if self._wake.wait(self.settings.poll_sec) and not self._stop.is_set():
                self._stop.wait(COALESCE_SEC)  # a burst of commands: one round for all of it

    def run_once(self, now: datetime | None = None) -> int:
        """Feed the outbox, prune what it keeps no longer, and post every delivery due; how
        many were attempted."""
        self.outbox.feed()
        self._prune(now or utcnow())
        attempted = 0
        lease = self.settings.timeout_sec + CLAIM_MARGIN_SEC
        while due := self.outbox.claim_due(now or utcnow(), BATCH, lease):
            for outcome in self._pool.map(self.attempt, due):
                self.outbox.record(outcome)
            attempted += len(due)
            if len(due) < BATCH or self._stop.is_set():
                break
        return attempted

    def _prune(self, now: datetime) -> None:
        if time.monotonic() < self._next_prune_at:
            return
        self._next_prune_at = time.monotonic() + PRUNE_EVERY_SEC
        pruned = self.outbox.prune(now - timedelta(seconds=self.settings.retention_sec), PRUNE_BATCH)
        if pruned:
            log.info("notifications: pruned %d ended deliveries", pruned)

    def attempt(self, delivery: DueDelivery) -> AttemptOutcome:
        """Post one delivery and say what came of it."""
        at = utcnow()
        started = time.monotonic()
        status: int | None = None
        refused = False
        try:
            answer = self._post(delivery, at)
            status = answer.status_code
            error = None if answer.is_success else f"HTTP {status}"
        except httpx.HTTPError as failure:
            error = type(failure).__name__  # its text may quote the URL
        except TargetRefused as failure:  # what the host resolves to now is not allowed: final
            error, refused = f"refused: {failure}", True
        except Exception as failure:  # not the receiver's doing: still an attempt, so the retries end
            log.exception("notifications: delivery %d (webhook %s) failed", delivery.delivery_id, delivery.webhook_id)
            error = f"{type(failure).__name__} (see the server's log)"
        duration_ms = int((time.monotonic() - started) * 1000)
        retry = error is not None and not refused and (status is None or status >= 500 or status in RETRIED_STATUSES)
        retry_at = self._retry_at(delivery) if retry else None
        if error is not None:
            log.warning(
                "notifications: delivery %d (webhook %s) attempt %d failed: %s; %s",
                delivery.delivery_id,
                delivery.webhook_id,
                delivery.attempt,
                error,
                f"retrying at {retry_at:%H:%M:%S}" if retry_at else "giving up",
            )
        return AttemptOutcome(
            delivery_id=delivery.delivery_id,
            attempt=delivery.attempt,
            at=at,
            duration_ms=duration_ms,
            status_code=status,
            error=error,
            retry_at=retry_at,
        )

    def _post(self, delivery: DueDelivery, at: datetime) -> httpx.Response:
        body = body_for(delivery.url, delivery.notification)
        headers = {
            "Content-Type": "application/json",
            "X-Manufactory-Kind": delivery.notification.kind,
            "X-Manufactory-Delivery": str(delivery.delivery_id),
        }
        if delivery.secret is not None:
            headers[SIGNATURE_HEADER] = signature(delivery.secret, body, at)
        return self._http.post(delivery.url, content=body, headers=headers)

    def _retry_at(self, delivery: DueDelivery) -> datetime | None:
        """When to try a failed delivery again; None when its attempts or its age ran out."""
        if delivery.attempt >= self.settings.attempts:
            return None
        delay = backoff(delivery.attempt, self.settings.backoff_sec, self.settings.max_backoff_sec)
        retry_at = utcnow() + timedelta(seconds=delay)
        if retry_at > delivery.notification.at + timedelta(seconds=self.settings.max_age_sec):
            return None
        return retry_at
