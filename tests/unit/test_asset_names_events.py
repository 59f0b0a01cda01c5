"""The names the game gave a user's containers and structures: only what differs from what is
known is recorded, and a name the game stopped answering is kept."""

from __future__ import annotations

from domain.stock.names import AssetNames, AssetNamesOpened, AssetNamesSeen, ContainerName, StructureName
from tests.unit.given import META, OWNER, event, given

CAN, HUB = 1_000_000_000_100, 1_035_466_617_946
PERIMETER = 30000144
OPENED = event(AssetNamesOpened, owner_id=OWNER)
HUB_NAME = StructureName(HUB, "Perimeter - Hub", PERIMETER)
SEEN = event(AssetNamesSeen, containers=(ContainerName(CAN, "Minerals"),), structures=(HUB_NAME,))


def test_names_seen_first_are_recorded() -> None:
    given(OPENED).when(lambda names: names.seen({CAN: "Minerals"}, [HUB_NAME], META)).then(SEEN)


def test_the_same_names_again_record_nothing() -> None:
    given(OPENED, SEEN).when(lambda names: names.seen({CAN: "Minerals"}, [HUB_NAME], META)).then_nothing()


def test_a_renamed_container_is_recorded_alone() -> None:
    given(OPENED, SEEN).when(lambda names: names.seen({CAN: "Fuel"}, [HUB_NAME], META)).then(
        event(AssetNamesSeen, containers=(ContainerName(CAN, "Fuel"),), structures=())
    )


def test_a_structure_no_longer_answered_keeps_its_name() -> None:
    def unanswered(names: AssetNames) -> int:
        assert names.seen({}, [], META) == 0
        assert names.structures[HUB] == HUB_NAME
        return 0

    given(OPENED, SEEN).when(unanswered).then_nothing()
