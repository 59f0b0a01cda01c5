"""The blueprint library as specifications: given its events, a sync or a hand edit records
exactly what changed, and nothing when nothing did."""

from __future__ import annotations

import msgspec

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.industry.blueprints import (
    BlueprintEntry,
    BlueprintLibrary,
    BlueprintLibraryOpened,
    BlueprintsChanged,
    Holder,
    OwnedBlueprint,
)
from tests.unit.given import META, OWNER, event, given

ANN = Holder(kind="character", id=2112000001)
CORP = Holder(kind="corporation", id=98000001)
OPENED = event(BlueprintLibraryOpened, owner_id=OWNER)


def reported(
    item: int, type_id: int = 691, *, holder: Holder = ANN, me: int = 10, runs: int | None = None
) -> OwnedBlueprint:
    return OwnedBlueprint(
        blueprint_id=item,
        type_id=type_id,
        kind="bpo" if runs is None else "bpc",
        material_efficiency=me,
        time_efficiency=20,
        runs=runs,
        quantity=1,
        location_id=60003760,
        holder_kind=holder.kind,
        holder_id=holder.id,
        source="esi",
    )


RIFTER, DRAKE = reported(1001), reported(1002, 24699, me=8, runs=5)
HAND = BlueprintEntry(
    type_id=687,
    kind="bpc",
    material_efficiency=4,
    runs=3,
    location_id=60003760,
    holder_kind="character",
    holder_id=ANN.id,
)


def test_opening_a_library() -> None:
    given().when(lambda _: BlueprintLibrary.open(OWNER, META)).then(OPENED)


def test_a_first_sync_adds_what_the_game_reports() -> None:
    given(OPENED).when(lambda lib: lib.replace_reported(ANN, [RIFTER, DRAKE], META)).then(
        event(BlueprintsChanged, added=(RIFTER, DRAKE), changed=(), removed=())
    )


def test_the_same_set_again_records_nothing() -> None:
    history = (OPENED, event(BlueprintsChanged, added=(RIFTER, DRAKE), changed=(), removed=()))
    given(*history).when(lambda lib: lib.replace_reported(ANN, [DRAKE, RIFTER], META)).then_nothing()


def test_a_sync_records_changed_runs_and_blueprints_gone() -> None:
    used = msgspec.structs.replace(DRAKE, runs=2)
    history = (OPENED, event(BlueprintsChanged, added=(RIFTER, DRAKE), changed=(), removed=()))
    library = (
        given(*history)
        .when(lambda lib: lib.replace_reported(ANN, [used], META))
        .then(event(BlueprintsChanged, added=(), changed=(used,), removed=(1001,)))
    )
    assert library.state() == [used]


def test_a_sync_of_one_holder_leaves_other_holders_and_hand_added_blueprints_alone() -> None:
    corp = reported(2001, 687, holder=CORP)
    history = (OPENED, event(BlueprintsChanged, added=(RIFTER, corp), changed=(), removed=()))
    library = (
        given(*history)
        .when(lambda lib: lib.add_by_hand(HAND, META))
        .then(event(BlueprintsChanged, changed=(), removed=()))
    )
    library.collect_events()
    library.replace_reported(ANN, [], META)
    [cleared] = library.collect_events()
    assert isinstance(cleared, BlueprintsChanged) and cleared.removed == (1001,)
    assert [b.blueprint_id for b in library.state()] == [-1, 2001]


def test_a_blueprint_moved_to_another_holder_is_a_change() -> None:
    moved = reported(1001, holder=CORP)
    history = (OPENED, event(BlueprintsChanged, added=(RIFTER,), changed=(), removed=()))
    given(*history).when(lambda lib: lib.replace_reported(CORP, [moved], META)).then(
        event(BlueprintsChanged, added=(), changed=(moved,), removed=())
    )


def test_hand_added_blueprints_get_negative_ids_never_reused() -> None:
    first = msgspec.convert({**msgspec.to_builtins(HAND), "blueprint_id": -1, "source": "manual"}, OwnedBlueprint)
    history = (
        OPENED,
        event(BlueprintsChanged, added=(first,), changed=(), removed=()),
        event(BlueprintsChanged, added=(), changed=(), removed=(-1,)),
    )
    library = (
        given(*history)
        .when(lambda lib: lib.add_by_hand(HAND, META))
        .then(
            event(BlueprintsChanged, added=(msgspec.structs.replace(first, blueprint_id=-2),), changed=(), removed=())
        )
    )
    assert [b.blueprint_id for b in library.state()] == [-2]


def test_a_hand_added_blueprint_is_removed_by_hand() -> None:
    first = msgspec.convert({**msgspec.to_builtins(HAND), "blueprint_id": -1, "source": "manual"}, OwnedBlueprint)
    given(OPENED, event(BlueprintsChanged, added=(first,), changed=(), removed=())).when(
        lambda lib: lib.remove_by_hand(-1, META)
    ).then(event(BlueprintsChanged, added=(), changed=(), removed=(-1,)))


def test_a_blueprint_the_game_reports_cannot_be_removed_by_hand() -> None:
    history = (OPENED, event(BlueprintsChanged, added=(RIFTER,), changed=(), removed=()))
    given(*history).when(lambda lib: lib.remove_by_hand(1001, META)).then_refused(RuleViolation)
    given(*history).when(lambda lib: lib.remove_by_hand(-5, META)).then_refused(NotFound)


def test_a_copy_needs_runs_and_an_original_has_none() -> None:
    no_runs = msgspec.structs.replace(HAND, runs=None)
    given(OPENED).when(lambda lib: lib.add_by_hand(no_runs, META)).then_refused(InvalidInput, "runs")
    original_with_runs = msgspec.structs.replace(HAND, kind="bpo")
    given(OPENED).when(lambda lib: lib.add_by_hand(original_with_runs, META)).then_refused(InvalidInput, "runs")
    bad_me = msgspec.structs.replace(HAND, material_efficiency=11)
    given(OPENED).when(lambda lib: lib.add_by_hand(bad_me, META)).then_refused(InvalidInput, "material")
