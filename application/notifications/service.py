"""The notification use cases: a user's webhooks, their deliveries, and announcing a fact no
event records (the ESI sync's ``job_ready`` and ``sync_failing``)."""

from __future__ import annotations

from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from application.command_runner import save_atomically
from application.event_store import EventStore
from application.notifications.outbox import DeliveryStatus, DeliveryView, Outbox, WebhookHealth
from application.notifications.targets import WebhookTargets
from domain.aggregate import Aggregate
from domain.errors import NotFound
from domain.events import CommandMeta
from domain.notifications.kinds import Detail, NotificationKind
from domain.notifications.notices import Notice
from domain.notifications.webhooks import Webhook, Webhooks, webhooks_id


class WebhookView(Webhook, frozen=True, kw_only=True):
    """A webhook as its owner sees it: what was registered, and how its deliveries fare."""

    health: WebhookHealth = msgspec.field(default_factory=WebhookHealth)


class NotificationService:
    def __init__(self, store: EventStore, outbox: Outbox, targets: WebhookTargets) -> None:
        self.store = store
        self._outbox = outbox
        self._targets = targets

    def register(self, url: str, kinds: tuple[str, ...], secret: str | None, meta: CommandMeta) -> tuple[Webhook, int]:
        """Register a webhook whose host resolves, now, only to addresses it may post to (each
        delivery checks again as it connects)."""
        self._targets.check_url(url)
        owner = meta.user_id

        def decide() -> tuple[list[Aggregate], Webhook]:
            hooks = self._webhooks(owner) or Webhooks.open(owner, meta)
            return [hooks], hooks.register(url, kinds, secret, meta)

        return save_atomically(self.store, [webhooks_id(owner)], decide)

    def webhooks(self, user_id: UUID) -> list[WebhookView]:
        hooks = self._webhooks(user_id)
        if hooks is None:
            return []
        health = self._outbox.health(user_id)
        return [
            WebhookView(**msgspec.structs.asdict(hook), health=health.get(hook.webhook_id, WebhookHealth()))
            for hook in hooks.state()
        ]

    def remove(self, webhook_id: UUID, meta: CommandMeta) -> int:
        def decide() -> tuple[list[Aggregate], None]:
            hooks = self._webhooks(meta.user_id)
            if hooks is None:
                raise NotFound("webhook not found", "webhook_id")
            hooks.remove(webhook_id, meta)
            return [hooks], None

        return save_atomically(self.store, [webhooks_id(meta.user_id)], decide)[1]

    def deliveries(
        self, user_id: UUID, limit: int, offset: int, status: DeliveryStatus | None = None
    ) -> list[DeliveryView]:
        return self._outbox.deliveries(user_id, limit, offset, status)

    def announce(
        self, kind: NotificationKind, key: str, title: str, details: dict[str, Detail], meta: CommandMeta
    ) -> bool:
        """Announce a fact to ``meta.user_id``'s webhooks that want ``kind``; False when this
        (kind, key) was announced before (nothing recorded). For the ESI sync: a job ready
        (key: its game job id), a sync failing (key: the loop and when it began failing)."""
        notice = Notice.announce(kind, key, title, details, meta)
        try:
            self.store.save_events(notice)
        except IntegrityError:  # the notice's one event exists: announced before
            return False
        return True

    def _webhooks(self, user_id: UUID) -> Webhooks | None:
        try:
            return self.store.load(webhooks_id(user_id), Webhooks)
        except NotFound:
            return None
