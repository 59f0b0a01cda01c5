"""The pure parts of the EVE sync: where nested items are counted, which jobs are ready, and a
corporation's jobs split per installer for the job sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.eve.esi import CallStats, EsiAnswer
from application.eve.esi_routes import Asset, AssetName, IndustryJob
from application.eve.sync_steps import (
    _decode_holdings,
    _encode_holdings,
    container_names,
    holdings_by_location,
    jobs_by_installer,
)
from application.game_jobs import reported_jobs
from domain.industry.game_sync import GameJob, ready_to_deliver
from domain.stock.assets import UNOWNED, Spot

STATION = 60003760


def asset(
    item_id: int, type_id: int, location_id: int, location_type: str, quantity: int = 1, flag: str = "Hangar"
) -> Asset:
    return Asset(
        item_id=item_id,
        type_id=type_id,
        location_id=location_id,
        location_flag=flag,
        location_type=location_type,
        quantity=quantity,
        is_singleton=quantity == 1,
    )


def test_items_in_containers_in_ships_count_at_the_outermost_location() -> None:
    ship, can = 10, 11
    assets = [
        asset(ship, 587, STATION, "station"),
        asset(can, 17366, ship, "item"),
        asset(12, 34, can, "item", 500),
        asset(13, 34, STATION, "station", 100),
        asset(14, 35, 999, "item", 7),  # inside something the answer does not list: kept where it says
        asset(15, 36, 30000142, "solar_system", 3),  # in space
    ]
    assert holdings_by_location(assets) == {
        STATION: {UNOWNED: {587: 1, 17366: 1, 34: 600}},
        999: {UNOWNED: {35: 7}},
        30000142: {UNOWNED: {36: 3}},
    }
    ann = Spot("character", 90000001)
    assert holdings_by_location(assets, ann) == {
        STATION: {ann: {587: 1, 34: 100}, ann._replace(container_id=ship): {17366: 1, 34: 500}},
        999: {ann: {35: 7}},
        30000142: {ann: {36: 3}},
    }


def test_a_corporation_hangar_division_comes_from_the_outermost_items_flag() -> None:
    """ESI's corporation assets flag hangar items ``CorpSAG1``..``CorpSAG7`` (division 1-7);
    items inside a container carry the container's item id as their location."""
    corporation = Spot("corporation", 98000001)
    can = 20
    assets = [
        asset(can, 17366, STATION, "station", flag="CorpSAG3"),
        asset(21, 34, can, "item", 400, flag="Locked"),
        asset(22, 34, STATION, "station", 50, flag="CorpSAG1"),
        asset(23, 34, STATION, "station", 5, flag="CorpDeliveries"),
    ]
    assert holdings_by_location(assets, corporation) == {
        STATION: {
            corporation._replace(division_number=3): {17366: 1},
            corporation._replace(container_id=can, division_number=3): {34: 400},
            corporation._replace(division_number=1): {34: 50},
            corporation: {34: 5},
        }
    }


def test_a_corporation_office_is_its_station_s_hangars_not_a_container() -> None:
    """ESI's corporation assets locate a hangar's items in the corporation's office there (type
    27, flagged ``OfficeFolder``), whose location is the station or structure: the items count
    at that place, by their own division, in the container they are in (not the office); the
    office itself is not held (esi/esi-docs, docs/asset_location_id.md)."""
    corporation = Spot("corporation", 98000001)
    office, structure_office, can, structure = 30, 31, 32, 1_035_466_617_946
    assets = [
        asset(office, 27, STATION, "station", flag="OfficeFolder"),
        asset(33, 34, office, "item", 200, flag="CorpSAG1"),
        asset(can, 17366, office, "item", flag="CorpSAG2"),
        asset(34, 35, can, "item", 50, flag="Unlocked"),
        asset(structure_office, 27, structure, "item", flag="OfficeFolder"),
        asset(35, 36, structure_office, "item", 7, flag="CorpSAG3"),
    ]
    assert holdings_by_location(assets, corporation) == {
        STATION: {
            corporation._replace(division_number=1): {34: 200},
            corporation._replace(division_number=2): {17366: 1},
            corporation._replace(container_id=can, division_number=2): {35: 50},
        },
        structure: {corporation._replace(division_number=3): {36: 7}},
    }


def test_container_names_are_asked_a_thousand_ids_at_a_time_for_singleton_containers_only() -> None:
    """2,500 named cans, each holding Tritanium, and a can ESI answers ``None`` for (never
    named): three requests of at most 1,000 ids; the unnamed one gets no name."""
    ann = Spot("character", 90000001)
    cans = range(1_000, 3_501)
    assets = [asset(can, 17366, STATION, "station") for can in cans]
    assets += [asset(10_000 + can, 34, can, "item", 5) for can in cans]
    asked: list[list[int]] = []

    def names(item_ids: list[int]) -> EsiAnswer[list[AssetName]]:
        asked.append(item_ids)
        named = [AssetName(item_id=item, name="None" if item == 3_500 else f"can {item}") for item in item_ids]
        return EsiAnswer(named, CallStats(requests=1), False, None, 0.0)

    stats = CallStats()
    named = container_names(assets, holdings_by_location(assets, ann), names, stats)
    assert [len(batch) for batch in asked] == [1_000, 1_000, 501]
    assert len(named) == 2_500 and named[1_000] == "can 1000" and 3_500 not in named
    assert stats.requests == 3


def test_a_status_detail_kept_before_owners_existed_reads_as_unowned() -> None:
    assert _decode_holdings('{"60003760": {"34": 5}}') == {STATION: {UNOWNED: {34: 5}}}
    held = {STATION: {Spot("character", 7, 11): {34: 5}, UNOWNED: {35: 1}}}
    assert _decode_holdings(_encode_holdings(held)) == held


def test_a_job_past_its_end_still_active_is_ready_and_one_running_or_delivered_is_not() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)

    def job(job_id: int, status: str, end: datetime) -> GameJob:
        return GameJob(
            job_id=job_id,
            blueprint_type_id=691,
            activity_id=1,
            runs=1,
            status=status,
            start_date=end - timedelta(hours=1),
            end_date=end,
        )

    jobs = [
        job(1, "active", now - timedelta(minutes=1)),
        job(2, "active", now + timedelta(minutes=1)),
        job(3, "delivered", now - timedelta(hours=1)),
        job(4, "ready", now - timedelta(hours=1)),
    ]
    assert ready_to_deliver(jobs, now) == [1, 4]


def test_a_corporation_s_jobs_go_to_the_job_sync_per_installer_with_their_station() -> None:
    start = datetime(2027, 1, 1, tzinfo=UTC)

    def corporation_job(job_id: int, installer: int) -> IndustryJob:
        return IndustryJob(
            job_id=job_id,
            installer_id=installer,
            facility_id=1_000_000_000_999,
            location_id=STATION,  # the corporation route's name for the station
            activity_id=1,
            blueprint_id=1,
            blueprint_type_id=687,
            blueprint_location_id=STATION,
            output_location_id=STATION,
            runs=2,
            duration=3600,
            status="active",
            start_date=start,
            end_date=start + timedelta(hours=1),
        )

    split = jobs_by_installer(reported_jobs([corporation_job(1, 7), corporation_job(2, 8), corporation_job(3, 7)]))
    assert {installer: [job.job_id for job in jobs] for installer, jobs in split.items()} == {7: [1, 3], 8: [2]}
    assert {job.station_id for jobs in split.values() for job in jobs} == {STATION}
