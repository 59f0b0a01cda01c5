"""Hauls of a generated run by the user's transport profiles, routed on the fixtures' map
(tests/fixtures/MAP.md):

    Jita - Niyabainen - Tama(0.3) - New Caldari
      \\                              /
       +-------- Perimeter ----------+

A ship P (40,000 m³ each) is built at a station in Niyabainen from Tritanium bought at the hub,
a station in New Caldari; the ships go to the hub. The two stations are the tests' own (the
fixtures' map has one station, in Jita): what matters is the systems they are in.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from uuid import UUID

import msgspec
import pytest

from application.catalog_sources import read_catalog
from domain.catalog.chains import ProductionGraph
from domain.catalog.universe import RouteRule, shortest_route
from domain.industry.generation import Generation, PlannedTransport, generate
from domain.industry.jobs import JobSpec
from domain.industry.plan import StepSetup, TransportSettings, propose_steps
from domain.industry.runs import RunTransport
from domain.industry.transport import TransportMethod, TransportProfile
from domain.work_limits import WorkLimitExceeded
from tests.unit.test_chains import recipe

JITA, NIYABAINEN, PERIMETER, NEW_CALDARI, TAMA = 30000142, 30000143, 30000144, 30000145, 30002813
FACTORY, HUB = 1, 2  # stations in Niyabainen and New Caldari
SYSTEM_OF = {FACTORY: NIYABAINEN, HUB: NEW_CALDARI}
TRIT, P = 34, 500
GRAPH = ProductionGraph.from_recipes([recipe(1500, P, 1, (TRIT, 1000))])
VOLUMES = {TRIT: 0.01, P: 40_000.0}
MAP = {system.system_id: system for system in read_catalog(Path(__file__).parents[1] / "fixtures" / "csv_dump").systems}

FREIGHTER = TransportProfile(
    profile_id=UUID(int=10),
    name="Charon",
    method=TransportMethod.FREIGHTER,
    rate_per_m3_per_jump=10.0,
    max_volume=330_000.0,
    route_rule=RouteRule.SECURE,
)
COURIER = TransportProfile(
    profile_id=UUID(int=11),
    name="Contracts",
    method=TransportMethod.COURIER_CONTRACT,
    rate_per_m3=100.0,
    is_default=True,
)


def routes(start: int, end: int, rule: RouteRule) -> tuple[int, ...] | None:
    """The map's route between the stations' systems (the application's part, by hand)."""
    found = shortest_route(MAP, SYSTEM_OF[start], SYSTEM_OF[end], rule)
    return found.systems if found is not None else None


def run(
    quantity: int,
    plan_profile: UUID | None = None,
    profiles: tuple[TransportProfile, ...] = (FREIGHTER, COURIER),
    step_profile: UUID | None = None,
    route_of: object = routes,
) -> Generation:
    steps = propose_steps(GRAPH, P, StepSetup(station_id=FACTORY), first_id=1)
    steps = [msgspec.structs.replace(step, transport_profile_id=step_profile) for step in steps]
    return generate(
        {step.step_id: step for step in steps},
        GRAPH,
        quantity,
        transport=TransportSettings(hub_station_id=HUB, cost_per_m3=1.0, transport_profile_id=plan_profile),
        volumes=VOLUMES,
        profiles={profile.profile_id: profile for profile in profiles},
        routes=route_of,  # type: ignore[arg-type]
    )


def haul_to_hub(generation: Generation) -> PlannedTransport:
    return next(haul for haul in generation.transports if haul.to_station_id == HUB)


def test_a_haul_over_the_freighters_hold_is_two_trips_along_the_routes_jumps() -> None:
    # 10 ships of 40,000 m3: 400,000 m3 in a 330,000 m3 hold. The secure route from Niyabainen
    # to New Caldari goes round low-sec Tama: 3 jumps (the shortest, through Tama, is 2).
    haul = haul_to_hub(run(10, plan_profile=FREIGHTER.profile_id))

    assert (haul.volume, haul.trips, haul.jumps) == (400_000.0, 2, 3)
    assert haul.route == (NIYABAINEN, JITA, PERIMETER, NEW_CALDARI)
    assert (haul.method, haul.transport_profile_id) == (TransportMethod.FREIGHTER, FREIGHTER.profile_id)
    assert haul.cost_estimate == 400_000 * 10 * 3  # moved once in two trips; no prices: no collateral
    assert haul.missing == ()


def test_a_step_naming_a_profile_has_its_inputs_hauled_by_it_and_the_rest_by_the_plans() -> None:
    generation = run(10, plan_profile=FREIGHTER.profile_id, step_profile=COURIER.profile_id)
    tritanium = next(haul for haul in generation.transports if haul.to_station_id == FACTORY)

    # The Tritanium comes to the ship's step by courier: 9,000 units (ME 10) of 0.01 m3 at 100 ISK/m3,
    # routed the shortest way (through Tama); the ships leave by the plan's freighter.
    assert (tritanium.method, tritanium.cost_estimate, tritanium.jumps) == (
        TransportMethod.COURIER_CONTRACT,
        9_000.0,
        2,
    )
    assert tritanium.route == (NEW_CALDARI, TAMA, NIYABAINEN)
    assert haul_to_hub(generation).method is TransportMethod.FREIGHTER


def test_a_plan_naming_no_profile_hauls_by_the_users_default_and_without_profiles_at_its_own_rates() -> None:
    assert haul_to_hub(run(1)).method is TransportMethod.COURIER_CONTRACT
    assert haul_to_hub(run(1)).cost_estimate == 40_000 * 100.0

    legacy = haul_to_hub(run(1, profiles=()))
    assert (legacy.method, legacy.cost_estimate, legacy.trips, legacy.jumps, legacy.route) == (
        None,
        40_000.0,
        1,
        None,
        (),
    )


def test_a_profile_gone_is_said_and_the_default_hauls_instead() -> None:
    gone = uuid.UUID(int=99)
    haul = haul_to_hub(run(1, plan_profile=gone))

    assert haul.method is TransportMethod.COURIER_CONTRACT
    assert [(m.what, m.id) for m in haul.missing] == [("transport_profile", HUB)]


def test_an_unknown_route_is_said_never_guessed() -> None:
    haul = haul_to_hub(run(10, plan_profile=FREIGHTER.profile_id, route_of=lambda start, end, rule: None))

    assert (haul.jumps, haul.route, haul.trips) == (None, (), 2)
    assert haul.cost_estimate is None  # paid per jump, and the jumps are unknown
    assert [(m.what, m.id) for m in haul.missing] == [("route", HUB)]
    assert "keeping to high-sec" in haul.missing[0].reason


def test_each_haul_is_queued_as_a_transport_job_of_the_run() -> None:
    haul = haul_to_hub(run(10, plan_profile=FREIGHTER.profile_id))
    run_id, haul_id = uuid.uuid4(), uuid.uuid4()

    spec = haul.to_spec(run_id, haul_id)

    assert (spec.kind, spec.shown_activity, spec.runs) == ("transport", "transport", 2)
    assert (spec.from_station_id, spec.station_id, spec.haul_id, spec.plan_run_id) == (FACTORY, HUB, haul_id, run_id)
    assert (spec.total_cost, spec.sort_order, spec.character_id) == (haul.cost_estimate, haul.sort_order, None)


def test_a_haul_of_more_trips_than_a_job_has_runs_is_refused_before_anything_is_queued() -> None:
    shuttle = msgspec.structs.replace(FREIGHTER, max_volume=1.0)

    with pytest.raises(WorkLimitExceeded, match="trips of a haul by Charon") as refused:
        run(30, plan_profile=shuttle.profile_id, profiles=(shuttle,))  # 1,200,000 m3 in 1 m3 trips
    assert refused.value.field == "quantity"


def test_hauls_and_transport_settings_stored_before_profiles_read_back_unchanged() -> None:
    stored_haul = (
        b'{"id":"00000000-0000-0000-0000-000000000001","fromStationId":1,"toStationId":2,"items":[],'
        b'"volume":10.0,"costEstimate":10.0,"collateralValue":null,"sortOrder":1,"feedsJobIds":[]}'
    )
    haul = msgspec.json.decode(stored_haul, type=RunTransport)
    assert (haul.method, haul.transport_profile_id, haul.trips, haul.jumps, haul.route, haul.job_id) == (
        None,
        None,
        None,
        None,
        (),
        None,
    )
    settings = msgspec.json.decode(b'{"hubStationId":2,"costPerM3":1.0}', type=TransportSettings)
    assert settings.transport_profile_id is None
    spec = msgspec.json.decode(b'{"productTypeId":587,"blueprintTypeId":691,"runs":1}', type=JobSpec)
    assert (spec.kind, spec.from_station_id, spec.haul_id) == ("industry", None, None)
    assert b"kind" not in msgspec.json.encode(spec)  # an industry job's bytes are as before
