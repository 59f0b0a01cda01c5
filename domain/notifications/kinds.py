"""What a user can be notified of, and one notification as the outbox holds it.

A notification is derived from events (``projections/notifications/sources.py``) or announced
by a service that sees something no event records (``Notice``: a game job past its end date
is "ready" by the clock, a sync loop failing); either way it carries a ``key`` that names the
fact, so one fact is one notification per webhook however often it is derived or announced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args
from uuid import UUID

import msgspec

NotificationKind = Literal[
    "job_ready",  # a game job is past its end date: deliver it (the ESI job sync)
    "run_completed",  # every job of a plan run is completed or cancelled, one at least completed
    "stockpile_deficit_opened",  # a marker held what it wants and now holds less
    "auto_production_run_generated",  # the auto-production runner generated a run
    "character_reauthorization_needed",  # the SSO refused a character's refresh token
    "sync_failing",  # an ESI sync loop keeps failing (the ESI sync)
]
KINDS: tuple[NotificationKind, ...] = get_args(NotificationKind)

# What a detail value may be: what any JSON body and a Discord embed field can show.
Detail = str | int | float | bool | None


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    owner_id: UUID
    kind: NotificationKind
    key: str  # names the fact: one notification per (webhook, kind, key)
    at: datetime  # when the fact happened (the event's time)
    title: str  # one line a person reads
    details: dict[str, Detail] = msgspec.field(default_factory=dict)
