"""The assets aggregate: a snapshot replaces a location's holdings; a delivered job's output
is added unless the location's last snapshot was taken after the delivery (and so counts it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from domain.stock.assets import SNAPSHOT, Assets, AssetsChanged, AssetsOpened, Holding, HoldingChange
from tests.unit.given import META, OWNER, ExpectedEvent, event, given

JITA, RIFTER = 60003760, 587
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPENED = event(AssetsOpened, owner_id=OWNER)


def snapshot_of(quantity: int, *, before: int, observed_at: datetime) -> ExpectedEvent:
    return event(
        AssetsChanged,
        changes=(HoldingChange(JITA, RIFTER, before, quantity),),
        reason=SNAPSHOT,
        location_id=JITA,
        observed_at=observed_at,
    )


def deliver(at: datetime) -> Callable[[Assets], bool]:
    return lambda assets: assets.receive(JITA, RIFTER, 2, "job 1 completed", at, META)


def test_a_snapshot_records_what_changed_and_when_the_game_took_it() -> None:
    given(OPENED).when(
        lambda assets: assets.replace([Holding(type_id=RIFTER, location_id=JITA, quantity=3)], JITA, META, NOON)
    ).then(snapshot_of(3, before=0, observed_at=NOON))


def test_output_delivered_before_the_last_snapshot_is_already_counted() -> None:
    given(OPENED, snapshot_of(5, before=3, observed_at=NOON)).when(deliver(NOON - timedelta(minutes=5))).then_nothing()


def test_output_delivered_after_the_last_snapshot_is_added() -> None:
    given(OPENED, snapshot_of(3, before=0, observed_at=NOON)).when(deliver(NOON + timedelta(minutes=5))).then(
        event(AssetsChanged, changes=(HoldingChange(JITA, RIFTER, 3, 5),), reason="job 1 completed")
    )


def test_a_snapshot_of_every_location_counts_for_each() -> None:
    everywhere = event(
        AssetsChanged, changes=(HoldingChange(JITA, RIFTER, 0, 5),), reason=SNAPSHOT, location_id=None, observed_at=NOON
    )
    given(OPENED, everywhere).when(deliver(NOON - timedelta(seconds=1))).then_nothing()


def test_a_snapshot_recorded_before_observation_times_were_kept_counts_from_when_it_was_recorded() -> None:
    legacy = event(AssetsChanged, changes=(HoldingChange(JITA, RIFTER, 0, 5),), reason=SNAPSHOT)
    given(OPENED, legacy).when(deliver(datetime(2020, 1, 1, tzinfo=UTC))).then_nothing()
