"""The delivery loop: feeds the outbox from the log and posts what is due, in a thread of its
own, so a slow or dead receiver never slows a command (a command only records its events and
wakes this loop).

At least once: a delivery is claimed for the timeout plus a margin, posted, and its outcome
recorded; a process that dies between posting and recording leaves it to be posted again
when the claim runs out (receivers drop repeats by the notification's key). A 2xx answer is
delivered; no answer, a timeout, a 5xx, 408 or 429 is tried again after an exponential
backoff with jitter (``backoff × 2^(attempt-1)``, capped, times a random 0.5-1) until
``attempts`` tries; any other 4xx is final at once (the URL is wrong or the webhook was
deleted on the other side: repeating cannot help). Redirects are not followed. Logs name the
delivery and its webhook, never its URL (a Discord URL carries its token) or secret.
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
from domain.events import utcnow
from domain.notifications.bodies import SIGNATURE_HEADER, body_for, signature

log = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({408, 429})
CLAIM_MARGIN_SEC = 30.0
COALESCE_SEC = 0.02
BATCH = 16
USER_AGENT = "Manufactory-Webhooks/0.1"


class DeliverySettings(msgspec.Struct, frozen=True, kw_only=True):
    """MANUFACTORY_WEBHOOK_<NAME>: how deliveries are posted and retried."""

    timeout_sec: float = 5.0  # per attempt
    attempts: int = 8  # tries before a delivery is given up (about 10 minutes with the defaults)
    backoff_sec: float = 5.0  # before the second try; doubling after each, capped
    max_backoff_sec: float = 3600.0
    poll_sec: float = 1.0  # how often the loop looks for retries due and other processes' events
    parallel: int = 4  # posts at once, so one slow receiver does not hold up the others

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DeliverySettings:
        return cls(
            timeout_sec=float(env.get("MANUFACTORY_WEBHOOK_TIMEOUT_SEC", 5.0)),
            attempts=int(env.get("MANUFACTORY_WEBHOOK_ATTEMPTS", 8)),
            backoff_sec=float(env.get("MANUFACTORY_WEBHOOK_BACKOFF_SEC", 5.0)),
            max_backoff_sec=float(env.get("MANUFACTORY_WEBHOOK_MAX_BACKOFF_SEC", 3600.0)),
        )


def backoff(attempt: int, base_sec: float, max_sec: float) -> float:
    """Seconds before the try after ``attempt`` (1 = the first failed): exponential, capped, jittered."""
    return float(min(max_sec, base_sec * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0))


class WebhookDeliverer(Background):
    thread_name = "notifications"

    def __init__(self, outbox: Outbox, settings: DeliverySettings) -> None:
        self.outbox = outbox
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._http = httpx.Client(
            timeout=settings.timeout_sec, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )
        self._pool = ThreadPoolExecutor(max_workers=settings.parallel, thread_name_prefix="webhook")

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
        """Feed the outbox and post every delivery due; how many were attempted."""
        self.outbox.feed()
        attempted = 0
        lease = self.settings.timeout_sec + CLAIM_MARGIN_SEC
        while due := self.outbox.claim_due(now or utcnow(), BATCH, lease):
            for outcome in self._pool.map(self.attempt, due):
                self.outbox.record(outcome)
            attempted += len(due)
            if len(due) < BATCH or self._stop.is_set():
                break
        return attempted

    def attempt(self, delivery: DueDelivery) -> AttemptOutcome:
        """Post one delivery and say what came of it."""
        at = utcnow()
        body = body_for(delivery.url, delivery.notification)
        headers = {
            "Content-Type": "application/json",
            "X-Manufactory-Kind": delivery.notification.kind,
            "X-Manufactory-Delivery": str(delivery.delivery_id),
        }
        if delivery.secret is not None:
            headers[SIGNATURE_HEADER] = signature(delivery.secret, body, at)
        started = time.monotonic()
        status: int | None = None
        try:
            answer = self._http.post(delivery.url, content=body, headers=headers)
            status = answer.status_code
            error = None if answer.is_success else f"HTTP {status}"
        except httpx.HTTPError as failure:
            error = type(failure).__name__  # its text may quote the URL
        duration_ms = int((time.monotonic() - started) * 1000)
        retry = error is not None and (status is None or status >= 500 or status in RETRIED_STATUSES)
        retry_at = None
        if retry and delivery.attempt < self.settings.attempts:
            delay = backoff(delivery.attempt, self.settings.backoff_sec, self.settings.max_backoff_sec)
            retry_at = utcnow() + timedelta(seconds=delay)
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
