"""What a webhook receives: the body for its URL and the signature over it.

A URL shaped like a Discord webhook (``/api/webhooks/<id>/<token>``, on any host: Discord's,
or a Discord-compatible bridge on the LAN) gets Discord's execute-webhook body
(``content`` and one embed, within Discord's limits); any other URL gets a JSON body with the
kind, the time and the details. Both name the notification's key, so a receiver can drop the
repeats at-least-once delivery may bring.

The signature (only for a webhook with a secret) is HMAC-SHA256 over ``<timestamp>.<body>``
with the secret, sent as ``X-Manufactory-Signature: t=<unix seconds>,v1=<hex digest>``: the
timestamp is signed too, so a receiver can refuse old replays (as Stripe's scheme does).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec

from domain.notifications.kinds import Notification

SIGNATURE_HEADER = "X-Manufactory-Signature"
_DISCORD_PATH = re.compile(r"^/api(/v\d+)?/webhooks/\d+/[A-Za-z0-9_.-]+/?$")
# Discord's limits: content 2000 characters, an embed's title 256, 25 fields of name 256
# and value 1024.
_CONTENT, _TITLE, _FIELDS, _FIELD_NAME, _FIELD_VALUE = 2000, 256, 25, 256, 1024
_COLOURS = {
    "job_ready": 0x2ECC71,
    "run_completed": 0x3498DB,
    "stockpile_deficit_opened": 0xE67E22,
    "auto_production_run_generated": 0x9B59B6,
    "character_reauthorization_needed": 0xE74C3C,
    "sync_failing": 0xE74C3C,
}


def is_discord(url: str) -> bool:
    return bool(_DISCORD_PATH.match(urlsplit(url).path))


def body_for(url: str, notification: Notification) -> bytes:
    """The bytes to post to ``url`` (signed as they are)."""
    if is_discord(url):
        return msgspec.json.encode(_discord(notification))
    return msgspec.json.encode(
        {
            "kind": notification.kind,
            "key": notification.key,
            "time": notification.at,
            "title": notification.title,
            "details": notification.details,
        }
    )


def _discord(notification: Notification) -> dict[str, Any]:
    fields = [
        {"name": name[:_FIELD_NAME], "value": str(value)[:_FIELD_VALUE] or "-", "inline": True}
        for name, value in notification.details.items()
        if value is not None
    ][:_FIELDS]
    embed = {
        "title": notification.title[:_TITLE],
        "timestamp": notification.at.isoformat(),
        "color": _COLOURS.get(notification.kind, 0x95A5A6),
        "fields": fields,
        "footer": {"text": f"{notification.kind} · {notification.key}"[:_FIELD_NAME]},
    }
    return {"content": notification.title[:_CONTENT], "embeds": [embed]}


def signature(secret: str, body: bytes, at: datetime) -> str:
    """The signature header's value for ``body`` sent at ``at``."""
    timestamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
