"""Use cases over in-memory fakes of the write side's ports: no database, no projections.

Each fake answers a port's question from what the test put in it, so a test reads as "given
these read-model answers, the use case decides this".
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from application.auto_production import AutoProductionRunner
from application.jobs import JobService
from application.plans import GeneratedRun, PlanService
from application.transport import TransportService
from domain.aggregate import Aggregate
from domain.catalog.chains import CatalogSnapshot
from domain.catalog.universe import RouteRule
from domain.economics.region import RegionMarket
from domain.errors import NotFound
from domain.events import CommandMeta
from domain.industry.blueprints import OwnedBlueprint
from domain.industry.characters import Character, Roster
from domain.industry.game_sync import GameJob, QueuedJob
from domain.industry.jobs import GameJobLink, Job, JobSpec, JobStatus
from domain.industry.plan import Plan, StepSetup
from domain.industry.slots import BusySlot
from domain.stock.auto_production import MarkerDeficit, PendingKey
from tests.unit.test_plan_generation import GRAPH, B, S

OWNER = uuid.uuid4()
META = CommandMeta(user_id=OWNER, correlation_id="test")
STATION = 60003760
CHARACTER = 90000001


class FakeStockDeficits:
    def __init__(self, markers: list[MarkerDeficit], pending: dict[PendingKey, int]) -> None:
        self._markers = markers
        self._pending = pending
        self.asked_items: list[int] = []

    def markers(self) -> list[MarkerDeficit]:
        return list(self._markers)

    def pending_output(self, type_ids: Sequence[int]) -> dict[PendingKey, int]:
        self.asked_items = list(type_ids)
        return {key: units for key, units in self._pending.items() if key[1] in type_ids}


class FakePlans:
    """Records what the runner asks to generate (the plan service is covered elsewhere)."""

    def __init__(self) -> None:
        self.generated: list[tuple[UUID, int, int]] = []

    def generate(self, plan_id: UUID, quantity: int, meta: CommandMeta, **options: Any) -> tuple[Any, int]:
        self.generated.append((plan_id, quantity, options["parallelism"]))
        run = type("Run", (), {"id": uuid.uuid4()})()
        return type("Generated", (), {"run": run})(), 1


def marker(plan_id: UUID, deficit: int, type_id: int = 587, parallelism: int = 0) -> MarkerDeficit:
    return MarkerDeficit(
        marker_id=uuid.uuid4(),
        owner_id=OWNER,
        plan_id=plan_id,
        type_id=type_id,
        location_id=STATION,
        deficit=deficit,
        parallelism=parallelism,
    )


def runner(deficits: FakeStockDeficits, plans: FakePlans) -> AutoProductionRunner:
    return AutoProductionRunner(plans, deficits, interval_sec=60)  # type: ignore[arg-type]


def test_a_deficit_net_of_pending_output_generates_a_run_for_the_rest() -> None:
    plan_id = uuid.uuid4()
    deficits = FakeStockDeficits([marker(plan_id, 9, parallelism=2)], {(OWNER, 587, STATION): 4})
    plans = FakePlans()
    report = runner(deficits, plans).tick()
    assert plans.generated == [(plan_id, 5, 2)]
    assert deficits.asked_items == [587]
    [outcome] = report.outcomes
    assert (outcome.action, outcome.gross_deficit, outcome.pending_output, outcome.net_deficit) == (
        "generated",
        9,
        4,
        5,
    )
    assert report.markers == 1


def test_a_deficit_covered_by_pending_output_generates_nothing() -> None:
    plan_id = uuid.uuid4()
    deficits = FakeStockDeficits([marker(plan_id, 9)], {(OWNER, 587, STATION): 9})
    plans = FakePlans()
    report = runner(deficits, plans).tick()
    assert plans.generated == []
    assert [(o.action, o.net_deficit) for o in report.outcomes] == [("covered", 0)]


def test_no_markers_no_runs() -> None:
    plans = FakePlans()
    report = runner(FakeStockDeficits([], {}), plans).tick()
    assert (plans.generated, report.markers, report.outcomes) == ([], 0, [])


# ------------------------------------------------------------------ game-job sync


class FakeJobQueue:
    def __init__(self, jobs: Sequence[Job]) -> None:
        self._jobs = list(jobs)

    def promised_runs(self, owner: UUID, blueprint_ids: Collection[int]) -> dict[int, int]:
        promised: dict[int, int] = defaultdict(int)
        for job in self._jobs:
            if job.owner_id == owner and job.status is JobStatus.PLANNED and job.spec.blueprint_id in blueprint_ids:
                promised[job.spec.blueprint_id] += job.spec.runs
        return promised

    def unlinked(self, owner: UUID) -> list[QueuedJob]:
        claimable = (JobStatus.PLANNED, JobStatus.ACTIVE)
        mine = [job for job in self._jobs if job.owner_id == owner]
        return [_queued(job) for job in mine if job.status in claimable and job.esi_job_id is None]

    def linked(self, owner: UUID, esi_job_ids: Sequence[int]) -> list[QueuedJob]:
        return [_queued(job) for job in self._jobs if job.owner_id == owner and job.esi_job_id in esi_job_ids]


def _queued(job: Job) -> QueuedJob:
    spec = job.spec
    return QueuedJob(
        id=job.id,
        status=job.status.value,
        blueprint_type_id=spec.blueprint_type_id,
        activity=spec.activity.value,
        runs=spec.runs,
        station_id=spec.station_id,
        character_id=job.character_id,
        esi_job_id=job.esi_job_id,
        created_at=job.created_on,
        blueprint_id=spec.blueprint_id,
    )


class FakeStore:
    """Aggregates by id; a save keeps them and counts positions."""

    def __init__(self, aggregates: Sequence[Aggregate]) -> None:
        self.aggregates = {aggregate.id: aggregate for aggregate in aggregates}
        self.position = 0

    def load(self, aggregate_id: UUID, _class: type[Aggregate], **_: Any) -> Aggregate:
        if aggregate_id not in self.aggregates:
            raise NotFound("not found", None)
        return self.aggregates[aggregate_id]

    def save_events(self, *aggregates: Aggregate) -> int:
        for aggregate in aggregates:
            self.aggregates[aggregate.id] = aggregate
            self.position += len(aggregate.collect_events())
        return self.position

    def forget(self, aggregate_id: UUID) -> None:
        pass


def queued_job() -> Job:
    spec = JobSpec(product_type_id=587, blueprint_type_id=681, runs=2, station_id=STATION, expected_output=2)
    return Job.queue(uuid.uuid4(), spec, META)


def game_job(job_id: int, status: str, started: datetime) -> GameJob:
    return GameJob(
        job_id=job_id,
        blueprint_type_id=681,
        activity_id=1,
        runs=2,
        status=status,
        start_date=started,
        end_date=started + timedelta(hours=1),
        station_id=STATION,
    )


def test_sync_starts_the_planned_job_a_game_job_fits_and_links_it() -> None:
    job = queued_job()
    store = FakeStore([job])
    service = JobService(store, FakeJobQueue([job]), FakeCatalogGraphs(), NoRegionMarkets())  # type: ignore[arg-type]
    (result, _position) = service.sync(CHARACTER, [game_job(7, "active", datetime.now(UTC))], META)
    assert (result.started, result.linked, result.completed, result.cancelled) == ([job.id], [], [], [])
    assert result.unmatched == []
    started = store.aggregates[job.id]
    assert isinstance(started, Job)
    assert (started.status, started.esi_job_id, started.character_id) == (JobStatus.ACTIVE, 7, CHARACTER)
    assert any(isinstance(a, GameJobLink) for a in store.aggregates.values())


def test_sync_completes_a_linked_job_the_game_delivered_and_leaves_unknown_game_jobs_unmatched() -> None:
    job = queued_job()
    job.start(7, CHARACTER, datetime.now(UTC), META)
    job.collect_events()
    store = FakeStore([job])
    service = JobService(store, FakeJobQueue([job]), FakeCatalogGraphs(), NoRegionMarkets())  # type: ignore[arg-type]
    now = datetime.now(UTC)
    (result, _position) = service.sync(CHARACTER, [game_job(7, "delivered", now), game_job(8, "active", now)], META)
    assert (result.started, result.completed, result.unmatched) == ([], [job.id], [8])
    assert store.aggregates[job.id].status is JobStatus.COMPLETED  # type: ignore[attr-defined]


def test_sync_links_a_job_started_by_hand_to_the_game_job_it_is_and_takes_the_game_s_dates() -> None:
    job = queued_job()
    job.start(None, CHARACTER, datetime.now(UTC) - timedelta(minutes=5), META)  # said by the player, no game id
    job.collect_events()
    store = FakeStore([job])
    service = JobService(store, FakeJobQueue([job]), FakeCatalogGraphs(), NoRegionMarkets())  # type: ignore[arg-type]
    game = game_job(7, "active", datetime.now(UTC))
    (result, _position) = service.sync(CHARACTER, [game], META)
    assert (result.started, result.linked, result.unmatched) == ([], [job.id], [])
    linked = store.aggregates[job.id]
    assert isinstance(linked, Job)
    assert (linked.status, linked.esi_job_id, linked.ends_at) == (JobStatus.ACTIVE, 7, game.end_date)
    (again, _position) = service.sync(CHARACTER, [game], META)
    assert (again.started, again.linked) == ([], []), "linked once"


# ------------------------------------------------------------------ run generation


class FakeCatalogGraphs:
    def snapshot(self, owner: UUID, field: str | None = None) -> CatalogSnapshot:
        return CatalogSnapshot(graph=GRAPH, names={S: "Ship"}, volumes={})


class NoRegionMarkets:
    def current(self, owner: UUID, region_id: int) -> RegionMarket:
        raise NotFound("no market data", "regionId")


class FakeOwnedBlueprints:
    def __init__(self, blueprints: Sequence[OwnedBlueprint]) -> None:
        self._blueprints = list(blueprints)

    def of_types(self, owner: UUID, type_ids: Collection[int]) -> list[OwnedBlueprint]:
        return [blueprint for blueprint in self._blueprints if owner == OWNER and blueprint.type_id in type_ids]


class FakeSlotOccupancy:
    def __init__(self, busy: Sequence[BusySlot]) -> None:
        self._busy = list(busy)

    def busy(self, owner: UUID, character_ids: Collection[int]) -> list[BusySlot]:
        return [slot for slot in self._busy if owner == OWNER and slot.character_id in character_ids]


class NoRoutes:
    def route(self, owner: UUID, from_station: int, to_station: int, rule: RouteRule) -> tuple[int, ...] | None:
        return None


SHIP_COPY = OwnedBlueprint(
    blueprint_id=-1,
    type_id=1300,
    kind="bpc",
    material_efficiency=10,
    time_efficiency=0,
    runs=3,
    quantity=1,
    location_id=STATION,
    holder_kind="character",
    holder_id=CHARACTER,
    source="manual",
)


def generate_ships(
    quantity: int,
    planned: Sequence[Job] = (),
    blueprints: Sequence[OwnedBlueprint] = (),
    busy: Sequence[BusySlot] = (),
) -> GeneratedRun:
    """A run of the test_plan_generation plan, by Ann (one slot of each group)."""
    plan = Plan.create(uuid.uuid4(), "Ships", S, GRAPH, StepSetup(me_level=0, te_level=0), None, META)
    roster = Roster.open(OWNER, META)
    roster.register(Character(character_id=CHARACTER, name="Ann"), META)
    plans = PlanService(
        FakeStore([plan, roster]),  # type: ignore[arg-type]
        FakeCatalogGraphs(),  # type: ignore[arg-type]
        NoRegionMarkets(),
        FakeOwnedBlueprints(blueprints),
        FakeJobQueue(planned),
        FakeSlotOccupancy(busy),
        NoRoutes(),
        TransportService(FakeStore([])),  # type: ignore[arg-type]
    )
    generated, _position = plans.generate(plan.id, quantity, META)
    return generated


def test_generation_plans_around_the_slots_other_jobs_keep_busy() -> None:
    until = datetime.now(UTC) + timedelta(hours=30)
    generated = generate_ships(7, busy=[BusySlot(character_id=CHARACTER, group="reactions", until=until)])
    reaction = generated.jobs[0].spec
    assert (reaction.product_type_id, reaction.character_id, reaction.start_after) == (B, CHARACTER, until)
    last = generated.jobs[-1].spec
    assert last.start_after is not None and last.duration_seconds is not None
    assert generated.generation.finishes_at == last.start_after + timedelta(seconds=last.duration_seconds)


def test_copy_runs_planned_jobs_of_other_runs_hold_are_not_given_again() -> None:
    holding = Job.queue(uuid.uuid4(), JobSpec(product_type_id=S, blueprint_type_id=1300, runs=2, blueprint_id=-1), META)
    generated = generate_ships(7, planned=[holding], blueprints=[SHIP_COPY])
    ships = [(job.spec.blueprint_id, job.spec.runs) for job in generated.jobs if job.spec.product_type_id == S]
    assert ships == [(-1, 1), (None, 5), (None, 1)]
    assert [m.message for m in generated.generation.missing_blueprints] == [
        "needs 6 more runs of Ship Blueprint copies"
    ]
