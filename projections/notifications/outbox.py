"""The notification outbox, fed from the event log as a projection is (``projections/runtime``):
events read and decoded before the write transaction, then under the lock of the position row
the rows they cause are written and the position moved past them, in one transaction. A
second process that got there first is seen by the position having moved: its batch is
dropped and read again. So exactly the events after the position become rows, once each.

Ended deliveries (delivered, failed, dropped) are pruned once their notification is older than
the retention (``prune``). Pruning cannot make a fact be notified again: a row's fact comes from
one event (a notice's from its one-event aggregate), which the position never feeds twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import ApplicationRecorder
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from application.log_rows import log_reader
from application.mapper import decode_event
from application.notifications.outbox import (
    Attempt,
    AttemptOutcome,
    DeliveryStatus,
    DeliveryView,
    DueDelivery,
    WebhookHealth,
)
from domain.events import Event
from domain.notifications.kinds import Notification
from projections.database import query_engine, write_transaction
from projections.notifications import sources, tables

log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 500


class SqlOutbox:
    def __init__(self, engine: Engine, recorder: ApplicationRecorder, batch_size: int = 500) -> None:
        self.engine = engine
        self._reader = query_engine(engine)
        self.recorder = recorder
        self.log_rows = log_reader(recorder)
        self.batch_size = batch_size
        self._topics = sources.topics()

    # ------------------------------------------------------------------ feeding

    def position(self) -> int:
        with self._reader.connect() as connection:
            return self._position(connection, lock=False)

    def feed(self) -> int:
        added = 0
        while True:
            head = self.recorder.max_notification_id() or 0
            position = self.position()
            if position >= head:
                return added
            rows = self.log_rows.select_log(position + 1, self.batch_size, head, self._topics)
            reached = rows[-1][0] if len(rows) == self.batch_size else head
            events = [(at, self._decode(at, topic, state)) for at, _, _, topic, state in rows]
            with write_transaction(self.engine) as connection:
                if self._position(connection, lock=True) != position:
                    continue  # another process fed these: read again from where it got
                for at, event in events:
                    if event is not None:
                        for notification in sources.notifications_of(connection, event):
                            added += self._enqueue(connection, at, notification)
                connection.execute(
                    update(tables.feed_position)
                    .where(tables.feed_position.c.name == tables.FEED)
                    .values(position=reached)
                )

    @staticmethod
    def _decode(position: int, topic: str, state: bytes) -> Event | None:
        try:
            return decode_event(topic, state)
        except Exception:  # an event this code cannot read announces nothing; it must not stop the rest
            log.exception("notifications: cannot decode event %d; skipping it", position)
            return None

    @staticmethod
    def _position(connection: Connection, lock: bool) -> int:
        query = select(tables.feed_position.c.position).where(tables.feed_position.c.name == tables.FEED)
        position: int = connection.execute(query.with_for_update() if lock else query).scalar_one()
        return position

    @staticmethod
    def _enqueue(connection: Connection, position: int, notification: Notification) -> int:
        """One pending delivery per webhook of the owner that wants the kind, unless that
        webhook already has this fact (its key); how many were added."""
        webhooks, deliveries = tables.webhooks, tables.deliveries
        wanted = [
            row.webhook_id
            for row in connection.execute(
                select(webhooks.c.webhook_id, webhooks.c.kinds).where(webhooks.c.owner_id == notification.owner_id)
            )
            if notification.kind in row.kinds.split()
        ]
        added = 0
        for webhook_id in wanted:
            known = connection.execute(
                select(deliveries.c.delivery_id).where(
                    deliveries.c.webhook_id == webhook_id,
                    deliveries.c.kind == notification.kind,
                    deliveries.c.key == notification.key,
                )
            ).first()
            if known is None:
                connection.execute(
                    insert(deliveries).values(
                        owner_id=notification.owner_id,
                        webhook_id=webhook_id,
                        kind=notification.kind,
                        key=notification.key,
                        position=position,
                        notification=msgspec.json.encode(notification).decode(),
                        status="pending",
                        attempts=0,
                        created_at=notification.at,
                        next_attempt_at=notification.at,
                    )
                )
                added += 1
        return added

    # ------------------------------------------------------------------ delivering

    def claim_due(self, now: datetime, limit: int, lease_sec: float) -> list[DueDelivery]:
        deliveries, webhooks = tables.deliveries, tables.webhooks
        query = (
            select(
                deliveries.c.delivery_id,
                deliveries.c.webhook_id,
                deliveries.c.attempts,
                deliveries.c.notification,
                webhooks.c.url,
                webhooks.c.secret,
            )
            .join(webhooks, webhooks.c.webhook_id == deliveries.c.webhook_id)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.delivery_id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=deliveries)
        )
        with write_transaction(self.engine) as connection:
            due: list[DueDelivery] = []
            for row in connection.execute(query).all():
                try:
                    due.append(_due_delivery(row))
                except msgspec.DecodeError as error:  # never deliverable: given up now, not claimed forever
                    self._give_up_unreadable(connection, row.delivery_id, error)
            if due:
                connection.execute(
                    update(deliveries)
                    .where(deliveries.c.delivery_id.in_([delivery.delivery_id for delivery in due]))
                    .values(next_attempt_at=now + timedelta(seconds=lease_sec))
                )
        return due

    @staticmethod
    def _give_up_unreadable(connection: Connection, delivery_id: int, error: msgspec.DecodeError) -> None:
        """A notification this code cannot read (stored by another version): failed for good."""
        log.warning("notifications: delivery %d cannot be read (%s); giving up", delivery_id, error)
        connection.execute(
            update(tables.deliveries)
            .where(tables.deliveries.c.delivery_id == delivery_id)
            .values(status="failed", next_attempt_at=None, last_error=f"unreadable: {error}"[:MAX_ERROR_CHARS])
        )

    def record(self, outcome: AttemptOutcome) -> None:
        deliveries = tables.deliveries
        error = outcome.error[:MAX_ERROR_CHARS] if outcome.error else None
        if error is None:
            status, changes = "delivered", {"delivered_at": outcome.at, "next_attempt_at": None}
        elif outcome.retry_at is None:
            status, changes = "failed", {"next_attempt_at": None}
        else:
            status, changes = "pending", {"next_attempt_at": outcome.retry_at}
        with write_transaction(self.engine) as connection:
            updated = connection.execute(
                update(deliveries)
                .where(
                    deliveries.c.delivery_id == outcome.delivery_id,
                    deliveries.c.status == "pending",
                    deliveries.c.attempts == outcome.attempt - 1,
                )
                .values(
                    status=status,
                    attempts=outcome.attempt,
                    last_status_code=outcome.status_code,
                    last_error=error,
                    **changes,
                )
            )
            if updated.rowcount == 0:  # its claim ran out and another process recorded this attempt
                log.warning("notifications: delivery %d attempt %d taken over", outcome.delivery_id, outcome.attempt)
                return
            connection.execute(
                insert(tables.attempts).values(
                    delivery_id=outcome.delivery_id,
                    attempt=outcome.attempt,
                    at=outcome.at,
                    status_code=outcome.status_code,
                    error=error,
                    duration_ms=outcome.duration_ms,
                )
            )

    # ------------------------------------------------------------------ reading

    def deliveries(
        self, owner_id: UUID, limit: int, offset: int, status: DeliveryStatus | None = None
    ) -> list[DeliveryView]:
        deliveries, attempts = tables.deliveries, tables.attempts
        query = select(deliveries).where(deliveries.c.owner_id == owner_id)
        if status is not None:
            query = query.where(deliveries.c.status == status)
        with self._reader.connect() as connection:
            rows = connection.execute(query.order_by(deliveries.c.delivery_id.desc()).limit(limit).offset(offset)).all()
            log_of: dict[int, list[Attempt]] = {row.delivery_id: [] for row in rows}
            if rows:
                for attempt in connection.execute(
                    select(attempts)
                    .where(attempts.c.delivery_id.in_(list(log_of)))
                    .order_by(attempts.c.delivery_id, attempts.c.attempt)
                ):
                    log_of[attempt.delivery_id].append(
                        Attempt(
                            attempt=attempt.attempt,
                            at=attempt.at,
                            status_code=attempt.status_code,
                            error=attempt.error,
                            duration_ms=attempt.duration_ms,
                        )
                    )
        return [_view(row, log_of[row.delivery_id]) for row in rows]

    def health(self, owner_id: UUID) -> dict[UUID, WebhookHealth]:
        deliveries = tables.deliveries
        mine = deliveries.c.owner_id == owner_id
        last_delivered = (
            select(
                deliveries.c.webhook_id,
                func.max(deliveries.c.delivery_id).label("delivery_id"),
                func.max(deliveries.c.delivered_at).label("at"),
            )
            .where(mine, deliveries.c.status == "delivered")
            .group_by(deliveries.c.webhook_id)
            .subquery()
        )
        given_up = (
            select(
                deliveries.c.webhook_id,
                func.count().label("in_a_row"),
                func.max(deliveries.c.delivery_id).label("last"),
            )
            .select_from(deliveries.outerjoin(last_delivered, last_delivered.c.webhook_id == deliveries.c.webhook_id))
            .where(
                mine,
                deliveries.c.status == "failed",
                deliveries.c.delivery_id > func.coalesce(last_delivered.c.delivery_id, 0),
            )
            .group_by(deliveries.c.webhook_id)
        )
        with self._reader.connect() as connection:
            delivered_at = {row.webhook_id: row.at for row in connection.execute(select(last_delivered))}
            failures = {row.webhook_id: row for row in connection.execute(given_up)}
            last_errors = dict(
                connection.execute(
                    select(deliveries.c.webhook_id, deliveries.c.last_error).where(
                        deliveries.c.delivery_id.in_([row.last for row in failures.values()])
                    )
                ).all()
            )
        return {
            webhook_id: WebhookHealth(
                failing=webhook_id in failures,
                failed_in_a_row=failures[webhook_id].in_a_row if webhook_id in failures else 0,
                last_delivered_at=delivered_at.get(webhook_id),
                last_error=last_errors.get(webhook_id),
            )
            for webhook_id in delivered_at.keys() | failures.keys()
        }

    # ------------------------------------------------------------------ pruning

    def prune(self, created_before: datetime, limit: int) -> int:
        deliveries, attempts = tables.deliveries, tables.attempts
        ended = (
            select(deliveries.c.delivery_id)
            .where(deliveries.c.status != "pending", deliveries.c.created_at < created_before)
            .order_by(deliveries.c.delivery_id)  # the oldest first, through the primary key
            .limit(limit)
        )
        with write_transaction(self.engine) as connection:
            ids = list(connection.execute(ended).scalars())
            if ids:
                connection.execute(delete(attempts).where(attempts.c.delivery_id.in_(ids)))
                connection.execute(delete(deliveries).where(deliveries.c.delivery_id.in_(ids)))
        return len(ids)


def _due_delivery(row: Any) -> DueDelivery:
    return DueDelivery(
        delivery_id=row.delivery_id,
        webhook_id=row.webhook_id,
        url=row.url,
        secret=row.secret,
        attempt=row.attempts + 1,
        notification=msgspec.json.decode(row.notification, type=Notification),
    )


def _view(row: Any, attempt_log: list[Attempt]) -> DeliveryView:
    notification = msgspec.json.decode(row.notification, type=Notification)
    return DeliveryView(
        delivery_id=row.delivery_id,
        webhook_id=row.webhook_id,
        kind=notification.kind,
        key=row.key,
        title=notification.title,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        attempt_log=attempt_log,
    )
