"""Query routes of notifications: your webhooks and your deliveries."""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from application.notifications.service import NotificationService
from interfaces.http.notifications.schemas import Delivery, DeliveryList, Webhook, WebhookList
from interfaces.http.paging import DEFAULT_PAGE, Limit, Offset


class NotificationQueries(Controller):
    @get("/v1/notifications/webhooks", tags=["queries"])
    async def get_webhooks(
        self, notifications: NamedDependency[NotificationService], user_id: NamedDependency[UUID]
    ) -> WebhookList:
        """Your webhooks (never their secrets: ``signed`` says whether one is set). Read from
        the event store, so always current."""
        found = await anyio.to_thread.run_sync(notifications.webhooks, user_id)
        return WebhookList(webhooks=msgspec.convert(found, list[Webhook], from_attributes=True))

    @get("/v1/notifications/deliveries", tags=["queries"])
    async def get_deliveries(
        self,
        notifications: NamedDependency[NotificationService],
        user_id: NamedDependency[UUID],
        limit: Limit = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> DeliveryList:
        """Your webhooks' deliveries, newest first: status (pending, delivered, failed: given
        up, dropped: its webhook was removed), attempts, when the next one is due, and each
        attempt's HTTP status or error and duration. A delivery appears once the outbox has
        read its event (within a second of it, or at once in this process)."""
        found = await anyio.to_thread.run_sync(notifications.deliveries, user_id, limit, offset)
        return DeliveryList(deliveries=msgspec.convert(found, list[Delivery], from_attributes=True))
