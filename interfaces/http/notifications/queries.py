"""Query routes of notifications: your webhooks and your deliveries."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.notifications.outbox import DeliveryStatus
from application.notifications.service import NotificationService
from interfaces.http.notifications.schemas import Delivery, DeliveryList, Webhook, WebhookList
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset


class NotificationQueries(Controller):
    @get("/v1/notifications/webhooks", tags=["queries"])
    async def get_webhooks(
        self, notifications: NamedDependency[NotificationService], user_id: NamedDependency[UUID]
    ) -> WebhookList:
        """Your webhooks (never their secrets: ``signed`` says whether one is set), read from
        the event store, so always current; and each one's ``health``: ``failing`` once the
        last of its deliveries to end was given up, how many were given up since the last one
        delivered, and the last error."""
        found = await anyio.to_thread.run_sync(notifications.webhooks, user_id)
        return WebhookList(webhooks=msgspec.convert(found, list[Webhook], from_attributes=True))

    @get("/v1/notifications/deliveries", tags=["queries"])
    async def get_deliveries(
        self,
        notifications: NamedDependency[NotificationService],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
        status: Annotated[DeliveryStatus | None, QueryParameter(description="Only deliveries in this status")] = None,
    ) -> DeliveryList:
        """Your webhooks' deliveries, newest first: status (pending, delivered, failed: given
        up for good once its attempts or MANUFACTORY_WEBHOOK_MAX_AGE_SEC ran out or the receiver
        refused it with a 4xx; dropped: its webhook was removed), attempts, when the next one is
        due, the last error, and each attempt's HTTP status or error and duration. A delivery
        appears once the outbox has read its event (within a second of it, or at once in this
        process); ended ones are kept MANUFACTORY_WEBHOOK_RETENTION_SEC."""
        found = await anyio.to_thread.run_sync(notifications.deliveries, user_id, limit, offset, status)
        return DeliveryList(deliveries=msgspec.convert(found, list[Delivery], from_attributes=True))
