"""The spec's production_economics as a read model: per (owner, region, item) the costs, prices,
profit, ROI and times of building the item, each figure with the observation time of the
oldest price behind it, and the prices that were missing.

The base rows of the shared catalog priced with the shared market data are computed once, under
the shared owner (``SHARED_CATALOG_OWNER``), for every user they answer. A user has base rows of
their own only in a region where their own inputs change the answer (``BaseRowsOwner``): a
private catalog or an overlay of theirs (every region), their own adjusted prices or cost
indices (every region), their own quotes or job site there. Plan rows are always the user's. So
a follower without inputs of their own costs no rows; ``economics_users`` lists who has inputs
of their own (queued again when shared data changes) and ``economics_private_markets`` where
their market data is their own (their first batch there queues that whole region: its rows
become theirs).

Every buildable item has its ``base`` row: the spec's stored case, one run at ME 0 / TE 0,
made down to raw materials. An item the user has a plan for also has a ``plan`` row beside it
(the plan's recipes, levels, facilities, tax and make-or-buy choices); the ``scenario``
column tells them apart, so a ranking compares like with like (base rows unless asked for
plan rows) and a plan never hides the base case.

A row needs the catalog, the plans and the market together, which three other projections
keep; a projection must not read another one's tables while it applies events (they stand at
different positions, and a rebuild would read what is there today). So this projection only
records what each event makes stale: ``economics_pending`` rows naming the user, the region
(0: every region) and the items whose prices changed (null: every item). The economics updater
(``projections/economics_updater.py``) brings the other read models up to this projection's
position, recomputes the rows those items reach, writes only rows whose figures changed (their
``version`` goes up) and deletes the pending rows, in one transaction under this projection's
registry lock. ``economics_plans`` maps plans to their products, since plan events after the
first do not name the product; ``economics_regions`` says when each region's rows were last
written (what cached rankings are checked against) and last all worked out (for the periodic
pass).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, NamedTuple
from uuid import UUID

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    String,
    Table,
    Uuid,
    and_,
    delete,
    func,
    insert,
    nulls_last,
    or_,
    select,
    tuple_,
    update,
)

from domain.catalog.catalog import (
    SHARED_CATALOG_ID,
    SHARED_CATALOG_OWNER,
    BoughtItemsMarked,
    CatalogMovedToShared,
    CatalogVersionRecorded,
)
from domain.catalog.overlay import (
    OverlayBoughtMarked,
    OverlayItemsChanged,
    OverlayRecipesChanged,
    OverlayRecipesChosen,
)
from domain.economics.batch import MarketBatchRecorded
from domain.economics.figures import Figure
from domain.economics.item_economics import CopyLine
from domain.economics.market import Missing
from domain.events import Event
from domain.industry.plan import (
    PlanCreated,
    PlanDeleted,
    PlanStep,
    PlanStepsAdded,
    PlanStepsRemoved,
    PlanStepsUpdated,
    PlanStepUpdated,
)
from projections.catalog import catalog_source, item_name
from projections.industry.plans import PLANS as INDUSTRY_PLANS
from projections.keyed import delete_keys, select_keys
from projections.market import has_own_data
from projections.readmodel import ReadModelTable, insert_rows
from projections.runtime import Projection, handles
from projections.types import UtcDateTime

EVERY_REGION = 0
FIGURES = (
    "material_cost",
    "job_cost",
    "total_cost",
    "sell_price",
    "buy_price",
    "profit_sell",
    "profit_buy",
    "roi_sell",
    "roi_buy",
    "profit_per_hour_sell",
    "profit_per_hour_buy",
)
_CHUNK = 2000

ECONOMICS = ReadModelTable(
    "production_economics",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("region_id", BigInteger, primary_key=True),
        Column("type_id", BigInteger, primary_key=True),
        Column("scenario", String(8), primary_key=True),  # "base" | "plan"
        Column("me", Integer, nullable=False),
        Column("te", Integer, nullable=False),
        Column("runs", Integer, nullable=False),
        Column("units", BigInteger, nullable=False),
        Column("strategy", String(16), nullable=False),
        Column("plan_id", Uuid),
        *(Column(name, Float) for name in FIGURES),
        *(Column(f"{name}_as_of", UtcDateTime) for name in FIGURES),
        Column("base_time", BigInteger, nullable=False),  # whole seconds, as the game's job times
        Column("effective_time", BigInteger, nullable=False),
        Column("chain_time", BigInteger, nullable=False),
        Column("daily_volume", Float),
        Column("missing", JSON, nullable=False),
        Column("approximate", JSON, nullable=False),
        Column("invention", JSON, nullable=False),  # CopyLine per invented item made: [] for the others
        Column("catalog_version", Integer, nullable=False),
        Column("digest", String(32), nullable=False),  # of the content: a recomputation compares only this
        Column("version", Integer, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ],
    indexes=[("by_type", ["owner_id", "type_id"], False)],
)
REGIONS = ReadModelTable(
    "economics_regions",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("region_id", BigInteger, primary_key=True),
        Column("written_at", UtcDateTime, nullable=False),  # the last write of any of the region's rows
        Column("refreshed_at", UtcDateTime),  # the last time every row of the region was worked out
    ],
)
PENDING = ReadModelTable(
    "economics_pending",
    lambda: [
        Column("event_id", Uuid, primary_key=True),
        Column("event_version", Integer, primary_key=True),
        Column("region_id", BigInteger, primary_key=True),  # EVERY_REGION: all of the user's regions
        Column("owner_id", Uuid, primary_key=True),  # one shared catalog event queues many users
        Column("type_ids", JSON),  # null: every item
        Column("recorded_at", UtcDateTime, nullable=False),
    ],
    indexes=[("owner", ["owner_id"], False)],
)
PLANS = ReadModelTable(
    "economics_plans",
    lambda: [
        Column("plan_id", Uuid, primary_key=True),
        Column("owner_id", Uuid, nullable=False),
        Column("product_type_id", BigInteger, nullable=False),
    ],
)

USERS = ReadModelTable(
    "economics_users",  # users with inputs of their own: their rows follow shared changes too
    lambda: [Column("owner_id", Uuid, primary_key=True)],
)
PRIVATE_MARKETS = ReadModelTable(
    "economics_private_markets",  # where a user's market data is their own (EVERY_REGION: everywhere)
    lambda: [Column("owner_id", Uuid, primary_key=True), Column("region_id", BigInteger, primary_key=True)],
)

Scenario = Literal["base", "plan"]
Scope = dict[int, set[int] | None]  # region (or EVERY_REGION) -> items whose data changed (None: all)


_CATALOG_EVENTS = (
    CatalogVersionRecorded,
    BoughtItemsMarked,
    OverlayBoughtMarked,
    OverlayItemsChanged,
    OverlayRecipesChanged,
    OverlayRecipesChosen,
    CatalogMovedToShared,
)
_PLAN_EVENTS = (PlanStepsAdded, PlanStepUpdated, PlanStepsUpdated, PlanStepsRemoved, PlanDeleted)


class EconomicsProjection(Projection):
    name = "economics"
    # 2: rows of invented items count their Tech II copies (invention column); no rows for blueprints
    # 3: a shared catalog's version queues every user with rows; overlays and moves queue theirs
    # 4: shared market data; base rows once under the shared owner, a user's only where theirs differ
    version = 4
    tables = (ECONOMICS, PENDING, PLANS, REGIONS, USERS, PRIVATE_MARKETS)

    def apply(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        changes = StaleRows(connection, tables, events)
        for event in events:
            self.dispatch(event, changes)
        changes.write(connection)

    @handles(MarketBatchRecorded)
    def _batch_recorded(self, changes: StaleRows, event: MarketBatchRecorded) -> None:
        scope: Scope = {}
        if event.quotes:
            widen(scope, event.region_id or EVERY_REGION, {row.type_id for row in event.quotes})
        if event.adjusted_prices:  # job costs, through the items whose recipes use them
            widen(scope, EVERY_REGION, {row.type_id for row in event.adjusted_prices})
        if event.cost_indices:
            widen(scope, EVERY_REGION, None)
        if event.job_site:
            widen(scope, event.region_id or EVERY_REGION, None)
        if event.owner_id == SHARED_CATALOG_OWNER:
            changes.queue_shared(event, scope)
            return
        # A user's first own data somewhere makes all their rows there theirs, not the shared ones.
        if event.region_id is not None and (event.quotes or event.job_site):
            changes.first_own(event.owner_id, event.region_id, scope)
        if event.adjusted_prices or event.cost_indices:
            changes.first_own(event.owner_id, EVERY_REGION, scope)
        changes.queue(event, scope, event.owner_id)

    @handles(*_CATALOG_EVENTS)
    def _catalog_changed(self, changes: StaleRows, event: Event) -> None:
        if event.originator_id != SHARED_CATALOG_ID:
            changes.queue(event, {EVERY_REGION: None})
            return
        # A shared version changes the shared rows, and may change those of any user with inputs
        # of their own (one who keeps a private catalog is recomputed to the same figures).
        changes.queue_shared(event, {EVERY_REGION: None})

    @handles(PlanCreated)
    def _plan_created(self, changes: StaleRows, event: PlanCreated) -> None:
        changes.set_plan(event.originator_id, (event.meta.user_id, event.product_type_id))
        changes.queue(event, {EVERY_REGION: {event.product_type_id}})

    @handles(PlanStepsAdded, PlanStepUpdated, PlanStepsUpdated, PlanStepsRemoved)
    def _plan_changed(self, changes: StaleRows, event: Event) -> None:
        changes.queue(event, changes.plan_scope(event.originator_id))

    @handles(PlanDeleted)
    def _plan_deleted(self, changes: StaleRows, event: PlanDeleted) -> None:
        changes.queue(event, changes.plan_scope(event.originator_id))  # while the plan still names its product
        changes.set_plan(event.originator_id, None)


class StaleRows:
    """What a batch makes stale, folded in memory and written once per table: the pending rows,
    the users and private markets first seen, the plans created and deleted. What it needs of
    the tables is read once before: the plans its events name, whether its users and their
    regions are known (every user with inputs of their own only when a shared change must
    queue them all)."""

    def __init__(self, connection: Connection, tables: Mapping[str, Table], events: Sequence[Event]) -> None:
        self.tables = tables
        plans, users, markets = (
            tables["economics_plans"],
            tables["economics_users"],
            tables["economics_private_markets"],
        )
        plan_ids = {(event.originator_id,) for event in events if isinstance(event, _PLAN_EVENTS)}
        self.plans: dict[UUID, tuple[UUID, int] | None] = {
            plan_id: (owner, product)
            for plan_id, owner, product in select_keys(
                connection, plans, ("plan_id",), plan_ids, ("owner_id", "product_type_id")
            )
        }
        self.stored_plans = set(self.plans)
        self.changed_plans: set[UUID] = set()
        if any(_is_shared(event) for event in events):
            self.users = set(users_with_inputs(connection, users))
        else:
            wanted = {(_user(event),) for event in events}
            self.users = {row[0] for row in select_keys(connection, users, ("owner_id",), wanted, ())}
        self.new_users: list[UUID] = []
        located = {
            (event.owner_id, region)
            for event in events
            if isinstance(event, MarketBatchRecorded)
            for region in (event.region_id, EVERY_REGION)
            if region is not None
        }
        markets = tables["economics_private_markets"]
        self.markets = set(select_keys(connection, markets, ("owner_id", "region_id"), located, ()))
        self.new_markets: list[tuple[UUID, int]] = []
        self.pending: list[dict[str, Any]] = []

    def queue(self, event: Event, scope: Scope, owner: UUID | None = None) -> None:
        """Queue the rows ``scope`` names (made stale by ``event``) of ``owner`` (by default the
        event's user) for the economics updater; a user queued has inputs of their own."""
        if not scope:
            return
        user = owner or event.meta.user_id
        if user != SHARED_CATALOG_OWNER and user not in self.users:
            self.users.add(user)
            self.new_users.append(user)
        self.pending.extend(
            {
                "event_id": event.originator_id,
                "event_version": event.originator_version,
                "region_id": region,
                "owner_id": user,
                "type_ids": sorted(items) if items is not None else None,
                "recorded_at": event.timestamp,
            }
            for region, items in scope.items()
        )

    def queue_shared(self, event: Event, scope: Scope) -> None:
        """Shared data changed: the shared rows, and those of every user with inputs of their own
        (their rows read the shared data beneath their own), are stale."""
        self.queue(event, scope, SHARED_CATALOG_OWNER)
        for owner in list(self.users):
            self.queue(event, scope, owner)

    def first_own(self, owner: UUID, region: int, scope: Scope) -> None:
        """The user's first own market data in ``region`` (EVERY_REGION: adjusted prices or cost
        indices, which every region reads): every row there is worked out as theirs from now on."""
        if (owner, region) not in self.markets:
            self.markets.add((owner, region))
            self.new_markets.append((owner, region))
            widen(scope, region, None)

    def set_plan(self, plan_id: UUID, plan: tuple[UUID, int] | None) -> None:
        """A plan created (its owner and product) or deleted (None)."""
        self.plans[plan_id] = plan
        self.changed_plans.add(plan_id)

    def plan_scope(self, plan_id: UUID) -> Scope:
        """A changed plan makes its product's rows stale in every region."""
        plan = self.plans.get(plan_id)
        return {EVERY_REGION: {plan[1]}} if plan is not None else {}

    def write(self, connection: Connection) -> None:
        plans = self.tables["economics_plans"]
        delete_keys(connection, plans, ("plan_id",), {(i,) for i in self.changed_plans & self.stored_plans})
        insert_rows(
            connection,
            plans,
            [
                {"plan_id": plan_id, "owner_id": plan[0], "product_type_id": plan[1]}
                for plan_id in self.changed_plans
                if (plan := self.plans[plan_id]) is not None
            ],
        )
        insert_rows(connection, self.tables["economics_users"], [{"owner_id": user} for user in self.new_users])
        insert_rows(
            connection,
            self.tables["economics_private_markets"],
            [{"owner_id": owner, "region_id": region} for owner, region in self.new_markets],
        )
        insert_rows(connection, self.tables["economics_pending"], self.pending)


def _is_shared(event: Event) -> bool:
    """Whether the event changes shared data (and so queues every user with inputs of their own)."""
    if isinstance(event, MarketBatchRecorded):
        return event.owner_id == SHARED_CATALOG_OWNER
    return isinstance(event, _CATALOG_EVENTS) and event.originator_id == SHARED_CATALOG_ID


def _user(event: Event) -> UUID:
    """The user whose rows an event may queue (a market batch's owner, else who made it)."""
    return event.owner_id if isinstance(event, MarketBatchRecorded) else event.meta.user_id


def widen(scope: Scope, region: int, items: Iterable[int] | None) -> None:
    """Add ``items`` (None: every item) of ``region`` to ``scope``."""
    known = scope.get(region, set())
    scope[region] = None if items is None or known is None else known | set(items)


# ------------------------------------------------------------------- rows


class EconomicsView(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One item's economics in one region, stored or computed for the asked options."""

    type_id: int
    name: str | None
    region_id: int
    me: int
    te: int
    runs: int
    units: int  # units the runs make
    strategy: str  # "plan" (the user's plan for the item), "make", "buy" or "cheapest"
    plan_id: UUID | None
    scenario: Scenario  # "plan": the figures follow your plan (plan_id); "base": they do not
    material_cost: Figure
    job_cost: Figure
    total_cost: Figure
    sell_price: Figure  # per unit
    buy_price: Figure  # per unit
    profit_sell: Figure
    profit_buy: Figure
    roi_sell: Figure  # percent
    roi_buy: Figure
    profit_per_hour_sell: Figure
    profit_per_hour_buy: Figure
    base_time: int  # seconds: the product's recipe × runs, no TE, skills or structure
    effective_time: int  # seconds: the product's jobs with TE, skills and structure
    chain_time: int  # seconds: every job made, one after another (profit per hour divides by it)
    daily_volume: float | None
    missing: tuple[Missing, ...]
    approximate: tuple[int, ...]  # priced at the lowest sell for want of order-book depth
    catalog_version: int
    source: Literal["projection", "computed"]
    # Invented items: how the Tech II copy runs are had (invented with the decryptor, or none,
    # cheapest per unit at skills V on expected value; or bought) and what they add per unit;
    # the product's first. Empty for items not invented.
    invention: tuple[CopyLine, ...] = ()
    version: int | None = None  # stored rows: how many times the figures changed
    updated_at: datetime | None = None  # stored rows: when the figures last changed


def row_of(view: EconomicsView, owner: UUID) -> dict[str, Any]:
    """The stored row without its stamps (version, updated_at), with a digest of its content."""
    row: dict[str, Any] = {
        "owner_id": owner,
        "region_id": view.region_id,
        "type_id": view.type_id,
        "scenario": view.scenario,
        "me": view.me,
        "te": view.te,
        "runs": view.runs,
        "units": view.units,
        "strategy": view.strategy,
        "plan_id": view.plan_id,
        "base_time": view.base_time,
        "effective_time": view.effective_time,
        "chain_time": view.chain_time,
        "daily_volume": view.daily_volume,
        "missing": [msgspec.to_builtins(missing) for missing in view.missing],
        "approximate": list(view.approximate),
        "invention": [msgspec.to_builtins(line) for line in view.invention],
        "catalog_version": view.catalog_version,
    }
    for name in FIGURES:
        figure: Figure = getattr(view, name)
        row[name], row[f"{name}_as_of"] = figure.value, figure.as_of
    row["digest"] = hashlib.blake2b(msgspec.json.encode(row), digest_size=16).hexdigest()
    return row


def _view(row: Any) -> EconomicsView:
    """A stored row read with its item's name (``_named``)."""
    m = row._mapping
    return EconomicsView(
        type_id=m["type_id"],
        name=m["name"],
        region_id=m["region_id"],
        me=m["me"],
        te=m["te"],
        runs=m["runs"],
        units=m["units"],
        strategy=m["strategy"],
        plan_id=m["plan_id"],
        scenario=m["scenario"],
        **{figure: Figure(value=m[figure], as_of=m[f"{figure}_as_of"]) for figure in FIGURES},
        base_time=m["base_time"],
        effective_time=m["effective_time"],
        chain_time=m["chain_time"],
        daily_volume=m["daily_volume"],
        missing=msgspec.convert(m["missing"], tuple[Missing, ...]),
        approximate=tuple(m["approximate"]),
        catalog_version=m["catalog_version"],
        source="projection",
        invention=msgspec.convert(m["invention"], tuple[CopyLine, ...]),
        version=m["version"],
        updated_at=m["updated_at"],
    )


class WriteReport(msgspec.Struct, kw_only=True):
    computed: int = 0  # rows worked out
    changed: int = 0  # rows whose figures differ (written, version + 1)
    removed: int = 0  # rows of items no longer built


def write_rows(
    connection: Connection,
    tables: tuple[Table, Table],
    owner: UUID,
    region_id: int,
    views: Sequence[EconomicsView],
    now: datetime,
    keep_only: Iterable[int] | None = None,
) -> WriteReport:
    """Store ``views`` (one region's) in ``tables`` (rows, regions): rows whose figures changed
    are replaced with the version one up, the others are left alone. An item given here keeps
    only the scenarios given (its plan row goes when the plan does). ``keep_only`` marks a full
    pass: the region's rows of other items are deleted (the catalog no longer builds them)."""
    table, regions = tables
    scope = and_(table.c.owner_id == owner, table.c.region_id == region_id)
    key = tuple_(table.c.type_id, table.c.scenario)
    wanted = {(view.type_id, view.scenario): row_of(view, owner) for view in views}
    current: dict[tuple[int, str], tuple[str, int]] = {}
    for chunk in _chunks(sorted({type_id for type_id, _ in wanted})):
        query = select(table.c.type_id, table.c.scenario, table.c.digest, table.c.version).where(
            scope, table.c.type_id.in_(chunk)
        )
        current.update({(t, scenario): (digest, version) for t, scenario, digest, version in connection.execute(query)})
    fresh = [
        {**row, "version": old[1] + 1 if old else 1, "updated_at": now}
        for row_key, row in wanted.items()
        if (old := current.get(row_key)) is None or old[0] != row["digest"]
    ]
    report = WriteReport(computed=len(wanted), changed=len(fresh))
    dropped = [row_key for row_key in current if row_key not in wanted]
    replaced = [(row["type_id"], row["scenario"]) for row in fresh if (row["type_id"], row["scenario"]) in current]
    for chunk in _chunks([*replaced, *dropped]):
        connection.execute(delete(table).where(scope, key.in_(chunk)))
    insert_rows(connection, table, fresh)
    report.removed = len(dropped)
    if keep_only is not None:
        kept = set(keep_only)
        gone = [t for t in connection.execute(select(table.c.type_id).where(scope)).scalars() if t not in kept]
        for chunk in _chunks(gone):
            connection.execute(delete(table).where(scope, table.c.type_id.in_(chunk)))
        report.removed += len(gone)
    _stamp(connection, regions, owner, region_id, now, full=keep_only is not None)
    return report


def _stamp(connection: Connection, regions: Table, owner: UUID, region_id: int, now: datetime, full: bool) -> None:
    """The region's rows were written now (and, ``full``, all worked out)."""
    key = and_(regions.c.owner_id == owner, regions.c.region_id == region_id)
    values = {"written_at": now, **({"refreshed_at": now} if full else {})}
    if connection.execute(update(regions).where(key).values(values)).rowcount == 0:
        connection.execute(
            insert(regions).values(
                owner_id=owner, region_id=region_id, written_at=now, refreshed_at=now if full else None
            )
        )


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


PendingKey = tuple[UUID, int, int, UUID]  # event id, event version, region, owner


class Pending(msgspec.Struct, frozen=True):
    key: PendingKey
    owner_id: UUID
    region_id: int
    type_ids: tuple[int, ...] | None


def pending(connection: Connection, table: Table, owners: Sequence[UUID] | None = None) -> list[Pending]:
    query = select(table)
    if owners is not None:
        query = query.where(table.c.owner_id.in_(owners))
    return [
        Pending(
            (row.event_id, row.event_version, row.region_id, row.owner_id),
            row.owner_id,
            row.region_id,
            tuple(row.type_ids) if row.type_ids is not None else None,
        )
        for row in connection.execute(query)
    ]


def forget_pending(connection: Connection, table: Table, keys: Sequence[PendingKey]) -> None:
    columns = tuple_(table.c.event_id, table.c.event_version, table.c.region_id, table.c.owner_id)
    for chunk in _chunks(list(keys)):
        connection.execute(delete(table).where(columns.in_(chunk)))


def stale_groups(connection: Connection, regions: Table, before: datetime) -> list[tuple[UUID, int]]:
    """(user, region) pairs whose rows were not all worked out since ``before``."""
    query = select(regions.c.owner_id, regions.c.region_id).where(
        or_(regions.c.refreshed_at.is_(None), regions.c.refreshed_at < before)
    )
    return [(owner, region) for owner, region in connection.execute(query)]


def users_with_inputs(connection: Connection, table: Table) -> list[UUID]:
    """Every user with inputs of their own (``economics_users``)."""
    return list(connection.execute(select(table.c.owner_id)).scalars())


# ------------------------------------------------------------------- queries


class BaseRowsOwner(msgspec.Struct, frozen=True):
    """Whose base rows answer ``user`` in a region: the shared ones (the shared catalog priced
    with the shared market data, computed once) unless the user's own inputs change the answer
    there: a private catalog or an overlay (bought marks, their own items or recipes, chosen
    recipes), or their own adjusted prices or cost indices (``everywhere``), or their own quotes
    or job site in the region (``regions``)."""

    user: UUID
    everywhere: bool
    regions: frozenset[int] = frozenset()

    def key(self, region_id: int) -> UUID:
        return self.user if self.own(region_id) else SHARED_CATALOG_OWNER

    def own(self, region_id: int) -> bool:
        return self.everywhere or region_id in self.regions


def base_rows_owner(connection: Connection, user: UUID) -> BaseRowsOwner:
    if user == SHARED_CATALOG_OWNER:
        return BaseRowsOwner(user, everywhere=True)
    source = catalog_source(connection, user)
    regions, everywhere = has_own_data(connection, user)
    return BaseRowsOwner(user, everywhere or not source.shared or not source.overlay.empty, regions)


Sort = Literal["profit", "roi", "profit_per_hour", "volume"]
Basis = Literal["sell", "buy"]


class Ranking(NamedTuple):
    """One page of a region's opportunities with the counts around it."""

    items: list[EconomicsView]  # best first, at most the limit asked
    unpriced: int  # rows of the scenario whose profit is unknown: never listed
    total: int  # rows matching the filters, however many the page holds


def _sort_column(table: Table, sort: Sort, basis: Basis) -> Any:
    return table.c.daily_volume if sort == "volume" else table.c[f"{sort}_{basis}"]


def _named(table: Table) -> Any:
    return select(table, item_name(table.c.owner_id, table.c.type_id).label("name"))


def last_written(connection: Connection, owner: UUID, region_id: int) -> datetime | None:
    """When a row of the region was last written: what cached answers over the region's rows
    are checked against, in any process."""
    table = REGIONS.view
    query = select(table.c.written_at).where(table.c.owner_id == owner, table.c.region_id == region_id)
    return connection.execute(query).scalar()


def stored_row(
    connection: Connection, owner: UUID, region_id: int, type_id: int, scenario: Scenario
) -> EconomicsView | None:
    table = ECONOMICS.view
    row = connection.execute(
        _named(table).where(
            table.c.owner_id == owner,
            table.c.region_id == region_id,
            table.c.type_id == type_id,
            table.c.scenario == scenario,
        )
    ).first()
    return _view(row) if row is not None else None


def opportunities(
    connection: Connection,
    owner: UUID,
    region_id: int,
    *,
    basis: Basis = "sell",
    sort: Sort = "profit",
    min_roi: float | None = None,
    min_profit: float | None = None,
    limit: int = 50,
    offset: int = 0,
    scenario: Scenario = "base",
) -> Ranking:
    """The region's rows of one scenario (the base case unless asked for plan rows) with a known
    profit at ``basis`` prices matching the filters, best first by ``sort``, at most ``limit``
    after the first ``offset``; how many of them could not be priced (missing prices); and how
    many match in all, so a client showing one page knows how many there are (the seed system's
    total)."""
    table = ECONOMICS.view
    profit, roi = table.c[f"profit_{basis}"], table.c[f"roi_{basis}"]
    rows_of = and_(table.c.owner_id == owner, table.c.region_id == region_id, table.c.scenario == scenario)
    matching = [rows_of, profit.is_not(None)]
    if min_profit is not None:
        matching.append(profit >= min_profit)
    if min_roi is not None:
        matching.append(roi >= min_roi)
    query = _named(table).where(*matching)
    query = query.order_by(nulls_last(_sort_column(table, sort, basis).desc()), table.c.type_id)
    query = query.limit(limit).offset(offset)
    rows = [_view(row) for row in connection.execute(query)]
    total = connection.execute(select(func.count()).select_from(table).where(*matching)).scalar_one()
    unpriced = connection.execute(select(func.count()).where(rows_of, profit.is_(None))).scalar_one()
    return Ranking(rows, unpriced, total)


def stored_rows(
    connection: Connection, owner: UUID, type_id: int, scenario: Scenario, regions: Sequence[int]
) -> list[EconomicsView]:
    """The item's stored rows of one scenario in the given regions."""
    table = ECONOMICS.view
    rows = connection.execute(
        _named(table)
        .where(
            table.c.owner_id == owner,
            table.c.type_id == type_id,
            table.c.scenario == scenario,
            table.c.region_id.in_(regions),
        )
        .order_by(table.c.region_id)
    )
    return [_view(row) for row in rows]


Plans = dict[int, tuple[UUID, tuple[PlanStep, ...]]]


def _plans_newest_first(owner: UUID) -> Any:
    """SQL: the user's plans, the most recently changed first (the later plan id on a tie): the
    first of a product's is the plan its economics follow."""
    plans = INDUSTRY_PLANS.view
    return (
        select(plans.c.plan_id, plans.c.product_type_id, plans.c.steps)
        .where(plans.c.owner_id == owner)
        .order_by(plans.c.updated_at.desc(), plans.c.plan_id.desc())
    )


def plans_by_product(connection: Connection, owner: UUID) -> Plans:
    """The user's plan for each product (the most recently changed where there are several)."""
    found: Plans = {}
    for plan_id, product, steps in connection.execute(_plans_newest_first(owner)):
        if product not in found:
            found[product] = (plan_id, msgspec.convert(steps, tuple[PlanStep, ...]))
    return found


def plan_for_product(connection: Connection, owner: UUID, type_id: int) -> Plans:
    """``plans_by_product`` of one product: its plan alone, one row read (a user's plans, each
    with its steps, are as many as they made)."""
    query = _plans_newest_first(owner).where(INDUSTRY_PLANS.view.c.product_type_id == type_id).limit(1)
    row = connection.execute(query).first()
    return {} if row is None else {type_id: (row.plan_id, msgspec.convert(row.steps, tuple[PlanStep, ...]))}
