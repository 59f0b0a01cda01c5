"""Command routes of notifications: register and remove webhooks."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Controller, delete, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.notifications.service import NotificationService
from domain.events import CommandMeta
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.notifications.schemas import Webhook, WebhookIn, WebhookRegisteredOut, WebhookRemovedOut


class NotificationCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/notifications/webhooks", tags=["commands"], status_code=201)
    async def register_webhook(
        self,
        notifications: NamedDependency[NotificationService],
        data: JSONBody[WebhookIn],
        meta: NamedDependency[CommandMeta],
    ) -> WebhookRegisteredOut:
        """Register a webhook for the kinds named: job_ready, run_completed,
        stockpile_deficit_opened, auto_production_run_generated,
        character_reauthorization_needed, sync_failing. A URL shaped as a Discord webhook
        (``/api/webhooks/<id>/<token>``) gets Discord's body, any other a JSON body with kind,
        time, title and details. With a secret each body is signed
        (``X-Manufactory-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``); the
        secret is never shown again. The URL's host must resolve, now and at each delivery, only
        to public addresses (422 naming ``url`` otherwise); loopback and LAN ones only where the
        server sets MANUFACTORY_WEBHOOK_ALLOW_PRIVATE, link-local ones (cloud metadata) never."""
        webhook, position = await anyio.to_thread.run_sync(
            notifications.register, data.url, tuple(data.kinds), data.secret, meta
        )
        return WebhookRegisteredOut(webhook=msgspec.convert(webhook, Webhook, from_attributes=True), position=position)

    @delete("/v1/notifications/webhooks/{webhook_id:uuid}", tags=["commands"], status_code=200)
    async def remove_webhook(
        self,
        notifications: NamedDependency[NotificationService],
        webhook_id: Annotated[UUID, PathParameter(description="The webhook's id")],
        meta: NamedDependency[CommandMeta],
    ) -> WebhookRemovedOut:
        """Remove one of your webhooks; its deliveries not yet made are dropped."""
        position = await anyio.to_thread.run_sync(notifications.remove, webhook_id, meta)
        return WebhookRemovedOut(webhook_id=str(webhook_id), status="removed", position=position)
