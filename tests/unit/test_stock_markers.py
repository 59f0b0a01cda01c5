"""The stockpile marker: identified by user, item, location, owner, container and division;
carries notes and the price rule its deficit is valued by. Markers placed before owners
existed are unowned: they keep their id and count every unit at their location."""

from __future__ import annotations

import msgspec
import pytest

from domain.errors import InvalidInput
from domain.stock.assets import UNOWNED, Assets, AssetsChanged, AssetsOpened, Holding, HoldingChange, Spot
from domain.stock.markers import (
    MarkerPlaced,
    MarkerSettings,
    MarkerUpdated,
    MarkerUpsert,
    StockpileMarker,
    marker_id,
    unit_price,
)
from tests.unit.given import META, OWNER, event, given

JITA, TRITANIUM = 60003760, 34
ANN, BOB, CORP = 90000001, 90000002, 98000001
ANN_SPOT = Spot("character", ANN)
DIVISION_3 = Spot("corporation", CORP, None, 3)


def settings(**fields: object) -> MarkerSettings:
    return MarkerSettings(type_id=TRITANIUM, location_id=JITA, desired_quantity=100, **fields)  # type: ignore[arg-type]


def test_placing_an_owned_marker_records_its_owner_container_division_and_price_rule() -> None:
    wanted = settings(
        owner_type="corporation", owner_id=CORP, division_number=3, price_source="split", price_percentage=90.0
    )
    marker = given().when(lambda _: StockpileMarker.place(wanted, META))
    placed = marker.then(event(MarkerPlaced, owner_id=OWNER, settings=wanted))
    assert placed.id == marker_id(OWNER, TRITANIUM, JITA, DIVISION_3)


def test_two_owners_markers_at_one_station_are_two_markers() -> None:
    ann = marker_id(OWNER, TRITANIUM, JITA, ANN_SPOT)
    bob = marker_id(OWNER, TRITANIUM, JITA, Spot("character", BOB))
    corp_in_can = marker_id(OWNER, TRITANIUM, JITA, Spot("corporation", CORP, 1_000_000_123, 3))
    assert len({ann, bob, corp_in_can, marker_id(OWNER, TRITANIUM, JITA)}) == 4


def test_an_unowned_marker_keeps_the_id_it_had_before_owners_existed() -> None:
    """The id was uuid5(namespace, "user/type/location"); an unowned marker's is unchanged, so
    an upsert without an owner still updates the marker placed back then."""
    import uuid

    before = uuid.uuid5(uuid.UUID("e4a1c9b2-3d75-4f08-8b6e-1f2a3c4d5e6f"), f"{OWNER}/{TRITANIUM}/{JITA}")
    assert marker_id(OWNER, TRITANIUM, JITA) == before == marker_id(OWNER, TRITANIUM, JITA, UNOWNED)


def test_a_marker_event_stored_before_owners_existed_decodes_as_unowned_at_the_sell_price() -> None:
    stored = b'{"typeId":34,"locationId":60003760,"desiredQuantity":100,"planId":null,'
    stored += b'"autoProductionParallelism":0,"autoProductionEnabled":false}'
    old = msgspec.json.decode(stored, type=MarkerSettings)
    assert old.spot == UNOWNED and (old.price_source, old.price_percentage, old.notes) == ("sell", 100.0, None)


def test_an_upsert_changing_only_notes_keeps_the_price_rule_and_one_changing_nothing_records_nothing() -> None:
    first = settings(owner_type="character", owner_id=ANN, price_source="buy", price_percentage=95.0)
    upsert = MarkerUpsert(
        type_id=TRITANIUM, location_id=JITA, desired_quantity=100, owner_type="character", owner_id=ANN, notes="fuel"
    )
    changed = upsert.applied_to(first)
    assert (changed.price_source, changed.price_percentage, changed.notes) == ("buy", 95.0, "fuel")
    history = (event(MarkerPlaced, owner_id=OWNER, settings=first),)
    given(*history).when(lambda marker: marker.update(changed, META)).then(event(MarkerUpdated, settings=changed))
    given(*history).when(lambda marker: marker.update(first, META)).then_nothing()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"owner_type": "character"}, "owner_id"),
        ({"owner_id": ANN}, "owner_type"),
        ({"container_id": 5}, "container_id"),
        ({"owner_type": "character", "owner_id": ANN, "division_number": 2}, "division_number"),
        ({"owner_type": "corporation", "owner_id": CORP, "division_number": 8}, "division_number"),
        ({"price_source": "median"}, "price_source"),
        ({"price_percentage": 0.0}, "price_percentage"),
        ({"notes": "x" * 1001}, "notes"),
    ],
)
def test_a_bad_owner_division_or_price_rule_is_refused_naming_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        settings(**fields).validated()
    assert refused.value.field == field


def test_a_deficit_is_valued_at_sell_buy_or_the_midpoint_times_the_percentage() -> None:
    """Best sell 6.00, best buy 5.00 ISK: sell 6.00; buy at 90% 4.50; split (5.50) at 110% 6.05."""
    assert unit_price("sell", 100.0, 6.0, 5.0) == 6.0
    assert unit_price("buy", 90.0, 6.0, 5.0) == 4.5
    assert unit_price("split", 110.0, 6.0, 5.0) == pytest.approx(6.05)
    assert unit_price("split", 100.0, 6.0, None) is None and unit_price("buy", 100.0, 6.0, None) is None


def test_a_corporation_divisions_units_count_only_for_that_divisions_marker() -> None:
    """300 in division 3, 50 in division 1, 20 in Ann's hangar, 7 unowned (e.g. a job's output):
    the division-3 marker sees 300, the division-1 one 50, Ann's 20, an unowned marker all 377."""
    opened = event(AssetsOpened, owner_id=OWNER)
    snapshot = event(
        AssetsChanged,
        changes=(
            HoldingChange(JITA, TRITANIUM, 0, 7),
            HoldingChange(JITA, TRITANIUM, 0, 300, "corporation", CORP, None, 3),
            HoldingChange(JITA, TRITANIUM, 0, 50, "corporation", CORP, None, 1),
            HoldingChange(JITA, TRITANIUM, 0, 20, "character", ANN),
        ),
        reason="snapshot",
        location_id=JITA,
    )
    assets: Assets = given(opened, snapshot).aggregate
    assert assets.quantity(JITA, TRITANIUM, DIVISION_3) == 300
    assert assets.quantity(JITA, TRITANIUM, DIVISION_3._replace(division_number=1)) == 50
    assert assets.quantity(JITA, TRITANIUM, ANN_SPOT) == 20
    assert assets.quantity(JITA, TRITANIUM) == 377


def test_a_snapshot_replaces_every_owners_holdings_at_its_location() -> None:
    opened = event(AssetsOpened, owner_id=OWNER)
    before = event(AssetsChanged, changes=(HoldingChange(JITA, TRITANIUM, 0, 5),), reason="snapshot", location_id=JITA)
    now = [Holding(type_id=TRITANIUM, location_id=JITA, quantity=40, owner_type="character", owner_id=ANN)]
    given(opened, before).when(lambda assets: assets.replace(now, JITA, META)).then(
        event(
            AssetsChanged,
            changes=(HoldingChange(JITA, TRITANIUM, 5, 0), HoldingChange(JITA, TRITANIUM, 0, 40, "character", ANN)),
            reason="snapshot",
            location_id=JITA,
        )
    )


def test_an_asset_naming_a_division_without_a_corporation_is_refused_naming_it() -> None:
    bad = [
        Holding(
            type_id=TRITANIUM, location_id=JITA, quantity=1, owner_type="character", owner_id=ANN, division_number=2
        )
    ]
    refused = given(event(AssetsOpened, owner_id=OWNER)).when(lambda assets: assets.replace(bad, JITA, META))
    assert refused.then_refused(InvalidInput).field == "assets[0].division_number"  # type: ignore[attr-defined]
