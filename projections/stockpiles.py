"""Read models of assets and stockpile markers, and the deficits between them.

Deficits are never stored: a marker's deficit is its desired quantity minus what is held at
its location (never negative), computed in the query from the two tables, so it is right
the moment either changes. The projection also keeps the plans it may link to (from the
plans' own events): a marker whose plan is deleted is unlinked (the spec's ON DELETE SET
NULL), and a marker naming a plan already deleted is stored unlinked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    String,
    Table,
    Uuid,
    and_,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)

from domain.industry.plan import PlanCreated, PlanDeleted, PlanRenamed
from domain.stock.assets import AssetsChanged, Holding
from domain.stock.auto_production import MarkerDeficit
from domain.stock.markers import MarkerPlaced, MarkerRemoved, MarkerUpdated, StockpileMarker
from projections.catalog import CATALOG_ITEMS
from projections.readmodel import Attributes, BatchWriter, ReadModelTable, insert_rows
from projections.runtime import Projection, handles
from projections.types import UtcDateTime

ASSETS = ReadModelTable(
    "stock_assets",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("location_id", BigInteger, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
        Column("quantity", BigInteger, nullable=False),
    ],
    indexes=[("owner_type", ["owner_id", "type_id"], False)],
)

MARKERS = ReadModelTable(
    "stock_markers",
    lambda: [
        Column("marker_id", Uuid, primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        Column("type_id", BigInteger, nullable=False),
        Column("location_id", BigInteger, nullable=False),
        Column("desired_quantity", BigInteger, nullable=False),
        Column("plan_id", Uuid),
        Column("parallelism", Integer, nullable=False),
        Column("enabled", Boolean, nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ],
    indexes=[("owner", ["owner_id", "type_id", "location_id"], False), ("auto", ["enabled", "plan_id"], False)],
)

PLANS = ReadModelTable(
    "stock_plans",
    lambda: [
        Column("plan_id", Uuid, primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        Column("name", String(200), nullable=False),
        Column("product_type_id", BigInteger, nullable=False),
    ],
)


class StockpilesProjection(Projection):
    name = "stockpiles"
    tables = (ASSETS, MARKERS, PLANS)

    @handles(AssetsChanged)
    def _assets_changed(self, writer: BatchWriter, event: AssetsChanged) -> None:
        self._change_assets(writer.connection, writer.tables["stock_assets"], event)

    @handles(MarkerPlaced, MarkerUpdated)
    def _marker_set(self, writer: BatchWriter, event: MarkerPlaced | MarkerUpdated) -> None:
        self._upsert_marker(writer.connection, writer.tables["stock_markers"], writer.tables["stock_plans"], event)

    @handles(MarkerRemoved)
    def _marker_removed(self, writer: BatchWriter, event: MarkerRemoved) -> None:
        markers = writer.tables["stock_markers"]
        writer.execute(delete(markers).where(markers.c.marker_id == event.originator_id))

    @handles(PlanCreated)
    def _plan_created(self, writer: BatchWriter, event: PlanCreated) -> None:
        row = {
            "plan_id": event.originator_id,
            "owner_id": event.owner_id,
            "name": event.name,
            "product_type_id": event.product_type_id,
        }
        writer.insert("stock_plans", row)

    @handles(PlanRenamed)
    def _plan_renamed(self, writer: BatchWriter, event: PlanRenamed) -> None:
        plans = writer.tables["stock_plans"]
        writer.execute(update(plans).where(plans.c.plan_id == event.originator_id).values(name=event.name))

    @handles(PlanDeleted)
    def _plan_deleted(self, writer: BatchWriter, event: PlanDeleted) -> None:
        plans, markers = writer.tables["stock_plans"], writer.tables["stock_markers"]
        writer.execute(delete(plans).where(plans.c.plan_id == event.originator_id))
        writer.execute(update(markers).where(markers.c.plan_id == event.originator_id).values(plan_id=None))

    @staticmethod
    def _change_assets(connection: Connection, assets: Table, event: AssetsChanged) -> None:
        owner = event.meta.user_id  # only the owner (or a command on their behalf) changes their assets
        keys = [{"o": owner, "l": c.location_id, "t": c.type_id} for c in event.changes]
        connection.execute(
            delete(assets).where(
                and_(
                    assets.c.owner_id == bindparam("o"),
                    assets.c.location_id == bindparam("l"),
                    assets.c.type_id == bindparam("t"),
                )
            ),
            keys,
        )
        rows = [
            {"owner_id": owner, "location_id": c.location_id, "type_id": c.type_id, "quantity": c.new}
            for c in event.changes
            if c.new
        ]
        insert_rows(connection, assets, rows)

    @staticmethod
    def _upsert_marker(
        connection: Connection, markers: Table, plans: Table, event: MarkerPlaced | MarkerUpdated
    ) -> None:
        settings = event.settings
        plan_id = settings.plan_id
        if (
            plan_id is not None
            and connection.execute(select(plans.c.plan_id).where(plans.c.plan_id == plan_id)).first() is None
        ):
            plan_id = None  # deleted before this marker named it
        values = {
            "type_id": settings.type_id,
            "location_id": settings.location_id,
            "desired_quantity": settings.desired_quantity,
            "plan_id": plan_id,
            "parallelism": settings.auto_production_parallelism,
            "enabled": settings.auto_production_enabled,
            "version": event.originator_version,
            "updated_at": event.timestamp,
        }
        changed = connection.execute(
            update(markers).where(markers.c.marker_id == event.originator_id).values(values)
        ).rowcount
        if not changed:
            row = {"marker_id": event.originator_id, "owner_id": event.meta.user_id, "created_at": event.timestamp}
            insert_rows(connection, markers, [{**row, **values}])


# ------------------------------------------------------------------- queries

AutoStatus = Literal["active", "disabled", "no_plan"]


class MarkerView(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    type_id: int
    type_name: str | None
    location_id: int
    desired_quantity: int
    current_quantity: int
    deficit: int
    plan_id: UUID | None
    plan_name: str | None
    auto_production_parallelism: int
    auto_production_enabled: bool
    auto_production_status: AutoStatus
    version: int
    created_at: datetime
    updated_at: datetime


def _held() -> Any:
    markers, assets = MARKERS.view, ASSETS.view
    return func.coalesce(
        select(assets.c.quantity)
        .where(
            assets.c.owner_id == markers.c.owner_id,
            assets.c.location_id == markers.c.location_id,
            assets.c.type_id == markers.c.type_id,
        )
        .scalar_subquery(),
        0,
    )


def _greatest(value: Any) -> Any:
    """max(value, 0), the same on SQLite and PostgreSQL."""
    return case((value > 0, value), else_=0)


def list_markers(connection: Connection, owner: UUID, limit: int | None = None, offset: int = 0) -> list[MarkerView]:
    markers, plans, items = MARKERS.view, PLANS.view, CATALOG_ITEMS.view
    held = _held().label("held")
    name = (
        select(items.c.name)
        .where(items.c.owner_id == markers.c.owner_id, items.c.type_id == markers.c.type_id)
        .scalar_subquery()
    )
    query = (
        select(markers, held, name.label("type_name"), plans.c.name.label("plan_name"))
        .outerjoin(plans, plans.c.plan_id == markers.c.plan_id)
        .where(markers.c.owner_id == owner)
        .order_by(markers.c.type_id, markers.c.location_id)
        .limit(limit)
        .offset(offset)
    )
    return [marker_view(row) for row in connection.execute(query)]


def marker_view(row: Any) -> MarkerView:
    """A marker's view from anything with its columns (and ``held``, ``type_name``,
    ``plan_name``) as attributes: a row of ``list_markers``, or a marker just saved
    (``marker_view_of``). Its deficit and auto-production status follow from them."""
    status: AutoStatus = "disabled" if not row.enabled else "active" if row.plan_id else "no_plan"
    values = {
        "id": row.marker_id,
        "current_quantity": row.held,
        "deficit": max(row.desired_quantity - row.held, 0),
        "auto_production_parallelism": row.parallelism,
        "auto_production_enabled": row.enabled,
        "auto_production_status": status,
    }
    return msgspec.convert(Attributes(row, **values), MarkerView, from_attributes=True)


def marker_view_of(marker: StockpileMarker, held: int) -> MarkerView:
    """A marker just saved, before the projection has it, with ``held`` units where it is
    (the item's and plan's names come with the read model)."""
    settings = marker.settings
    row = {
        "marker_id": marker.id,
        "held": held,
        "type_name": None,
        "plan_name": None,
        "parallelism": settings.auto_production_parallelism,
        "enabled": settings.auto_production_enabled,
        "version": marker.version,
        "created_at": marker.created_on,
        "updated_at": marker.modified_on,
    }
    return marker_view(Attributes(settings, **row))


BuyReason = Literal["manual", "no_plan"]


class Deficit(msgspec.Struct, frozen=True, kw_only=True):
    marker_id: UUID
    type_id: int
    location_id: int
    desired_quantity: int
    current_quantity: int
    deficit: int
    reason: BuyReason  # manual: auto-production is off; no_plan: on, but no plan to produce with


def buy_list(
    connection: Connection, owner: UUID, location_id: int | None = None, limit: int | None = None, offset: int = 0
) -> list[Deficit]:
    """Deficits to buy. Markers that auto-production covers (enabled, with a plan) are left
    out, so one deficit is never sourced twice (the spec's exclusion in
    GetStockpileDeficitsForConfig); a marker enabled without a plan (never linked, or its
    plan deleted) is one nothing produces, so it stays here with the reason ``no_plan``
    rather than vanishing from both."""
    markers = MARKERS.view
    held = _held()
    covered = and_(markers.c.enabled.is_(True), markers.c.plan_id.is_not(None))
    query = select(markers, held.label("held")).where(
        markers.c.owner_id == owner, ~covered, markers.c.desired_quantity > held
    )
    if location_id is not None:
        query = query.where(markers.c.location_id == location_id)
    return [
        Deficit(
            marker_id=m["marker_id"],
            type_id=m["type_id"],
            location_id=m["location_id"],
            desired_quantity=m["desired_quantity"],
            current_quantity=m["held"],
            deficit=m["desired_quantity"] - m["held"],
            reason="no_plan" if m["enabled"] else "manual",
        )
        for m in (
            row._mapping
            for row in connection.execute(
                query.order_by(markers.c.type_id, markers.c.location_id).limit(limit).offset(offset)
            )
        )
    ]


def auto_production_markers(connection: Connection) -> list[MarkerDeficit]:
    """Every user's enabled markers with a linked plan, with their gross deficits."""
    markers = MARKERS.view
    held = _held()
    query = select(
        markers.c.marker_id,
        markers.c.owner_id,
        markers.c.plan_id,
        markers.c.type_id,
        markers.c.location_id,
        _greatest(markers.c.desired_quantity - held),
        markers.c.parallelism,
    ).where(markers.c.enabled.is_(True), markers.c.plan_id.is_not(None))
    return [
        MarkerDeficit(marker_id=m, owner_id=o, plan_id=p, type_id=t, location_id=loc, deficit=int(d), parallelism=par)
        for m, o, p, t, loc, d, par in connection.execute(query)
    ]


def holdings(
    connection: Connection, owner: UUID, location_id: int | None = None, limit: int | None = None, offset: int = 0
) -> list[Holding]:
    assets = ASSETS.view
    query = select(assets.c.type_id, assets.c.location_id, assets.c.quantity).where(assets.c.owner_id == owner)
    if location_id is not None:
        query = query.where(assets.c.location_id == location_id)
    rows = connection.execute(query.order_by(assets.c.location_id, assets.c.type_id).limit(limit).offset(offset))
    return [Holding(type_id=t, location_id=loc, quantity=q) for t, loc, q in rows]


def held_by_type(connection: Connection, owner: UUID, location_id: int | None = None) -> dict[int, int]:
    held: dict[int, int] = {}
    for holding in holdings(connection, owner, location_id):
        held[holding.type_id] = held.get(holding.type_id, 0) + holding.quantity
    return held
