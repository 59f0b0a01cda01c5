"""Notices: what a service announces because it saw something no other event records.

A game job past its end date is "ready" by the clock (ESI keeps calling it active), and a
sync loop failing is a fact about the loop, not about any aggregate: the ESI sync announces
them (``NotificationService.announce``). Each notice is an aggregate of one event, its id
derived from (user, kind, key), so announcing the same fact again records nothing: the key
says what "the same" is (a job ready: its game job id; a failing sync: the loop and when it
began failing, so a loop that recovers and fails again is a new notice).
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from domain.aggregate import Aggregate
from domain.events import CommandMeta, Event
from domain.notifications.kinds import Detail, NotificationKind

_NOTICE_NAMESPACE = UUID("6a1d0b6e-2f55-4f0a-8c3e-9b7d4e2a1c58")


def notice_id(owner_id: UUID, kind: NotificationKind, key: str) -> UUID:
    return uuid.uuid5(_NOTICE_NAMESPACE, f"{owner_id}/{kind}/{key}")


class Notice(Aggregate):
    kind: NotificationKind
    key: str

    @classmethod
    def announce(
        cls, kind: NotificationKind, key: str, title: str, details: dict[str, Detail], meta: CommandMeta
    ) -> Notice:
        return cls._create(
            NoticeAnnounced,
            notice_id(meta.user_id, kind, key),
            meta=meta,
            owner_id=meta.user_id,
            kind=kind,
            key=key,
            title=title,
            details=details,
        )

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key}


class NoticeAnnounced(Event, frozen=True):
    owner_id: UUID
    kind: NotificationKind
    key: str
    title: str
    details: dict[str, Detail] = {}

    def apply(self, aggregate: Any) -> Notice:
        notice = Notice(self.originator_id, self.owner_id, self.timestamp)
        notice.kind = self.kind
        notice.key = self.key
        return notice
