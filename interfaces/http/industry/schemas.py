"""Request and response bodies of plans, plan runs, jobs and characters (the spec's fields)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from domain.catalog.chains import ProductionGraph
from domain.catalog.industry import Facility
from domain.catalog.model import ActivityKind
from domain.economics.market import Missing
from domain.industry import generation, job_edits, preview, pricing, step_materials
from domain.industry.characters import Character, CharacterSkills
from domain.industry.game_sync import GameJob
from domain.industry.generation import Leftover, SkippedItem
from domain.industry.invention_runs import InventionProgress
from domain.industry.jobs import JobMaterial, JobSpec
from domain.industry.places import StepPlace
from domain.industry.plan import PlanStep, StepSetup, TransportSettings, step_tree_order
from domain.industry.runs import Profit, RunTransport
from domain.industry.transport import TransportMethod
from domain.limits import (
    MAX_SMALL_LIST,
    Count,
    Fraction,
    GameId,
    Note,
    PositiveCount,
    Quantity,
    SignedAmount,
    WholeSeconds,
    text,
)
from interfaces.http.bodies import Request, Response
from interfaces.http.wire import wire
from projections.industry import board, jobs, plans, runs
from projections.readmodel import Attributes

PlanName = Annotated[str, text(200)]


CharacterName = Annotated[str, text(100)]


MAX_GAME_JOBS = 10 * MAX_SMALL_LIST


class StepSetupIn(Request):
    me_level: Count | UnsetType = UNSET
    te_level: Count | UnsetType = UNSET
    station_id: GameId | None | UnsetType = UNSET
    facility: Facility | UnsetType = UNSET
    facility_tax: Fraction | UnsetType = UNSET

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in msgspec.structs.asdict(self).items() if value is not UNSET}

    def setup(self) -> StepSetup:
        return StepSetup(**self.changes())


class StepPlaceIn(StepPlace, frozen=True, forbid_unknown_fields=True):
    """A step's place as a request names it (unknown fields refused)."""

    def place(self) -> StepPlace:
        return StepPlace(**msgspec.structs.asdict(self))


def _place(value: StepPlaceIn | None) -> StepPlace | None:
    return value.place() if value is not None else None


class CreatePlan(Request):
    name: PlanName
    product_type_id: GameId
    # every proposed step's settings (ME 10 / TE 20 unless said)
    defaults: StepSetupIn = msgspec.field(default_factory=StepSetupIn)
    transport: TransportSettings | None = None
    invention_confidence: float | None = None  # invention attempts: null = expected value, else 0 < c < 1
    default_manufacturing_station_id: GameId | None = None  # manufacturing steps run here unless told
    default_reaction_station_id: GameId | None = None  # reaction steps run here unless told
    notes: Note = ""


class PatchPlan(Request):
    name: PlanName | UnsetType = UNSET
    transport: TransportSettings | None | UnsetType = UNSET  # null removes the transport settings
    invention_confidence: float | None | UnsetType = UNSET  # null: attempts on expected value
    default_manufacturing_station_id: GameId | None | UnsetType = UNSET  # null: none
    default_reaction_station_id: GameId | None | UnsetType = UNSET  # null: none
    notes: Note | UnsetType = UNSET


class AddStep(Request):
    parent_step_id: PositiveCount
    product_type_id: GameId
    blueprint_type_id: GameId | None = None
    settings: StepSetupIn | None = None  # the parent's settings unless given
    decryptor_type_id: GameId | None = None  # an invention step's decryptor (null: none)
    input_place: StepPlaceIn | None = None  # where the step takes its inputs (null: not said)
    output_place: StepPlaceIn | None = None  # where its output goes (null: not said)
    transport_profile_id: UUID | None = None  # the profile its inputs are hauled by (null: the plan's)

    def changes(self) -> dict[str, Any]:
        """The new step's settings, decryptor, places and transport profile, as the plan takes them."""
        changes = self.settings.changes() if self.settings else {}
        if self.decryptor_type_id is not None:
            changes["decryptor_type_id"] = self.decryptor_type_id
        if self.transport_profile_id is not None:
            changes["transport_profile_id"] = self.transport_profile_id
        for name in ("input_place", "output_place"):
            if getattr(self, name) is not None:
                changes[name] = _place(getattr(self, name))
        return changes


class UpdateStep(StepSetupIn):
    blueprint_type_id: GameId | UnsetType = UNSET
    decryptor_type_id: GameId | None | UnsetType = UNSET  # an invention step's decryptor (null: none)
    input_place: StepPlaceIn | None | UnsetType = UNSET  # null: not said
    output_place: StepPlaceIn | None | UnsetType = UNSET  # null: not said
    transport_profile_id: UUID | None | UnsetType = UNSET  # the profile its inputs are hauled by (null: the plan's)

    def changes(self) -> dict[str, Any]:
        changes = super().changes()
        for name in ("input_place", "output_place"):
            if name in changes:
                changes[name] = _place(changes[name])
        return changes


class StepChanges(UpdateStep, kw_only=True):
    """One entry of a batch of step updates: the step and its changes."""

    step_id: PositiveCount

    def changes(self) -> dict[str, Any]:
        changes = super().changes()
        changes.pop("step_id")
        return changes


class UpdateSteps(Request):
    steps: Annotated[list[StepChanges], msgspec.Meta(min_length=1, max_length=MAX_SMALL_LIST)]


class SetSource(Request):
    source: Literal["make", "buy"]


class Generate(Request):
    quantity: Annotated[Quantity, msgspec.Meta(description="Units of the plan's product: a positive whole number")]
    parallelism: Count = 0  # character slots to use at once (0 = every slot)
    region_id: GameId | None = None  # price the jobs and hauls with your market data of this region


class CreateJob(Request, kw_only=True):
    character_id: GameId | None = None
    product_type_id: GameId
    blueprint_type_id: GameId
    activity: ActivityKind = ActivityKind.MANUFACTURING
    runs: Count
    me_level: Count = 0
    te_level: Count = 0
    facility_tax: Fraction = 0.0
    station_id: GameId | None = None
    expected_output: Quantity = 0
    duration_seconds: WholeSeconds | None = None
    total_cost: SignedAmount | None = None
    expected_revenue: SignedAmount | None = None
    notes: Note = ""

    def spec(self) -> JobSpec:
        return msgspec.convert(msgspec.to_builtins(self), JobSpec)


class StartJob(Request):
    esi_job_id: GameId | None = None
    character_id: GameId | None = None
    started_at: datetime | None = None


class CompleteJob(Request):
    actual_revenue: SignedAmount | None = None


@wire
class EditJob(job_edits.JobEdit, frozen=True):
    pass


class AssignCharacter(Request):
    character_id: GameId | None


class SyncJobs(Request):
    character_id: GameId
    jobs: Annotated[list[GameJob], msgspec.Meta(max_length=MAX_GAME_JOBS)]  # ESI's job objects, as reported


class RegisterCharacter(Request):
    name: CharacterName
    skills: CharacterSkills = msgspec.field(default_factory=CharacterSkills)


class StepMaterial(Response):
    type_id: int
    name: str | None
    quantity: int  # per run, before ME
    source: Literal["make", "buy"]
    step_id: int | None  # the child step that makes it


class StepOut(Response):
    step_id: int
    parent_step_id: int | None
    product_type_id: int
    product_name: str | None
    blueprint_type_id: int
    activity: ActivityKind
    me_level: int
    te_level: int
    station_id: int | None
    facility: Facility
    facility_tax: float
    depth: int
    materials: list[StepMaterial]  # with an invented item's copy, and the Tech I copy invention takes
    decryptor_type_id: int | None = None  # invention: the decryptor each attempt takes
    input_place: StepPlace | None = None  # where it takes its inputs (null: not said)
    output_place: StepPlace | None = None  # where its output goes (null: not said)
    transport_profile_id: UUID | None = None  # the profile its inputs are hauled by (null: the plan's)


@wire
class PlanSummary(plans.PlanSummary, frozen=True):
    pass


@wire
class StepInputsOut(step_materials.StepInputs, frozen=True):
    """A plan step's inputs: quantity, volume, make or buy, recipe and blueprint ownership."""


@wire
class JobView(jobs.JobView, frozen=True):
    pass


@wire
class RunView(runs.RunView, frozen=True):
    pass


@wire
class Board(board.Board, frozen=True):
    pass


@wire
class CharacterSlots(board.CharacterSlots, frozen=True):
    pass


class PlanOut(PlanSummary, frozen=True):
    steps: list[StepOut]


def steps_out(steps: list[PlanStep], graph: ProductionGraph | None, names: Mapping[int, str]) -> list[StepOut]:
    """Steps depth first, each with its recipe's materials and whether each is made or bought."""
    made = {(s.parent_step_id, s.product_type_id): s.step_id for s in steps}
    out = []
    for step, depth in step_tree_order(steps):
        build = (
            next((b for b in graph.alternatives(step.product_type_id) if b.recipe_id == step.blueprint_type_id), None)
            if graph is not None
            else None
        )
        materials = [
            StepMaterial(
                type_id=m.type_id,
                name=names.get(m.type_id),
                quantity=m.quantity,
                source="make" if (step.step_id, m.type_id) in made else "buy",
                step_id=made.get((step.step_id, m.type_id)),
            )
            for m in (build.inputs if build else ())
        ]
        out.append(
            StepOut(
                step_id=step.step_id,
                parent_step_id=step.parent_step_id,
                product_type_id=step.product_type_id,
                product_name=names.get(step.product_type_id),
                blueprint_type_id=step.blueprint_type_id,
                activity=step.activity,
                me_level=step.me_level,
                te_level=step.te_level,
                station_id=step.station_id,
                facility=step.facility,
                facility_tax=step.facility_tax,
                depth=depth,
                materials=materials,
                decryptor_type_id=step.decryptor_type_id,
                input_place=step.input_place,
                output_place=step.output_place,
                transport_profile_id=step.transport_profile_id,
            )
        )
    return out


class PlanChanged(Response):
    plan: PlanOut
    aggregate_id: UUID
    version: int
    position: int
    changed: bool


class StepAdded(PlanChanged):
    step_id: int


@wire
class RunPricing(pricing.RunPricing, frozen=True):
    pass


class JobBlueprint(Response):
    job_id: UUID
    blueprint_id: int


@wire
class MissingBlueprint(generation.MissingBlueprint, frozen=True):
    pass


class SkippedOut(Response):
    """An item the run buys instead of making, with its name (None: not in the catalog)."""

    type_id: int
    name: str | None
    quantity: int
    reason: generation.SkipReason


def skipped_out(skipped: Sequence[SkippedItem], names: Mapping[int, str]) -> list[SkippedOut]:
    return [
        SkippedOut(type_id=item.type_id, name=names.get(item.type_id), quantity=item.quantity, reason=item.reason)
        for item in skipped
    ]


class CharacterAssignmentOut(Response):
    """The jobs one character got: their indexes in the answer's job list (``created`` or
    ``jobs``) and, for a recorded run, their ids (null in a preview: its jobs have none)."""

    character_id: int
    name: str
    job_count: int
    job_indexes: list[int]
    job_ids: list[UUID] | None = None


def assignments_out(
    assigned: preview.Assignments, job_ids: Sequence[UUID] | None = None
) -> list[CharacterAssignmentOut]:
    return [
        CharacterAssignmentOut(
            character_id=character.character_id,
            name=character.name,
            job_count=len(character.job_indexes),
            job_indexes=list(character.job_indexes),
            job_ids=None if job_ids is None else [job_ids[i] for i in character.job_indexes],
        )
        for character in assigned.characters
    ]


class GeneratedOut(Response):
    run: RunView
    created: list[JobView]
    skipped: list[SkippedOut]
    transport_jobs: list[RunTransport]
    leftovers: list[Leftover]
    pricing: RunPricing | None
    position: int
    blueprints_used: list[JobBlueprint]  # the owned blueprint each job runs (jobs with the plan's ME/TE: none)
    missing_blueprints: list[MissingBlueprint]  # runs owned copies could not feed (planned with the plan's ME/TE)
    estimated_finish: datetime | None  # when the run's last job should end; None if a job's start is unknown
    character_assignments: list[CharacterAssignmentOut]  # every character of the roster, in roster order
    unassigned_count: int  # jobs no character's slot was known to free for


class PlanProfit(Response):
    plan_id: UUID
    profit: Profit  # over every job of the plan's runs


class RunDetailOut(RunView, frozen=True):
    jobs: list[JobView]
    transport_jobs: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    leftovers: list[dict[str, Any]]
    inventions: list[InventionProgress] = []  # per invention step: copies needed vs won, attempts


class RunDeleted(Response):
    status: Literal["deleted"]
    position: int


class RunCancelled(Response):
    status: Literal["cancelled"]
    jobs_cancelled: int
    position: int


class PendingOutput(Response):
    plan_id: UUID
    product_type_id: int
    pending_output: int


class JobChanged(Response):
    job: JobView
    aggregate_id: UUID
    version: int
    position: int
    changed: bool


class SyncOut(Response):
    started: list[UUID]
    linked: list[UUID]  # jobs started by hand, now known as the game's
    completed: list[UUID]
    cancelled: list[UUID]
    unmatched: list[int]
    position: int
    topped_up: list[UUID] = []  # jobs queued for more invention attempts: a batch won too few copies


class CharacterOut(Response):
    character_id: int
    name: str
    skills: CharacterSkills
    manufacturing_slots: int
    reaction_slots: int
    science_slots: int

    @classmethod
    def of(cls, character: Character) -> CharacterOut:
        return cls(
            character_id=character.character_id,
            name=character.name,
            skills=character.skills,
            manufacturing_slots=character.slots("manufacturing"),
            reaction_slots=character.slots("reactions"),
            science_slots=character.slots("science"),
        )


class CharactersChanged(Response):
    characters: list[CharacterOut]
    version: int
    position: int
    changed: bool


class PreviewJob(Response):
    """A job the run would queue (no id: nothing is queued), timed for the character it would get."""

    index: int
    product_type_id: int
    product_name: str | None
    blueprint_type_id: int
    blueprint_id: int | None
    activity: ActivityKind
    runs: int
    me_level: int
    te_level: int
    facility_tax: float
    station_id: int | None
    expected_output: int
    character_id: int | None
    estimated_duration: int | None  # whole seconds
    start_after: datetime | None
    materials: list[JobMaterial]
    total_cost: float | None
    expected_revenue: float | None
    plan_step_id: int | None
    merged_step_ids: list[int]  # the plan's steps this one job makes (identical steps merged)
    sort_order: int
    runs_per_copy: int | None


def preview_jobs(jobs: Sequence[generation.PlannedJob], names: Mapping[int, str]) -> list[PreviewJob]:
    """Each job's spec as a preview row (its duration named as the queue's jobs name it)."""
    return [
        msgspec.convert(
            Attributes(
                job.spec,
                index=index,
                product_name=names.get(job.spec.product_type_id),
                estimated_duration=job.spec.duration_seconds,
                merged_step_ids=job.merged_step_ids,
            ),
            PreviewJob,
            from_attributes=True,
        )
        for index, job in enumerate(jobs)
    ]


class PreviewHaul(Response):
    """A haul the run would record; ``feedsJobIndexes`` index ``jobs``."""

    from_station_id: int
    to_station_id: int
    items: list[generation.TransportItem]
    volume: float | None
    cost_estimate: float | None
    collateral_value: float | None
    sort_order: int
    feeds_job_indexes: list[int]
    missing: list[Missing]
    method: TransportMethod | None  # null: hauled at the plan's own rates
    transport_profile_id: UUID | None
    trips: int | None
    jumps: int | None
    route: list[int]  # solar systems, from the origin's to the destination's


def preview_hauls(hauls: Sequence[generation.PlannedTransport]) -> list[PreviewHaul]:
    """Each haul as the run would record it (``RunTransport``), its fed jobs by index."""
    return [
        msgspec.convert(Attributes(haul, feeds_job_indexes=haul.feeds), PreviewHaul, from_attributes=True)
        for haul in hauls
    ]


@wire
class StageTiming(preview.StageTiming, frozen=True):
    pass


class CrewMember(Response):
    character_id: int
    name: str


class CrewOut(Response):
    """The run done by the best ``characterCount`` characters (most free slots, then fastest):
    when it would finish and how long that is from the preview's ``now`` (null: a job's start is
    unknown), stage by stage (deepest first), and who gets which of that run's jobs."""

    character_count: int
    characters: list[CrewMember]
    finishes_at: datetime | None
    total_seconds: int | None
    stages: list[StageTiming]
    character_assignments: list[CharacterAssignmentOut]  # job indexes of this crew's own run
    unassigned_count: int


def crews_out(crews: Sequence[preview.CrewTiming]) -> list[CrewOut]:
    return [
        CrewOut(
            character_count=len(crew.characters),
            characters=[CrewMember(character_id=c.character_id, name=c.name) for c in crew.characters],
            finishes_at=crew.finishes_at,
            total_seconds=crew.total_seconds,
            stages=msgspec.convert(crew.stages, list[StageTiming], from_attributes=True),
            character_assignments=assignments_out(crew.assignments),
            unassigned_count=crew.assignments.unassigned,
        )
        for crew in crews
    ]


class PreviewOut(Response):
    """What ``generate`` would answer now with every character (``jobs``, ``skipped``, hauls,
    leftovers, pricing with a ``regionId``, ``estimatedFinish``, assignments), and ``crews``:
    the run's length with 1, 2, … N characters. Nothing is recorded (no ``position``)."""

    quantity: int
    parallelism: int
    now: datetime  # what every time and ``totalSeconds`` counts from
    jobs: list[PreviewJob]
    skipped: list[SkippedOut]
    transport_jobs: list[PreviewHaul]
    leftovers: list[Leftover]
    pricing: RunPricing | None
    missing_blueprints: list[MissingBlueprint]
    inventions: list[generation.InventionNeed]
    estimated_finish: datetime | None
    character_assignments: list[CharacterAssignmentOut]
    unassigned_count: int
    crews: list[CrewOut]
