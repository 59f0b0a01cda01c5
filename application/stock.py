"""Commands on assets and stockpile markers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from application.command_runner import CommandResult, save_atomically
from application.event_store import EventStore
from domain.aggregate import Aggregate
from domain.errors import NotFound, RuleViolation
from domain.events import CommandMeta
from domain.industry.plan import Plan
from domain.stock.assets import UNOWNED, Assets, Holding, Spot, assets_id
from domain.stock.markers import MarkerUpsert, StockpileMarker, marker_id
from domain.stock.names import AssetNames, StructureName, asset_names_id


def load_or_open_assets(store: EventStore, owner: UUID, meta: CommandMeta) -> Assets:
    """The user's assets, opened on first use (a concurrent first use collides and retries)."""
    try:
        return store.load(assets_id(owner), Assets)
    except NotFound:
        return Assets.open(owner, meta)


class StockService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def replace_assets(
        self,
        holdings: Sequence[Holding],
        location_id: int | None,
        meta: CommandMeta,
        observed_at: datetime | None = None,
    ) -> tuple[int, int]:
        """Make the holdings of one location (or all) equal a snapshot the game took at
        ``observed_at`` (None: now); (changes, position)."""

        def decide() -> tuple[list[Aggregate], int]:
            assets = load_or_open_assets(self.store, meta.user_id, meta)
            return [assets], assets.replace(holdings, location_id, meta, observed_at)

        return save_atomically(self.store, [assets_id(meta.user_id)], decide)

    def name_places(
        self,
        containers: Mapping[int, str],
        structures: Iterable[StructureName],
        meta: CommandMeta,
        corporations: Mapping[int, str] | None = None,
    ) -> int:
        """Record the names the game gave the user's containers, structures and corporations;
        how many were new."""

        def decide() -> tuple[list[Aggregate], int]:
            try:
                names = self.store.load(asset_names_id(meta.user_id), AssetNames)
            except NotFound:
                names = AssetNames.open(meta.user_id, meta)
            return [names], names.seen(containers, structures, meta, corporations)

        return save_atomically(self.store, [asset_names_id(meta.user_id)], decide)[0]

    def upsert_marker(self, upsert: MarkerUpsert, meta: CommandMeta) -> CommandResult[StockpileMarker]:
        """Place or change the marker; fields the upsert leaves out keep their values. A plan
        named in the upsert is checked; one kept from before is not (if it was deleted since,
        the read model already shows the marker unlinked)."""
        upsert.applied_to(None)  # bad input is a 400 before anything is loaded
        if isinstance(upsert.plan_id, UUID):
            self._check_plan(upsert.plan_id, upsert.type_id, meta.user_id)
        aggregate_id = marker_id(meta.user_id, upsert.type_id, upsert.location_id, upsert.spot)

        def decide() -> tuple[list[Aggregate], tuple[StockpileMarker, bool]]:
            try:
                marker = self.store.load(aggregate_id, StockpileMarker)
                marker.ensure_owned_by(meta.user_id)
            except NotFound:
                marker = StockpileMarker.place(upsert.applied_to(None), meta)
            else:
                marker.update(upsert.applied_to(None if marker.deleted else marker.settings), meta)
            return [marker], (marker, marker.has_pending_events)

        (marker, changed), position = save_atomically(self.store, [aggregate_id], decide)
        return CommandResult(marker, position, changed=changed)

    def remove_marker(self, aggregate_id: UUID, meta: CommandMeta) -> int:
        def decide() -> tuple[list[Aggregate], None]:
            try:
                marker = self.store.load(aggregate_id, StockpileMarker)
                marker.ensure_owned_by(meta.user_id)
            except NotFound:
                raise NotFound("stockpile marker not found", "marker_id") from None
            marker.remove(meta)
            return [marker], None

        return save_atomically(self.store, [aggregate_id], decide)[1]

    def held(self, owner: UUID, location_id: int, type_id: int, spot: Spot = UNOWNED) -> int:
        """Units of the item at the location that count for a marker of ``spot``."""
        try:
            return self.store.load(assets_id(owner), Assets).quantity(location_id, type_id, spot)
        except NotFound:
            return 0

    def _check_plan(self, plan_id: UUID, type_id: int, owner: UUID) -> None:
        """A marker's plan must be the user's own, alive, and make the marker's item."""
        try:
            plan = self.store.load(plan_id, Plan)
            plan.ensure_owned_by(owner)
            plan.ensure_live()
        except NotFound:
            raise RuleViolation(f"plan {plan_id} is not one of your plans", "plan_id") from None
        if plan.product_type_id != type_id:
            raise RuleViolation(
                f"plan {plan_id} makes type {plan.product_type_id}, not this marker's type {type_id}", "plan_id"
            )
