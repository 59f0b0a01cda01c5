"""What the delivery loop and the deliveries query ask of the outbox (the projections keep it:
``projections/notifications/outbox.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

import msgspec

from domain.notifications.kinds import Notification, NotificationKind

# failed: given up for good (its attempts or its age ran out, a 4xx, or its notification can no
# longer be read), with its last error; dropped: its webhook was removed
DeliveryStatus = Literal["pending", "delivered", "failed", "dropped"]


class DueDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery claimed for its next attempt."""

    delivery_id: int
    webhook_id: UUID
    url: str
    secret: str | None
    attempt: int  # the number of this attempt, from 1
    notification: Notification


class AttemptOutcome(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: int
    attempt: int
    at: datetime
    duration_ms: int
    status_code: int | None  # None: no answer (refused, timed out)
    error: str | None  # None: delivered
    retry_at: datetime | None  # when to try again; None with an error: given up


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryView(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: int
    webhook_id: UUID
    kind: NotificationKind
    key: str
    title: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    attempt_log: list[Attempt]


class WebhookHealth(msgspec.Struct, frozen=True, kw_only=True):
    """How a webhook's deliveries fare: failing once the last of them to end was given up."""

    failing: bool = False
    failed_in_a_row: int = 0  # deliveries given up since the last one delivered (in the order made)
    last_delivered_at: datetime | None = None
    last_error: str | None = None  # of the last delivery given up, while failing


class Outbox(Protocol):
    def feed(self) -> int:
        """Turn the events after the outbox's position into outbox rows; how many were added."""
        ...

    def claim_due(self, now: datetime, limit: int, lease_sec: float) -> list[DueDelivery]:
        """Deliveries due by ``now``, claimed for ``lease_sec`` (another process skips them)."""
        ...

    def record(self, outcome: AttemptOutcome) -> None:
        """Record an attempt and what it means for its delivery."""
        ...

    def deliveries(
        self, owner_id: UUID, limit: int, offset: int, status: DeliveryStatus | None = None
    ) -> list[DeliveryView]:
        """The owner's deliveries (of one status, when named), newest first."""
        ...

    def health(self, owner_id: UUID) -> dict[UUID, WebhookHealth]:
        """Per webhook of the owner with deliveries that ended, how they fare."""
        ...

    def prune(self, created_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` ended deliveries (not pending) of notifications made before
        ``created_before``, with their attempts; how many."""
        ...
