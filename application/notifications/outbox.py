"""What the delivery loop and the deliveries query ask of the outbox (the projections keep it:
``projections/notifications/outbox.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

import msgspec

from domain.notifications.kinds import Notification, NotificationKind

# failed: given up after the attempts allowed, or refused with a 4xx; dropped: its webhook was removed
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

    def deliveries(self, owner_id: UUID, limit: int, offset: int) -> list[DeliveryView]:
        """The owner's deliveries, newest first."""
        ...
