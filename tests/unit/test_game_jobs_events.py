"""The game's jobs per holder as specifications: given what the game reported before, a new
list records exactly what changed, once, and nothing when nothing did; and the slots those
jobs hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from domain.catalog.model import ActivityKind
from domain.industry.blueprints import Holder
from domain.industry.game_jobs import GameJobs, GameJobsOpened, GameJobsReported, job_activity, job_slot_group
from domain.industry.game_sync import GameJob
from domain.industry.slots import BusySlot, SlotUsage, slot_usage
from tests.unit.given import META, OWNER, event, given

ANN = Holder(kind="character", id=2112000001)
READ = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPENED = event(GameJobsOpened, owner_id=OWNER, holder=ANN)


def job(job_id: int, status: str = "active", *, hours_left: float = 1.0) -> GameJob:
    return GameJob(
        job_id=job_id,
        installer_id=ANN.id,
        blueprint_type_id=691,
        product_type_id=587,
        activity_id=1,
        runs=10,
        licensed_runs=10,
        status=status,
        start_date=READ - timedelta(hours=1),
        end_date=READ + timedelta(hours=hours_left),
        station_id=60003760,
        facility_id=60003760,
        cost=1_250_000.0,
    )


RIFTERS, DRAKES = job(500_000_001), job(500_000_002, hours_left=-2)
REPORTED = event(GameJobsReported, holder=ANN, read_at=READ, added=(RIFTERS, DRAKES), changed=(), gone=())


def test_opening_a_holders_jobs() -> None:
    given().when(lambda _: GameJobs.open(OWNER, ANN, META)).then(OPENED)


def test_a_first_report_adds_every_job_the_game_lists() -> None:
    given(OPENED).when(lambda jobs: jobs.report([DRAKES, RIFTERS], READ, META)).then(REPORTED)


def test_the_same_list_again_records_nothing() -> None:
    later = READ + timedelta(minutes=10)
    given(OPENED, REPORTED).when(lambda jobs: jobs.report([DRAKES, RIFTERS], later, META)).then_nothing()


def test_a_new_status_or_end_is_a_change_and_a_job_no_longer_listed_is_gone() -> None:
    delivered = msgspec.structs.replace(DRAKES, status="delivered", completed_date=READ)
    later = READ + timedelta(minutes=10)
    expected = event(GameJobsReported, read_at=later, added=(), changed=(delivered,), gone=(RIFTERS.job_id,))
    game_jobs = given(OPENED, REPORTED).when(lambda jobs: jobs.report([delivered], later, META)).then(expected)
    assert game_jobs.state() == [delivered]


def test_a_list_read_before_the_last_one_recorded_is_stale_and_records_nothing() -> None:
    earlier = READ - timedelta(minutes=1)
    given(OPENED, REPORTED).when(lambda jobs: jobs.report([], earlier, META)).then_nothing()


def test_reactions_under_either_game_id_and_unmodelled_activities_take_a_science_slot() -> None:
    assert job_activity(11) is job_activity(9) is ActivityKind.REACTION
    assert job_activity(7) is None  # reverse engineering
    assert [job_slot_group(a) for a in ("manufacturing", "reaction", "invention", None)] == [
        "manufacturing",
        "reactions",
        "science",
        "science",
    ]


def test_slots_are_never_negative_and_the_next_free_one_is_known_only_when_none_is_free() -> None:
    soon, later = READ + timedelta(hours=1), READ + timedelta(hours=3)
    busy = [
        BusySlot(character_id=ANN.id, group="manufacturing", until=later),
        BusySlot(character_id=ANN.id, group="manufacturing", until=soon),
        BusySlot(character_id=ANN.id, group="manufacturing", until=None),  # paused: its end is unknown
        BusySlot(character_id=ANN.id, group="science", until=soon),
        BusySlot(character_id=9, group="manufacturing", until=READ),  # another character's
    ]
    assert slot_usage(ANN.id, "manufacturing", 2, busy) == SlotUsage(total=2, busy=3, free=0, next_free_at=soon)
    assert slot_usage(ANN.id, "science", 2, busy) == SlotUsage(total=2, busy=1, free=1, next_free_at=None)
    assert slot_usage(ANN.id, "reactions", 1, busy) == SlotUsage(total=1, busy=0, free=1, next_free_at=None)
