"""Audit: an aggregate's events with who, when and why, or its state as of a version.

Read straight from the event store (the source of truth), shared by HTTP and the CLI.
Another user's aggregate answers exactly as an id that was never used, at the same cost
(one read of at most one event), and secrets in payloads (``Event.redacted``) are left out,
also from events stored before their class named them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from application.event_store import EventStore
from domain.aggregate import Aggregate
from domain.catalog.catalog import SHARED_CATALOG_OWNER
from domain.errors import NotFound
from domain.events import stored_name

_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "meta", "class_version"}


def camel_keys(value: Any) -> Any:
    """Payloads and states are shown with the API's camelCase names, at every depth."""
    if isinstance(value, dict):
        return {_camel(str(key)): camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class AuditEvent(msgspec.Struct, rename="camel", kw_only=True):
    version: int
    type: str
    timestamp: datetime
    user_id: UUID
    correlation_id: str
    causation_id: str | None
    payload: dict[str, Any]


class AuditTrail(msgspec.Struct, rename="camel", kw_only=True):
    aggregate_id: UUID
    aggregate_type: str
    version: int
    events: list[AuditEvent]


class AuditState(msgspec.Struct, rename="camel", kw_only=True):
    aggregate_id: UUID
    aggregate_type: str
    version: int
    state: dict[str, Any]


def audit(
    store: EventStore,
    user_id: UUID | None,
    aggregate_id: UUID,
    version: int | None,
    *,
    after: int = 0,
    limit: int | None = None,
) -> AuditTrail | AuditState:
    """``user_id`` limits it to that user's aggregates and the shared catalog (everyone's to
    read); None (the operator's CLI) sees all. The trail lists the events after version
    ``after``, at most ``limit`` of them (all by default): a page of a long history costs that
    page, as the type and the latest version are read from the first and the newest event alone."""
    first = _first(store, aggregate_id)
    if user_id is not None and first.owner_id not in (user_id, SHARED_CATALOG_OWNER):
        raise _not_found()
    kind = type(first).__name__
    latest = store.latest_version(aggregate_id) or first.version
    if version is not None:
        if version > latest:
            raise NotFound(f"{kind.lower()} has no version {version}; its latest is {latest}", "version")
        then = store.load(aggregate_id, Aggregate, version=version)
        state = camel_keys(msgspec.to_builtins(then.state()))
        return AuditState(aggregate_id=aggregate_id, aggregate_type=kind, version=version, state=state)
    events = [
        AuditEvent(
            version=event.originator_version,
            type=stored_name(type(event)),
            timestamp=event.timestamp,
            user_id=event.meta.user_id,
            correlation_id=event.meta.correlation_id,
            causation_id=event.meta.causation_id,
            payload=camel_keys(
                {
                    key: value
                    for key, value in msgspec.to_builtins(event).items()
                    if key not in _ENVELOPE_FIELDS and key not in event.redacted
                }
            ),
        )
        for event in store.history(aggregate_id, after=after or None, limit=limit)
    ]
    return AuditTrail(aggregate_id=aggregate_id, aggregate_type=kind, version=latest, events=events)


def _not_found() -> NotFound:
    return NotFound("aggregate not found", "aggregate_id")


def _first(store: EventStore, aggregate_id: UUID) -> Aggregate:
    """The aggregate as its creation event made it: its type and owner (owners never change).
    Read from the store and not the cache: whether the id is unused, another user's, or large,
    this costs the same one read of at most one event."""
    try:
        return store.load(aggregate_id, Aggregate, version=1)
    except NotFound:
        raise _not_found() from None
