"""Webhook bodies, signatures and the URLs a webhook may post to."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import uuid
from datetime import UTC, datetime

import pytest

from domain.errors import InvalidInput
from domain.notifications.bodies import body_for, is_discord, signature
from domain.notifications.kinds import Notification
from domain.notifications.webhooks import checked_kinds, checked_url, refusal

AT = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
NOTIFICATION = Notification(
    owner_id=uuid.uuid4(),
    kind="run_completed",
    key="run-1",
    at=AT,
    title="Run of 10 × Modules completed",
    details={"quantity": 10, "planName": "Modules", "note": None},
)


@pytest.mark.parametrize(
    ("url", "discord"),
    [
        ("https://discord.com/api/webhooks/123/abc-DEF_9", True),
        ("https://discordapp.com/api/v10/webhooks/123/abc", True),
        ("http://192.168.1.5:3000/api/webhooks/123/abc", True),  # a Discord-compatible bridge
        ("https://discord.com/api/webhooks/abc/def", False),
        ("https://example.com/hooks/123/abc", False),
    ],
)
def test_discord_urls_are_told_by_their_path(url: str, discord: bool) -> None:
    assert is_discord(url) is discord


def test_a_plain_body_has_kind_time_and_details_and_a_discord_body_an_embed() -> None:
    plain = json.loads(body_for("https://example.com/hook", NOTIFICATION))
    assert plain == {
        "kind": "run_completed",
        "key": "run-1",
        "time": "2027-01-20T12:00:00Z",
        "title": "Run of 10 × Modules completed",
        "details": {"quantity": 10, "planName": "Modules", "note": None},
    }
    discord = json.loads(body_for("https://discord.com/api/webhooks/1/t", NOTIFICATION))
    (embed,) = discord["embeds"]
    assert discord["content"] == NOTIFICATION.title
    assert embed["fields"] == [
        {"name": "quantity", "value": "10", "inline": True},
        {"name": "planName", "value": "Modules", "inline": True},
    ]


def test_the_signature_is_hmac_sha256_over_the_timestamp_and_the_body() -> None:
    body = b'{"kind":"run_completed"}'
    expected = hmac.new(b"secret", b"1800446400." + body, hashlib.sha256).hexdigest()
    assert signature("secret", body, AT) == f"t=1800446400,v1={expected}"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.7/discord",
        "https://hooks.example.com/a?b=c",
        "http://[::1]:9000/x",
    ],
)
def test_loopback_lan_and_public_urls_are_allowed(url: str) -> None:
    assert checked_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1%25eth0]/x",
        "http://0.0.0.0/x",
        "http://224.0.0.1/x",
        "https://user:pw@example.com/x",
        "http://example.com:99999/x",
        "http:///nohost",
        "http://example.com/a b",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        checked_url(url)


def test_kinds_are_known_once_each_in_order() -> None:
    assert checked_kinds(("sync_failing", "job_ready", "job_ready")) == ("job_ready", "sync_failing")
    with pytest.raises(InvalidInput):
        checked_kinds(("job_done",))


@pytest.mark.parametrize(
    ("address", "private_allowed", "public_only"),
    [
        ("93.184.216.34", True, True),
        ("2606:4700::1111", True, True),
        ("127.0.0.1", True, False),
        ("::1", True, False),
        ("10.0.0.5", True, False),
        ("192.168.1.20", True, False),
        ("fc00::1", True, False),
        ("100.100.100.200", True, False),  # carrier-grade NAT (one cloud's metadata address)
        ("::ffff:10.0.0.5", True, False),  # an IPv4-mapped address is the IPv4 one
        ("169.254.169.254", False, False),
        ("::ffff:169.254.169.254", False, False),
        ("fe80::1", False, False),
        ("0.0.0.0", False, False),
        ("::", False, False),
        ("224.0.0.1", False, False),
        ("255.255.255.255", False, False),
    ],
)
def test_which_addresses_a_webhook_may_reach(address: str, private_allowed: bool, public_only: bool) -> None:
    parsed = ipaddress.ip_address(address)
    assert (refusal(parsed, allow_private=True) is None) == private_allowed
    assert (refusal(parsed, allow_private=False) is None) == public_only
