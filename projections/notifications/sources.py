"""Which events become which notifications, with the state the consumer keeps to tell.

- ``run_completed``: a plan run's last open job completed or was cancelled, its status by the
  run's own rule (``run_status``) now "completed", and at least one of its jobs completed (a
  run whose jobs were all cancelled completed nothing worth announcing).
- ``auto_production_run_generated``: a run created with the auto-production reason.
- ``stockpile_deficit_opened``: a marker that held what it wants now holds less, because its
  holdings fell or its desired quantity rose. Placing (or re-placing) a marker is not an
  opening: whoever placed it knows what it lacks. Needs the holdings of the marker's item at
  its location that count for it (its owner's in its container and division; an unowned
  marker's: all), so the consumer keeps them from the assets' events (a copy of the
  per-item quantities, not the stockpiles read model, which may be ahead of or behind this
  consumer). An event's changes are all applied before its markers are looked at, so a
  snapshot moving units between owners opens nothing an unowned marker still has.
- ``character_reauthorization_needed``: ``EveReauthorizationNeeded``.
- ``job_ready``, ``sync_failing`` and anything else a service announces: ``NoticeAnnounced``.

Also the webhooks themselves: which of a user's webhooks want a kind, as of the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete, func, insert, select, update

from domain.eve.links import EveReauthorizationNeeded
from domain.events import Event, stored_topic
from domain.industry.jobs import JobCancelled, JobCompleted, JobQueued, JobStarted
from domain.industry.runs import PlanRunCreated, run_status
from domain.notifications.kinds import Notification
from domain.notifications.notices import NoticeAnnounced
from domain.notifications.webhooks import WebhookRegistered, WebhookRemoved
from domain.stock.assets import UNOWNED, AssetsChanged, Spot, assets_id
from domain.stock.markers import MarkerPlaced, MarkerRemoved, MarkerUpdated
from projections.notifications import tables

Derive = Callable[[Connection, Any], list[Notification]]
_SOURCES: dict[type[Event], Derive] = {}


def _source(*events: type[Event]) -> Callable[[Derive], Derive]:
    def mark(derive: Derive) -> Derive:
        for event in events:
            _SOURCES[event] = derive
        return derive

    return mark


def events() -> tuple[type[Event], ...]:
    """The events that may announce something."""
    return tuple(_SOURCES)


def topics() -> list[str]:
    """What the consumer reads from the log."""
    return [stored_topic(event) for event in events()]


def notifications_of(connection: Connection, event: Event) -> list[Notification]:
    """Update the consumer's state with ``event`` and return what it announces."""
    return _SOURCES[type(event)](connection, event)


# ------------------------------------------------------------------ webhooks


@_source(WebhookRegistered)
def _webhook_registered(connection: Connection, event: WebhookRegistered) -> list[Notification]:
    connection.execute(
        insert(tables.webhooks).values(
            webhook_id=event.webhook_id,
            owner_id=event.meta.user_id,
            url=event.url,
            kinds=" ".join(event.kinds),
            secret=event.secret,
        )
    )
    return []


@_source(WebhookRemoved)
def _webhook_removed(connection: Connection, event: WebhookRemoved) -> list[Notification]:
    connection.execute(delete(tables.webhooks).where(tables.webhooks.c.webhook_id == event.webhook_id))
    deliveries = tables.deliveries
    connection.execute(
        update(deliveries)
        .where(deliveries.c.webhook_id == event.webhook_id, deliveries.c.status == "pending")
        .values(status="dropped", next_attempt_at=None)
    )
    return []


# ------------------------------------------------------------------ runs


@_source(PlanRunCreated)
def _run_created(connection: Connection, event: PlanRunCreated) -> list[Notification]:
    connection.execute(
        insert(tables.runs).values(
            run_id=event.originator_id,
            owner_id=event.owner_id,
            plan_name=event.plan_name,
            product_type_id=event.product_type_id,
            quantity=event.quantity,
        )
    )
    if event.reason is None or event.reason.trigger != "auto-production":
        return []
    return [
        Notification(
            owner_id=event.owner_id,
            kind="auto_production_run_generated",
            key=str(event.originator_id),
            at=event.timestamp,
            title=f"Auto-production queued {event.quantity} × {event.plan_name} ({len(event.job_ids)} jobs)",
            details={
                "runId": str(event.originator_id),
                "planId": str(event.plan_id),
                "planName": event.plan_name,
                "productTypeId": event.product_type_id,
                "quantity": event.quantity,
                "jobs": len(event.job_ids),
                "grossDeficit": event.reason.gross_deficit,
                "pendingOutput": event.reason.pending_output,
                "netDeficit": event.reason.net_deficit,
            },
        )
    ]


@_source(JobQueued)
def _job_queued(connection: Connection, event: JobQueued) -> list[Notification]:
    if event.spec.plan_run_id is not None:
        connection.execute(
            insert(tables.run_jobs).values(job_id=event.originator_id, run_id=event.spec.plan_run_id, status="planned")
        )
    return []


@_source(JobStarted)
def _job_started(connection: Connection, event: JobStarted) -> list[Notification]:
    _set_job_status(connection, event.originator_id, "active")
    return []


@_source(JobCompleted, JobCancelled)
def _job_ended(connection: Connection, event: JobCompleted | JobCancelled) -> list[Notification]:
    status = "completed" if isinstance(event, JobCompleted) else "cancelled"
    run_id = _set_job_status(connection, event.originator_id, status)
    if run_id is None:
        return []
    jobs = tables.run_jobs
    counts: dict[str, int] = dict(
        connection.execute(
            select(jobs.c.status, func.count()).where(jobs.c.run_id == run_id).group_by(jobs.c.status)
        ).all()
    )
    planned, active, completed, cancelled = (counts.get(s, 0) for s in ("planned", "active", "completed", "cancelled"))
    if run_status(planned, active, completed, cancelled) != "completed":
        return []
    # Completed and cancelled are final: the run is done with, and its rows with it.
    run = connection.execute(select(tables.runs).where(tables.runs.c.run_id == run_id)).first()
    connection.execute(delete(jobs).where(jobs.c.run_id == run_id))
    connection.execute(delete(tables.runs).where(tables.runs.c.run_id == run_id))
    if run is None or completed == 0:  # nothing made: all its jobs were cancelled
        return []
    return [
        Notification(
            owner_id=run.owner_id,
            kind="run_completed",
            key=str(run_id),
            at=event.timestamp,
            title=f"Run of {run.quantity} × {run.plan_name} completed ({completed} jobs done, {cancelled} cancelled)",
            details={
                "runId": str(run_id),
                "planName": run.plan_name,
                "productTypeId": run.product_type_id,
                "quantity": run.quantity,
                "completedJobs": completed,
                "cancelledJobs": cancelled,
            },
        )
    ]


def _set_job_status(connection: Connection, job_id: UUID, status: str) -> UUID | None:
    """Set a run's job status; the run's id, or None for a job of no run."""
    jobs = tables.run_jobs
    run_id: UUID | None = connection.execute(select(jobs.c.run_id).where(jobs.c.job_id == job_id)).scalar()
    if run_id is not None:
        connection.execute(update(jobs).where(jobs.c.job_id == job_id).values(status=status))
    return run_id


# ------------------------------------------------------------------ stockpiles


@_source(MarkerPlaced, MarkerUpdated)
def _marker_set(connection: Connection, event: MarkerPlaced | MarkerUpdated) -> list[Notification]:
    markers = tables.markers
    settings = event.settings
    row = connection.execute(select(markers).where(markers.c.marker_id == event.originator_id)).first()
    owner = event.owner_id if isinstance(event, MarkerPlaced) else event.meta.user_id
    assets = assets_id(row.owner_id if row is not None else owner)
    spot = settings.spot
    held = _held(connection, assets, settings.type_id, settings.location_id, spot)
    short = held < settings.desired_quantity
    values: dict[str, Any] = {"desired": settings.desired_quantity, "short": short, "removed": False}
    values |= dict(zip(("owner_type", "holder_id", "container_id", "division_number"), spot, strict=True))
    if row is None:
        connection.execute(
            insert(markers).values(
                marker_id=event.originator_id,
                owner_id=owner,
                assets_id=assets,
                type_id=settings.type_id,
                location_id=settings.location_id,
                **values,
            )
        )
        return []
    connection.execute(update(markers).where(markers.c.marker_id == event.originator_id).values(**values))
    if row.removed or row.short or not short:
        return []
    return [_deficit_opened(row, settings.desired_quantity, held, event)]


@_source(MarkerRemoved)
def _marker_removed(connection: Connection, event: MarkerRemoved) -> list[Notification]:
    markers = tables.markers
    connection.execute(update(markers).where(markers.c.marker_id == event.originator_id).values(removed=True))
    return []


@_source(AssetsChanged)
def _assets_changed(connection: Connection, event: AssetsChanged) -> list[Notification]:
    holdings, markers = tables.holdings, tables.markers
    opened: list[Notification] = []
    places: list[tuple[int, int]] = []
    for change in event.changes:
        place = {"assets_id": event.originator_id, "location_id": change.location_id, "type_id": change.type_id}
        key = place | dict(zip(_SPOT, _stored(change.key[2]), strict=True))
        connection.execute(delete(holdings).where(*(holdings.c[name] == value for name, value in key.items())))
        if change.new:
            connection.execute(insert(holdings).values(**key, quantity=change.new))
        if (change.location_id, change.type_id) not in places:
            places.append((change.location_id, change.type_id))
    for location_id, type_id in places:
        place = {"assets_id": event.originator_id, "location_id": location_id, "type_id": type_id}
        for row in connection.execute(
            select(markers).where(*(markers.c[name] == value for name, value in place.items()), ~markers.c.removed)
        ).all():
            held = _held(connection, event.originator_id, type_id, location_id, Spot(*(row._mapping[n] for n in _SPOT)))
            short = held < row.desired
            if short != row.short:
                connection.execute(update(markers).where(markers.c.marker_id == row.marker_id).values(short=short))
            if short and not row.short:
                opened.append(_deficit_opened(row, row.desired, held, event))
    return opened


_SPOT = ("owner_type", "holder_id", "container_id", "division_number")


def _stored(spot: Spot) -> tuple[str, int, int, int]:
    """A spot as the holdings table keys it (unowned parts: '' and 0)."""
    owner_type, owner_id, container_id, division = spot
    return owner_type or "", owner_id or 0, container_id or 0, division or 0


def _held(connection: Connection, assets: UUID, type_id: int, location_id: int, spot: Spot = UNOWNED) -> int:
    """Units of the item at the location that count for a marker of ``spot``."""
    holdings = tables.holdings
    query = select(func.sum(holdings.c.quantity)).where(
        holdings.c.assets_id == assets, holdings.c.type_id == type_id, holdings.c.location_id == location_id
    )
    if spot != UNOWNED:
        query = query.where(*(holdings.c[name] == value for name, value in zip(_SPOT, _stored(spot), strict=True)))
    held = connection.execute(query).scalar()
    return int(held or 0)


def _deficit_opened(marker: Any, desired: int, held: int, event: Event) -> Notification:
    return Notification(
        owner_id=marker.owner_id,
        kind="stockpile_deficit_opened",
        key=f"{marker.marker_id}@{event.originator_id}:{event.originator_version}",
        at=event.timestamp,
        title=f"Stockpile of item {marker.type_id} at {marker.location_id} is short by {desired - held}",
        details={
            "markerId": str(marker.marker_id),
            "typeId": marker.type_id,
            "locationId": marker.location_id,
            "desiredQuantity": desired,
            "currentQuantity": held,
            "deficit": desired - held,
        },
    )


# ------------------------------------------------------------------ announced


@_source(EveReauthorizationNeeded)
def _reauthorization_needed(connection: Connection, event: EveReauthorizationNeeded) -> list[Notification]:
    return [
        Notification(
            owner_id=event.meta.user_id,  # the links' owner: the SSO records it as theirs
            kind="character_reauthorization_needed",
            key=f"{event.character_id}@{event.originator_version}",
            at=event.timestamp,
            title=f"Character {event.character_id} needs re-authorization: log in again at /v1/eve/login",
            details={"characterId": event.character_id, "reason": event.reason},
        )
    ]


@_source(NoticeAnnounced)
def _announced(connection: Connection, event: NoticeAnnounced) -> list[Notification]:
    return [
        Notification(
            owner_id=event.owner_id,
            kind=event.kind,
            key=event.key,
            at=event.timestamp,
            title=event.title,
            details=event.details,
        )
    ]
