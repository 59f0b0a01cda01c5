"""A user's ``TransportProfiles``: profiles added, changed and removed, one default per user,
and the rules a profile keeps (each refusal names its field)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from domain.catalog.universe import RouteRule
from domain.errors import NotFound, RuleViolation
from domain.industry.jobs import Job, JobQueued, JobSpec, JobStarted
from domain.industry.transport import (
    MAX_PROFILES,
    TransportMethod,
    TransportProfile,
    TransportProfileAdded,
    TransportProfileChanged,
    TransportProfileRemoved,
    TransportProfiles,
    TransportProfilesOpened,
    haul_terms,
    transport_profiles_id,
)
from tests.unit.given import AGGREGATE_ID, META, OWNER, event, given

FREIGHTER = TransportProfile(
    profile_id=uuid.UUID(int=10),
    name="Charon",
    method=TransportMethod.FREIGHTER,
    rate_per_m3_per_jump=10.0,
    collateral_rate=0.01,
    max_volume=330_000.0,
    is_default=True,
)
COURIER = TransportProfile(
    profile_id=uuid.UUID(int=11),
    name="Red Frog",
    method=TransportMethod.COURIER_CONTRACT,
    rate_per_m3=300.0,
    collateral_rate=0.005,
    route_rule=RouteRule.SECURE,
)
OPENED = event(TransportProfilesOpened, owner_id=OWNER)
STARTED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_first_profile_opens_the_users_profiles() -> None:
    def add(_: None) -> TransportProfiles:
        profiles = TransportProfiles.open(OWNER, META)
        profiles.add(FREIGHTER, META)
        return profiles

    profiles = given().when(add).then(OPENED, event(TransportProfileAdded, profile=FREIGHTER))
    assert profiles.id == transport_profiles_id(OWNER)
    assert profiles.shown() == [FREIGHTER]


def test_a_new_default_takes_over_from_the_one_before() -> None:
    courier = msgspec.structs.replace(COURIER, is_default=True)
    profiles = (
        given(OPENED, event(TransportProfileAdded, profile=FREIGHTER))
        .when(lambda profiles: profiles.add(courier, META))
        .then(event(TransportProfileAdded, profile=courier))
    )
    assert [(p.name, p.is_default) for p in profiles.shown()] == [("Charon", False), ("Red Frog", True)]


def test_a_change_replaces_the_fields_and_the_same_fields_record_nothing() -> None:
    bigger = msgspec.structs.replace(FREIGHTER, max_volume=435_000.0, name="  Obelisk ")
    history = (OPENED, event(TransportProfileAdded, profile=FREIGHTER))
    given(*history).when(lambda profiles: profiles.change(bigger, META)).then(
        event(TransportProfileChanged, profile=msgspec.structs.replace(bigger, name="Obelisk"))
    )
    given(*history).when(lambda profiles: profiles.change(FREIGHTER, META)).then_nothing()


def test_turning_the_default_off_leaves_the_user_with_none() -> None:
    profiles = (
        given(OPENED, event(TransportProfileAdded, profile=FREIGHTER))
        .when(lambda profiles: profiles.change(msgspec.structs.replace(FREIGHTER, is_default=False), META))
        .then(event(TransportProfileChanged))
    )
    assert profiles.default_id is None


def test_removing_the_default_leaves_none_and_an_unknown_profile_is_not_found() -> None:
    history = (OPENED, event(TransportProfileAdded, profile=FREIGHTER))
    profiles = (
        given(*history)
        .when(lambda profiles: profiles.remove(FREIGHTER.profile_id, META))
        .then(event(TransportProfileRemoved, profile_id=FREIGHTER.profile_id))
    )
    assert profiles.shown() == [] and profiles.default_id is None
    given(*history).when(lambda profiles: profiles.remove(COURIER.profile_id, META)).then_refused(
        NotFound, "transport profile not found"
    )
    given(*history).when(lambda profiles: profiles.change(COURIER, META)).then_refused(NotFound)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"collateral_rate": 1.5}, "collateral_rate"),
        ({"rate_per_m3_per_jump": -1.0}, "rate_per_m3_per_jump"),
        ({"max_volume": 0.0}, "max_volume"),
        ({"max_volume": 0.5}, "max_volume"),  # under a cubic metre: no hold
        ({"max_volume": None}, "max_volume"),  # a ship has a hold
        ({"rate_per_m3": 100.0}, "rate_per_m3"),  # a ship is paid per jump
        ({"rate_per_m3": float("nan")}, "rate_per_m3"),
    ],
)
def test_a_profile_breaking_a_rule_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    refused = msgspec.structs.replace(FREIGHTER, **changes)
    error = given(OPENED).when(lambda profiles: profiles.add(refused, META)).then_refused(RuleViolation)
    assert isinstance(error, RuleViolation) and error.field == field


def test_a_user_keeps_at_most_so_many_profiles() -> None:
    history = [
        event(TransportProfileAdded, profile=msgspec.structs.replace(COURIER, profile_id=uuid.UUID(int=100 + i)))
        for i in range(MAX_PROFILES)
    ]
    given(OPENED, *history).when(lambda profiles: profiles.add(FREIGHTER, META)).then_refused(RuleViolation, "at most")


def test_a_ship_pays_per_jump_for_its_goods_once_whatever_its_trips_and_a_courier_a_flat_rate() -> None:
    # 400,000 m3 in a 330,000 m3 hold: 2 trips carrying 400,000 m3 x 10 x 3 jumps + 1% of 1,000,000.
    terms = haul_terms(FREIGHTER, 400_000.0, 1_000_000.0, 3)
    assert (terms.trips, terms.cost) == (2, 400_000 * 10 * 3 + 10_000)
    # A courier contract: 300 ISK/m3 + 0.5% of the value, whatever the jumps, one contract.
    courier = haul_terms(COURIER, 1_000.0, 2_000_000.0, None)
    assert (courier.trips, courier.cost) == (1, 300_000 + 10_000)
    # Paid per jump and no route known: no cost, never a guess.
    assert haul_terms(FREIGHTER, 1_000.0, 0.0, None).cost is None


def test_a_transport_job_is_its_runs_haul_and_is_not_edited() -> None:
    spec = JobSpec(kind="transport", product_type_id=0, blueprint_type_id=0, runs=2, station_id=60003760)
    job = given().when(lambda _: Job.queue(AGGREGATE_ID, spec, META)).then(event(JobQueued, spec=spec))
    assert job.spec.shown_activity == "transport"
    given(event(JobQueued, owner_id=OWNER, spec=spec)).when(lambda job: job.edit(spec, META)).then_refused(
        RuleViolation, "transport job"
    )


def test_a_transport_job_is_never_a_game_job() -> None:
    spec = JobSpec(kind="transport", product_type_id=0, blueprint_type_id=0, runs=1)
    queued = event(JobQueued, owner_id=OWNER, spec=spec)
    given(queued).when(lambda job: job.start(555, None, STARTED_AT, META)).then_refused(RuleViolation, "game job")
    given(queued).when(lambda job: job.start(None, 7, STARTED_AT, META)).then(
        event(JobStarted, esi_job_id=None, character_id=7, ends_at=None)
    )
