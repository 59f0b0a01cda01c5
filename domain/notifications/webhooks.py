"""The webhooks a user registers: where to post, which kinds, and an optional signing secret.

Each user has one ``Webhooks`` aggregate (its id derived from the user's, like the EVE links),
so listing them is one load and the per-user bound is checked in one place. The secret is in
the registration event (the outbox signs with it), named in ``redacted`` so audit never
shows it, and never in ``state()`` or any answer.

URLs: http or https, at most ``MAX_URL_LENGTH`` characters, no credentials in them. Which
addresses a webhook may reach is ``refusal``: never link-local ones (169.254.0.0/16,
fe80::/10: the cloud metadata services), unspecified, multicast or reserved ones; loopback,
private (LAN) and other non-public ones only where the operator allows them
(``MANUFACTORY_WEBHOOK_ALLOW_PRIVATE``: a self-hosted tool posting to a bridge on its LAN, the
tests' local receiver), because otherwise any user could make the server post to the
services beside it. A literal address never allowed is refused here; what a name resolves to
is checked by the application (``application/notifications/targets.py``) when registering
and again, pinned, when posting, and deliveries never follow redirects.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any, ClassVar
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.events import CommandMeta, Event
from domain.notifications.kinds import KINDS, NotificationKind

_WEBHOOKS_NAMESPACE = UUID("0f8c6a52-93e1-4c1e-b7a4-5d2e61c9a7f3")
MAX_URL_LENGTH = 2048
MAX_SECRET_LENGTH = 256
MIN_SECRET_LENGTH = 16
MAX_WEBHOOKS = 20  # per user


def webhooks_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_WEBHOOKS_NAMESPACE, str(owner_id))


class Webhook(msgspec.Struct, frozen=True, kw_only=True):
    """A registered webhook as it is shown: never its secret, only whether it has one."""

    webhook_id: UUID
    url: str
    kinds: tuple[NotificationKind, ...]
    signed: bool


def checked_url(url: str) -> str:
    """The URL if a webhook may post to it (see the module's docstring), else InvalidInput."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url must be at most {MAX_URL_LENGTH} characters", "url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise InvalidInput("url is not a valid URL", "url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an http:// or https:// URL with a host", "url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("url must not carry credentials (use the secret to sign instead)", "url")
    if any(ord(character) < 33 for character in url):
        raise InvalidInput("url must not contain spaces or control characters", "url")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url  # a name: resolved when registering and when posting
    refused = refusal(address, allow_private=True)
    if refused is not None:
        raise InvalidInput(f"url must not name {refused}", "url")
    return url


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why a webhook may not post to ``address`` (a phrase such as "a link-local address"),
    or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    loopback = address.is_loopback  # asked first: Python counts ::1 in the reserved ::/8
    if not loopback and (address.is_unspecified or address.is_multicast or address.is_reserved):
        return "an unspecified, multicast or reserved address"
    if not (allow_private or address.is_global):
        return "a loopback, private or otherwise non-public address (MANUFACTORY_WEBHOOK_ALLOW_PRIVATE allows them)"
    return None


def checked_kinds(kinds: tuple[str, ...]) -> tuple[NotificationKind, ...]:
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise InvalidInput(f"unknown kinds {unknown}; known: {', '.join(KINDS)}", "kinds")
    if not kinds:
        raise InvalidInput("name at least one kind", "kinds")
    return tuple(kind for kind in KINDS if kind in kinds)  # in the canonical order, once each


class Webhooks(Aggregate):
    hooks: dict[UUID, WebhookRegistered]

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> Webhooks:
        return cls._create(
            WebhooksOpened,
            webhooks_id(owner_id),
            meta=meta,
            owner_id=owner_id,
        )

    def register(self, url: str, kinds: tuple[str, ...], secret: str | None, meta: CommandMeta) -> Webhook:
        if len(self.hooks) >= MAX_WEBHOOKS:
            raise RuleViolation(f"at most {MAX_WEBHOOKS} webhooks per user; remove one first", "url")
        if secret is not None and not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
            raise InvalidInput(f"secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters", "secret")
        webhook_id = uuid.uuid4()
        self._record(
            WebhookRegistered,
            meta=meta,
            webhook_id=webhook_id,
            url=checked_url(url),
            kinds=checked_kinds(kinds),
            secret=secret,
        )
        return self.webhook(webhook_id)

    def remove(self, webhook_id: UUID, meta: CommandMeta) -> None:
        self.webhook(webhook_id)
        self._record(WebhookRemoved, meta=meta, webhook_id=webhook_id)

    def webhook(self, webhook_id: UUID) -> Webhook:
        try:
            registered = self.hooks[webhook_id]
        except KeyError:
            raise NotFound("webhook not found", "webhook_id") from None
        return registered.shown()

    def state(self) -> list[Webhook]:
        return [hook.shown() for hook in self.hooks.values()]


class WebhooksOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> Webhooks:
        webhooks = Webhooks(self.originator_id, self.owner_id, self.timestamp)
        webhooks.hooks = {}
        return webhooks


class WebhookRegistered(Event, frozen=True):
    redacted: ClassVar[frozenset[str]] = frozenset({"secret"})

    webhook_id: UUID
    url: str
    kinds: tuple[NotificationKind, ...]
    secret: str | None = None

    def apply(self, aggregate: Webhooks) -> Webhooks:
        aggregate.hooks[self.webhook_id] = self
        return aggregate

    def shown(self) -> Webhook:
        return Webhook(webhook_id=self.webhook_id, url=self.url, kinds=self.kinds, signed=self.secret is not None)


class WebhookRemoved(Event, frozen=True):
    webhook_id: UUID

    def apply(self, aggregate: Webhooks) -> Webhooks:
        aggregate.hooks.pop(self.webhook_id, None)
        return aggregate
