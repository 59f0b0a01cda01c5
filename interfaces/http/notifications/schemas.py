"""Bodies of the notification routes: a webhook never shows its secret, only ``signed``."""

from __future__ import annotations

from typing import Annotated

import msgspec

from application.notifications import outbox, service
from domain.limits import NO_NUL
from domain.notifications import webhooks
from domain.notifications.kinds import KINDS, NotificationKind
from interfaces.http.bodies import Request, Response
from interfaces.http.wire import wire


class WebhookIn(Request):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=webhooks.MAX_URL_LENGTH, pattern=NO_NUL)]
    kinds: Annotated[list[NotificationKind], msgspec.Meta(min_length=1, max_length=len(KINDS))]
    # Signs each body (HMAC-SHA256, X-Manufactory-Signature); stored, never shown again.
    secret: (
        Annotated[
            str,
            msgspec.Meta(min_length=webhooks.MIN_SECRET_LENGTH, max_length=webhooks.MAX_SECRET_LENGTH, pattern=NO_NUL),
        ]
        | None
    ) = None


@wire
class Webhook(service.WebhookView, frozen=True):
    pass


class WebhookRegisteredOut(Response):
    webhook: Webhook
    position: int


class WebhookList(Response):
    webhooks: list[Webhook]


class WebhookRemovedOut(Response):
    webhook_id: str
    status: str
    position: int


@wire
class Delivery(outbox.DeliveryView, frozen=True):
    pass


class DeliveryList(Response):
    deliveries: list[Delivery]
