"""Read models of assets and stockpile markers, and the deficits between them.

Deficits are never stored: a marker's deficit is its desired quantity minus what is held at
its location (never negative) that counts for it (an owned marker: its owner's units in its
container and division; an unowned one: every unit there, domain.stock.assets.counts_for),
computed in the query from the two tables, so it is right the moment either changes. In the
assets table an unowned holding's spot columns hold '' and 0 (they are part of its key).
The projection also keeps the plans it may link to (from the plans' own events): a marker
whose plan is deleted is unlinked (the spec's ON DELETE SET NULL), and a marker naming a plan
already deleted is stored unlinked.

And the names the game gave the user's containers, structures and corporations (``AssetNamesSeen``, from the
EVE sync): kept here, beside the assets and markers that name those ids, so the buy list and
the assets view name them in the same read as the rest (``named_places``: a station by the
catalog's map, a structure by its name from the game and its system and region from the map).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    Select,
    String,
    Table,
    Uuid,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    update,
)

from domain.events import Event
from domain.industry.plan import PlanCreated, PlanDeleted, PlanRenamed
from domain.stock.assets import AssetsChanged, Holding, HoldingChange
from domain.stock.auto_production import MarkerDeficit
from domain.stock.markers import MarkerPlaced, MarkerRemoved, MarkerUpdated, StockpileMarker, unit_price
from domain.stock.names import AssetNamesSeen
from projections.catalog import item_name
from projections.industry.characters import CHARACTERS
from projections.keyed import delete_keys, select_keys
from projections.market import all_regions, latest_prices
from projections.readmodel import Attributes, ReadModelTable, insert_rows, struct_cells
from projections.runtime import Projection, handles
from projections.types import UtcDateTime
from projections.universe import Place, places, region_names, systems_by_id

ASSETS = ReadModelTable(
    "stock_assets",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("location_id", BigInteger, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
        Column("owner_type", String(12), primary_key=True),  # '' unowned
        Column("holder_id", BigInteger, primary_key=True),  # the character or corporation; 0 unowned
        Column("container_id", BigInteger, primary_key=True),  # 0: loose in the hangar
        Column("division_number", Integer, primary_key=True),  # 0: none
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
        Column("owner_type", String(12)),  # NULL: unowned
        Column("holder_id", BigInteger),  # the character or corporation
        Column("container_id", BigInteger),
        Column("division_number", Integer),
        Column("notes", String(1000)),
        Column("price_source", String(8), nullable=False),
        Column("price_percentage", Float, nullable=False),
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
CONTAINER_NAMES = ReadModelTable(
    "stock_container_names",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("item_id", BigInteger, primary_key=True),
        Column("name", String(255), nullable=False),
    ],
)

STRUCTURES = ReadModelTable(
    "stock_structures",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("structure_id", BigInteger, primary_key=True),
        Column("name", String(255), nullable=False),
        Column("solar_system_id", BigInteger, nullable=False),
    ],
)

CORPORATION_NAMES = ReadModelTable(
    "stock_corporation_names",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("corporation_id", BigInteger, primary_key=True),
        Column("name", String(255), nullable=False),
    ],
)


_NAMES = (  # table, its key's id column, the event's field
    ("stock_container_names", "item_id", "containers"),
    ("stock_structures", "structure_id", "structures"),
    ("stock_corporation_names", "corporation_id", "corporations"),
)
_ASSET_KEY = ("owner_id", "location_id", "type_id", "owner_type", "holder_id", "container_id", "division_number")


class StockpilesProjection(Projection):
    name = "stockpiles"
    tables = (ASSETS, MARKERS, PLANS, CONTAINER_NAMES, STRUCTURES, CORPORATION_NAMES)

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        changes = StockChanges(connection, tables, events)
        for event in events:
            self.dispatch(event, changes)
        changes.write(connection)

    @handles(AssetNamesSeen)
    def _names_seen(self, changes: StockChanges, event: AssetNamesSeen) -> None:
        """Names replaced by the ones just seen (the game's: a player renamed a container)."""
        owner = event.meta.user_id
        for table, key, field in _NAMES:
            for part in getattr(event, field):
                changes.names[table][(owner, getattr(part, key))] = {"owner_id": owner, **struct_cells(part)}

    @handles(AssetsChanged)
    def _assets_changed(self, changes: StockChanges, event: AssetsChanged) -> None:
        owner = event.meta.user_id  # only the owner (or a command on their behalf) changes their assets
        for change in event.changes:
            changes.assets[_asset_key(owner, change)] = change.new

    @handles(MarkerPlaced, MarkerUpdated)
    def _marker_set(self, changes: StockChanges, event: MarkerPlaced | MarkerUpdated) -> None:
        settings = event.settings
        plan_id = settings.plan_id if changes.has_plan(settings.plan_id) else None  # deleted before it named it?
        values = {
            "type_id": settings.type_id,
            "location_id": settings.location_id,
            "desired_quantity": settings.desired_quantity,
            "plan_id": plan_id,
            "parallelism": settings.auto_production_parallelism,
            "enabled": settings.auto_production_enabled,
            "owner_type": settings.owner_type,
            "holder_id": settings.owner_id,
            "container_id": settings.container_id,
            "division_number": settings.division_number,
            "notes": settings.notes,
            "price_source": settings.price_source,
            "price_percentage": settings.price_percentage,
            "version": event.originator_version,
            "updated_at": event.timestamp,
        }
        row = changes.markers.get(event.originator_id)
        if row is None:
            row = {"marker_id": event.originator_id, "owner_id": event.meta.user_id, "created_at": event.timestamp}
        changes.set_marker({**row, **values})

    @handles(MarkerRemoved)
    def _marker_removed(self, changes: StockChanges, event: MarkerRemoved) -> None:
        changes.markers[event.originator_id] = None

    @handles(PlanCreated)
    def _plan_created(self, changes: StockChanges, event: PlanCreated) -> None:
        row = {
            "plan_id": event.originator_id,
            "owner_id": event.owner_id,
            "name": event.name,
            "product_type_id": event.product_type_id,
        }
        changes.set_plan(event.originator_id, row)

    @handles(PlanRenamed)
    def _plan_renamed(self, changes: StockChanges, event: PlanRenamed) -> None:
        row = changes.plans.get(event.originator_id)
        if row is not None:
            changes.set_plan(event.originator_id, {**row, "name": event.name})

    @handles(PlanDeleted)
    def _plan_deleted(self, changes: StockChanges, event: PlanDeleted) -> None:
        changes.delete_plan(event.originator_id)


class StockChanges:
    """A batch folded in memory, then written once per table: the rows its markers and plans
    were before it are read in one statement each; names and assets are keyed by what the
    events say, so their old rows are only deleted. A plan deleted unlinks its markers: those
    of the batch here, those stored by one update (only for a plan stored before the batch:
    no stored marker can name a plan the batch created)."""

    def __init__(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        self.tables = tables
        self.names: dict[str, dict[tuple[UUID, int], dict[str, Any]]] = {table: {} for table, _, _ in _NAMES}
        self.assets: dict[tuple[Any, ...], int] = {}  # quantity by key; 0: none left
        marker_ids = {event.originator_id for event in events if isinstance(event, _MARKER_EVENTS)}
        plan_ids = {event.originator_id for event in events if isinstance(event, PlanRenamed | PlanDeleted)}
        plan_ids |= {
            event.settings.plan_id
            for event in events
            if isinstance(event, MarkerPlaced | MarkerUpdated) and event.settings.plan_id is not None
        }
        plans, markers = tables["stock_plans"], tables["stock_markers"]
        self.plans: dict[UUID, dict[str, Any] | None] = {
            row[0]: dict(zip(plans.c.keys(), row, strict=True))
            for row in select_keys(connection, plans, ("plan_id",), {(i,) for i in plan_ids}, plans.c.keys()[1:])
        }
        self.stored_plans = set(self.plans)
        self.changed_plans: set[UUID] = set()
        self.markers: dict[UUID, dict[str, Any] | None] = {}
        self._by_plan: dict[UUID, set[UUID]] = defaultdict(set)  # markers here that name a plan
        for row in select_keys(connection, markers, ("marker_id",), {(i,) for i in marker_ids}, markers.c.keys()[1:]):
            self.set_marker(dict(zip(markers.c.keys(), row, strict=True)))
        self.stored_markers = set(self.markers)

    def set_marker(self, row: dict[str, Any]) -> None:
        self.markers[row["marker_id"]] = row
        if row["plan_id"] is not None:
            self._by_plan[row["plan_id"]].add(row["marker_id"])

    def set_plan(self, plan_id: UUID, row: dict[str, Any] | None) -> None:
        self.plans[plan_id] = row
        self.changed_plans.add(plan_id)

    def has_plan(self, plan_id: UUID | None) -> bool:
        return plan_id is not None and self.plans.get(plan_id) is not None

    def delete_plan(self, plan_id: UUID) -> None:
        """The plan goes, and the markers that name it are unlinked."""
        self.set_plan(plan_id, None)
        for marker_id in self._by_plan.pop(plan_id, ()):
            row = self.markers.get(marker_id)
            if row is not None and row["plan_id"] == plan_id:
                self.markers[marker_id] = {**row, "plan_id": None}

    def write(self, connection: Connection) -> None:
        for table, key, _ in _NAMES:
            rows = self.names[table]
            delete_keys(connection, self.tables[table], ("owner_id", key), rows.keys())
            insert_rows(connection, self.tables[table], list(rows.values()))
        assets = self.tables["stock_assets"]
        delete_keys(connection, assets, _ASSET_KEY, self.assets.keys())
        held = [{**dict(zip(_ASSET_KEY, key, strict=True)), "quantity": n} for key, n in self.assets.items() if n]
        insert_rows(connection, assets, held)
        plans, markers = self.tables["stock_plans"], self.tables["stock_markers"]
        delete_keys(connection, plans, ("plan_id",), {(i,) for i in self.changed_plans & self.stored_plans})
        insert_rows(connection, plans, [row for i in self.changed_plans if (row := self.plans[i]) is not None])
        unlinked = [i for i in self.changed_plans & self.stored_plans if self.plans[i] is None]
        if unlinked:
            connection.execute(update(markers).where(markers.c.plan_id.in_(unlinked)).values(plan_id=None))
        delete_keys(connection, markers, ("marker_id",), {(i,) for i in self.stored_markers})
        insert_rows(connection, markers, [row for row in self.markers.values() if row is not None])


_MARKER_EVENTS = (MarkerPlaced, MarkerUpdated, MarkerRemoved)


def _asset_key(owner: UUID, change: HoldingChange) -> tuple[Any, ...]:
    """The assets row's key of a change (unowned spot parts as '' and 0), in ``_ASSET_KEY``'s order."""
    return (
        owner,
        change.location_id,
        change.type_id,
        change.owner_type or "",
        change.owner_id or 0,
        change.container_id or 0,
        change.division_number or 0,
    )


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
    owner_type: str | None
    owner_id: int | None  # the character or corporation (not the user)
    container_id: int | None
    division_number: int | None
    notes: str | None
    price_source: str
    price_percentage: float
    version: int
    created_at: datetime
    updated_at: datetime


def _held() -> Any:
    """Units at the marker's location that count for it: every owner's for an unowned marker,
    else only its owner's in its container and division."""
    markers, assets = MARKERS.view, ASSETS.view
    same_spot = and_(
        assets.c.owner_type == markers.c.owner_type,
        assets.c.holder_id == markers.c.holder_id,
        assets.c.container_id == func.coalesce(markers.c.container_id, 0),
        assets.c.division_number == func.coalesce(markers.c.division_number, 0),
    )
    return func.coalesce(
        select(cast(func.sum(assets.c.quantity), BigInteger))
        .where(
            assets.c.owner_id == markers.c.owner_id,
            assets.c.location_id == markers.c.location_id,
            assets.c.type_id == markers.c.type_id,
            or_(markers.c.owner_type.is_(None), same_spot),
        )
        .scalar_subquery(),
        0,
    )


def _marker_columns() -> list[Any]:
    """The marker's columns as its view names them: ``owner_id`` is the character or
    corporation (the table's ``holder_id``), not the user."""
    markers = MARKERS.view
    return [c for c in markers.c if c.name not in ("owner_id", "holder_id")] + [markers.c.holder_id.label("owner_id")]


def _greatest(value: Any) -> Any:
    """max(value, 0), the same on SQLite and PostgreSQL."""
    return case((value > 0, value), else_=0)


def _markers_query(owner: UUID) -> Select[Any]:
    """The owner's markers with what their views need (``held``, ``type_name``, ``plan_name``)."""
    markers, plans = MARKERS.view, PLANS.view
    held = _held().label("held")
    name = item_name(markers.c.owner_id, markers.c.type_id)
    return (
        select(*_marker_columns(), held, name.label("type_name"), plans.c.name.label("plan_name"))
        .outerjoin(plans, plans.c.plan_id == markers.c.plan_id)
        .where(markers.c.owner_id == owner)
    )


def list_markers(connection: Connection, owner: UUID, limit: int, offset: int = 0) -> list[MarkerView]:
    query = _markers_query(owner).order_by(*_marker_order()).limit(limit).offset(offset)
    return [marker_view(row) for row in connection.execute(query)]


def short_markers(connection: Connection, owner: UUID, limit: int) -> list[MarkerView]:
    """The first ``limit`` markers (in ``list_markers``' order) holding less than they want:
    those with a deficit, chosen in the query rather than among every marker."""
    markers = MARKERS.view
    query = _markers_query(owner).where(markers.c.desired_quantity > _held()).order_by(*_marker_order())
    return [marker_view(row) for row in connection.execute(query.limit(limit))]


def find_marker(connection: Connection, owner: UUID, marker_id: UUID) -> MarkerView | None:
    """One of the owner's markers by id (None: no such marker, or another user's)."""
    row = connection.execute(_markers_query(owner).where(MARKERS.view.c.marker_id == marker_id)).first()
    return marker_view(row) if row is not None else None


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
ValueReason = Literal["no_region", "no_price"]


class Deficit(msgspec.Struct, frozen=True, kw_only=True):
    """One marker's shortfall to buy, named and valued. Names the read models do not know
    are null: stations, systems and regions come from the catalog's map, where it has one;
    structures and containers from the game (the EVE sync), once a linked character could
    read them; corporations' names are not imported yet. ``regionId`` is the location's
    region (null: unknown), ``priceRegionId`` the region whose prices value it."""

    marker_id: UUID
    type_id: int
    type_name: str | None
    owner_type: str | None
    owner_id: int | None
    owner_name: str | None
    location_id: int
    location_name: str | None
    solar_system_id: int | None
    solar_system_name: str | None
    region_id: int | None
    region_name: str | None
    container_id: int | None
    container_name: str | None
    division_number: int | None
    notes: str | None
    desired_quantity: int
    current_quantity: int
    deficit: int
    reason: BuyReason  # manual: auto-production is off; no_plan: on, but no plan to produce with
    price_source: str
    price_percentage: float
    price_region_id: int | None
    unit_price: float | None
    value: float | None
    value_reason: ValueReason | None  # why ``value`` is null


class LocationTotal(msgspec.Struct, frozen=True, kw_only=True):
    location_id: int
    location_name: str | None
    markers: int
    deficit: int  # units, over every item there
    value: float  # of the valued deficits
    unvalued: int  # deficits without a price


class LeftOut(msgspec.Struct, frozen=True, kw_only=True):
    marker_id: UUID
    type_id: int
    type_name: str | None
    location_id: int
    owner_type: str | None
    owner_id: int | None
    deficit: int
    reason: Literal["auto_production"]  # enabled with a plan: the runner produces it


class Deficits(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Deficit]  # the page asked for
    totals: list[LocationTotal]  # per location, over every deficit (not only the page)
    left_out: list[LeftOut]  # the page asked for of the short markers auto-production covers, so not to buy
    total: int  # deficits in all
    left_out_total: int  # short markers auto-production covers, in all


def _container_name(table: Any) -> Any:
    """Scalar subquery: the name the game gave the container of a row of ``table`` (one with
    ``owner_id`` the user and ``container_id``)."""
    names = CONTAINER_NAMES.view
    return (
        select(names.c.name)
        .where(names.c.owner_id == table.c.owner_id, names.c.item_id == table.c.container_id)
        .scalar_subquery()
    )


def container_names(connection: Connection, owner: UUID, container_ids: Iterable[int]) -> dict[int, str]:
    """The names the game gave those of the owner's containers it has named."""
    names = CONTAINER_NAMES.view
    wanted = sorted(set(container_ids))
    if not wanted:
        return {}
    rows = connection.execute(
        select(names.c.item_id, names.c.name).where(names.c.owner_id == owner, names.c.item_id.in_(wanted))
    )
    return {item_id: name for item_id, name in rows}


def named_places(connection: Connection, owner: UUID, location_ids: Iterable[int]) -> dict[int, Place]:
    """The stations among ``location_ids`` from the catalog's map (``places``) and the
    structures the game named, with their system and region where the map has them."""
    wanted = set(location_ids)
    located = places(connection, owner, wanted)
    structures = STRUCTURES.view
    rows = list(
        connection.execute(
            select(structures.c.structure_id, structures.c.name, structures.c.solar_system_id).where(
                structures.c.owner_id == owner, structures.c.structure_id.in_(sorted(wanted - set(located)))
            )
        )
    )
    systems = systems_by_id(connection, owner, (row.solar_system_id for row in rows))
    regions = region_names(connection, owner, (s.region_id for s in systems.values() if s.region_id is not None))
    for structure_id, name, system_id in rows:
        system = systems.get(system_id)
        region_id = system.region_id if system else None
        located[structure_id] = Place(
            name=name,
            system_id=system_id,
            system_name=system.name if system else None,
            region_id=region_id,
            region_name=regions.get(region_id) if region_id is not None else None,
        )
    return located


def _names() -> tuple[Any, Any]:
    """Scalar subqueries: the item's catalog name and the owner's name (a character of the
    roster, or a corporation the EVE sync named)."""
    markers, characters = MARKERS.view, CHARACTERS.view
    corporations = CORPORATION_NAMES.view
    type_name = item_name(markers.c.owner_id, markers.c.type_id)
    character_name = (
        select(characters.c.name)
        .where(
            markers.c.owner_type == "character",
            characters.c.owner_id == markers.c.owner_id,
            characters.c.character_id == markers.c.holder_id,
        )
        .scalar_subquery()
    )
    corporation_name = (
        select(corporations.c.name)
        .where(
            markers.c.owner_type == "corporation",
            corporations.c.owner_id == markers.c.owner_id,
            corporations.c.corporation_id == markers.c.holder_id,
        )
        .scalar_subquery()
    )
    return type_name, func.coalesce(character_name, corporation_name)


def _marker_order() -> tuple[Any, ...]:
    """Item, location, then owner, container and division (unowned first, on both databases),
    then id."""
    markers = MARKERS.view
    return (
        markers.c.type_id,
        markers.c.location_id,
        func.coalesce(markers.c.owner_type, ""),
        func.coalesce(markers.c.holder_id, 0),
        func.coalesce(markers.c.container_id, 0),
        func.coalesce(markers.c.division_number, 0),
        markers.c.marker_id,  # unique: a stable order to page by
    )


class PriceRegions:
    """The region each deficit is valued in: the one asked for (``regionId``); else the
    marker's own region (its station's, from the catalog's map) when the user has market data
    there; else the user's only region with market data (with one there is nothing to
    choose); None when none of them says."""

    def __init__(self, connection: Connection, owner: UUID, asked: int | None) -> None:
        self.asked = asked
        self.with_data = {region for _, region in all_regions(connection, owner)}
        self.only = next(iter(self.with_data)) if len(self.with_data) == 1 else None

    def of(self, place: Place | None) -> int | None:
        if self.asked is not None:
            return self.asked
        if place is not None and place.region_id in self.with_data:
            return place.region_id
        return self.only


def deficits(
    connection: Connection,
    owner: UUID,
    location_id: int | None,
    region_id: int | None,
    limit: int,
    offset: int = 0,
) -> Deficits:
    """Deficits to buy, named and valued by each marker's price rule. Markers that
    auto-production covers (enabled, with a plan) are left out, so one deficit is never
    sourced twice (the spec's exclusion in GetStockpileDeficitsForConfig), and listed in
    ``left_out``; a marker enabled without a plan (never linked, or its plan deleted) is one
    nothing produces, so it stays here with the reason ``no_plan`` rather than vanishing from
    both. ``items`` and ``left_out`` are pages of their lists (``limit`` and ``offset`` apply
    to each, in the markers' order); the totals and counts are of the whole lists, counted in
    the query."""
    markers = MARKERS.view
    short = [markers.c.owner_id == owner, markers.c.desired_quantity > _held()]
    if location_id is not None:
        short.append(markers.c.location_id == location_id)
    covered = and_(markers.c.enabled.is_(True), markers.c.plan_id.is_not(None))
    to_buy, left = [*short, ~covered], [*short, covered]
    regions = PriceRegions(connection, owner, region_id)
    return Deficits(
        items=_deficits_page(connection, owner, regions, to_buy, limit, offset),
        totals=_totals_per_location(connection, owner, regions, to_buy),
        left_out=_left_out_page(connection, left, limit, offset),
        total=_count(connection, to_buy),
        left_out_total=_count(connection, left),
    )


def _count(connection: Connection, where: Sequence[Any]) -> int:
    """How many markers match."""
    return int(connection.execute(select(func.count()).select_from(MARKERS.view).where(*where)).scalar_one())


def _deficits_page(
    connection: Connection, owner: UUID, regions: PriceRegions, where: Sequence[Any], limit: int, offset: int
) -> list[Deficit]:
    """A page of the markers to buy for, named, and valued with the prices of their items only."""
    markers = MARKERS.view
    type_name, owner_name = _names()
    query = select(
        *_marker_columns(),
        _held().label("held"),
        type_name.label("type_name"),
        owner_name.label("owner_name"),
        _container_name(markers).label("container_name"),
    ).where(*where)
    rows = list(connection.execute(query.order_by(*_marker_order()).limit(limit).offset(offset)))
    located = named_places(connection, owner, {row.location_id for row in rows})
    valued_in = {row.marker_id: regions.of(located.get(row.location_id)) for row in rows}
    wanted = {region for region in valued_in.values() if region is not None}
    prices = latest_prices(connection, owner, wanted, sorted({row.type_id for row in rows}))
    return [_deficit(row, valued_in[row.marker_id], prices, located.get(row.location_id)) for row in rows]


def _left_out_page(connection: Connection, where: Sequence[Any], limit: int, offset: int) -> list[LeftOut]:
    markers = MARKERS.view
    type_name, _ = _names()
    query = select(
        markers.c.marker_id,
        markers.c.type_id,
        type_name.label("type_name"),
        markers.c.location_id,
        markers.c.owner_type,
        markers.c.holder_id.label("owner_id"),
        (markers.c.desired_quantity - _held()).label("deficit"),
    ).where(*where)
    rows = connection.execute(query.order_by(*_marker_order()).limit(limit).offset(offset))
    return [LeftOut(**row._asdict(), reason="auto_production") for row in rows]


Prices = dict[tuple[int, int], tuple[float | None, float | None]]


def _valued(
    source: str, percentage: float, type_id: int, deficit: int, region: int | None, prices: Prices
) -> tuple[float | None, float | None, ValueReason | None]:
    """A deficit's unit price by its marker's rule in ``region``, its value (rounded to the
    cent), and why they are null when they are."""
    price = None
    if region is not None and (region, type_id) in prices:
        price = unit_price(source, percentage, *prices[(region, type_id)])
    why: ValueReason | None = "no_region" if region is None else "no_price" if price is None else None
    return price, None if price is None else round(price * deficit, 2), why


def _deficit(row: Any, region: int | None, prices: Prices, place: Place | None) -> Deficit:
    deficit = row.desired_quantity - row.held
    price, value, why = _valued(row.price_source, row.price_percentage, row.type_id, deficit, region, prices)
    return Deficit(
        marker_id=row.marker_id,
        type_id=row.type_id,
        type_name=row.type_name,
        owner_type=row.owner_type,
        owner_id=row.owner_id,
        owner_name=row.owner_name,
        location_id=row.location_id,
        location_name=place.name if place else None,
        solar_system_id=place.system_id if place else None,
        solar_system_name=place.system_name if place else None,
        region_id=place.region_id if place else None,
        region_name=place.region_name if place else None,
        container_id=row.container_id,
        container_name=row.container_name,
        division_number=row.division_number,
        notes=row.notes,
        desired_quantity=row.desired_quantity,
        current_quantity=row.held,
        deficit=deficit,
        reason="no_plan" if row.enabled else "manual",
        price_source=row.price_source,
        price_percentage=row.price_percentage,
        price_region_id=region,
        unit_price=price,
        value=value,
        value_reason=why,
    )


def _totals_per_location(
    connection: Connection, owner: UUID, regions: PriceRegions, where: Sequence[Any]
) -> list[LocationTotal]:
    """Per location, over every marker to buy for: counted and summed in the query by what
    values a deficit (item, price rule, units short), so each distinct deficit is valued once
    here, by the price rule as a listed one is (rounded to the cent, then summed)."""
    markers = MARKERS.view
    short = (
        select(
            markers.c.location_id,
            markers.c.type_id,
            markers.c.price_source,
            markers.c.price_percentage,
            (markers.c.desired_quantity - _held()).label("deficit"),
        )
        .where(*where)
        .subquery("short")
    )
    keys = (short.c.location_id, short.c.type_id, short.c.price_source, short.c.price_percentage, short.c.deficit)
    alike = list(connection.execute(select(*keys, func.count()).group_by(*keys)))
    located = named_places(connection, owner, {row.location_id for row in alike})
    valued_in = {location: regions.of(located.get(location)) for location in {row.location_id for row in alike}}
    wanted = {region for region in valued_in.values() if region is not None}
    prices = latest_prices(connection, owner, wanted, sorted({row.type_id for row in alike}))
    totals: dict[int, _Total] = defaultdict(_Total)
    for location, type_id, source, percentage, deficit, count in alike:
        _, value, _ = _valued(source, percentage, type_id, deficit, valued_in[location], prices)
        totals[location].add(count, deficit, value)
    return [
        LocationTotal(
            location_id=location,
            location_name=located[location].name if location in located else None,
            markers=total.markers,
            deficit=total.deficit,
            value=round(total.value, 2),
            unvalued=total.unvalued,
        )
        for location, total in sorted(totals.items())
    ]


class _Total:
    """A location's deficits summed as they are counted: markers, units, value, unvalued."""

    def __init__(self) -> None:
        self.markers = self.deficit = self.unvalued = 0
        self.value = 0.0

    def add(self, count: int, deficit: int, value: float | None) -> None:
        """``count`` deficits of ``deficit`` units worth ``value`` each (None: unvalued)."""
        self.markers += count
        self.deficit += count * deficit
        if value is None:
            self.unvalued += count
        else:
            self.value += value * count


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


class HoldingView(Holding, frozen=True, kw_only=True):
    """A holding named where the read models know the names: its location (a station from
    the catalog's map, a structure from the game) and its container (from the game)."""

    location_name: str | None = None
    container_name: str | None = None


def holdings(
    connection: Connection, owner: UUID, location_id: int | None = None, limit: int | None = None, offset: int = 0
) -> list[HoldingView]:
    assets = ASSETS.view
    spot = (assets.c.owner_type, assets.c.holder_id, assets.c.container_id, assets.c.division_number)
    query = select(assets.c.type_id, assets.c.location_id, assets.c.quantity, *spot, _container_name(assets)).where(
        assets.c.owner_id == owner
    )
    if location_id is not None:
        query = query.where(assets.c.location_id == location_id)
    order = (assets.c.location_id, assets.c.type_id, *spot)
    rows = list(connection.execute(query.order_by(*order).limit(limit).offset(offset)))
    located = named_places(connection, owner, {row.location_id for row in rows})
    return [
        HoldingView(
            type_id=t,
            location_id=loc,
            quantity=q,
            owner_type=kind or None,
            owner_id=holder or None,
            container_id=container or None,
            division_number=division or None,
            location_name=located[loc].name if loc in located else None,
            container_name=container_name,
        )
        for t, loc, q, kind, holder, container, division, container_name in rows
    ]


def held_by_type(connection: Connection, owner: UUID, location_id: int | None = None) -> dict[int, int]:
    """Units per item type, every owner's (at one location, or everywhere)."""
    assets = ASSETS.view
    query = select(assets.c.type_id, cast(func.sum(assets.c.quantity), BigInteger)).where(assets.c.owner_id == owner)
    if location_id is not None:
        query = query.where(assets.c.location_id == location_id)
    return {type_id: int(units) for type_id, units in connection.execute(query.group_by(assets.c.type_id))}
