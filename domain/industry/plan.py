"""Production plans: a product and the tree of steps that builds it.

A step builds one item with one recipe at one facility. Each input material of a step is
made (a child step builds it) or bought (no child step); switching a material to "make"
proposes the catalog's chain below it, switching it to "buy" removes that subtree. Plans
are checked against the user's production graph whenever they change, and again when a run
is generated, because the catalog may have changed in between.

An invented item's step takes its Tech II copy as an input (a run of the copy per run), so a
plan for it has an invention step below it (datacores, and a run of a Tech I copy per attempt)
and a copying step below that. Copying and invention take no ME or TE; the invented item's
manufacturing runs at the invented copy's ME and TE (2 and 4, then the decryptor's modifiers),
which follow the invention step's decryptor when it changes. The plan says how attempts are
counted: on expected value, or enough for the copies at ``invention_confidence``.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.catalog.chains import BuildStep, ChainCycle, ProductionGraph
from domain.catalog.industry import NPC_STATION, Facility, validate_levels
from domain.catalog.invention import INVENTED_ME, INVENTED_TE, InventionPolicy
from domain.catalog.model import ActivityKind, Decryptor
from domain.errors import Conflict, DomainError, InvalidInput, NotFound, RuleViolation
from domain.events import CommandMeta, Event
from domain.industry.places import StepPlace
from domain.limits import GameId, SignedAmount
from domain.work_limits import DEFAULT_LIMITS, WorkLimitExceeded, WorkLimits

MAX_NAME = 200
MAX_TAX = 0.5
MAX_NOTES = 2000
PLACE_FIELDS = ("input_place", "output_place")  # a step's places: changed apart from its setup
APART_FIELDS = (*PLACE_FIELDS, "transport_profile_id")  # a step's fields that are not its setup


class RecentlyTriggered(Conflict):
    """The plan had an automatic run within the cooldown."""


class Source(enum.Enum):
    MAKE = "make"
    BUY = "buy"


class StepSetup(msgspec.Struct, frozen=True, kw_only=True):
    """Where and how a step runs; new steps inherit them from their parent."""

    me_level: int = 10
    te_level: int = 20
    station_id: int | None = None
    facility: Facility = NPC_STATION
    facility_tax: float = 0.0  # fraction of the job's estimated item value

    def validated(self) -> StepSetup:
        validate_levels(self.me_level, self.te_level)
        if not 0 <= self.facility_tax <= MAX_TAX:
            raise InvalidInput(f"facilityTax is a fraction between 0 and {MAX_TAX}", "facility_tax")
        return self


class PlanStep(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    step_id: int
    parent_step_id: int | None
    product_type_id: int
    blueprint_type_id: int  # the recipe's id
    activity: ActivityKind
    me_level: int
    te_level: int
    station_id: int | None = None
    facility: Facility = NPC_STATION
    facility_tax: float = 0.0
    decryptor_type_id: int | None = None  # invention: the decryptor each attempt takes (None: none)
    input_place: StepPlace | None = None  # where its inputs are taken from (None: not said)
    output_place: StepPlace | None = None  # where its output goes (None: not said)
    transport_profile_id: UUID | None = None  # the profile its inputs are hauled to it by (None: the plan's)

    @property
    def settings(self) -> StepSetup:
        return StepSetup(
            me_level=self.me_level,
            te_level=self.te_level,
            station_id=self.station_id,
            facility=self.facility,
            facility_tax=self.facility_tax,
        )


class TransportSettings(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """How goods move between a plan's stations; bought materials start at the hub station.
    Hauled by the transport profile ``transport_profile_id`` (None: the user's default profile);
    a plan made before profiles, or whose user has none, hauls at ``cost_per_m3`` plus
    ``collateral_rate`` of the goods' value, as it always did."""

    hub_station_id: GameId
    cost_per_m3: SignedAmount = 0.0  # not negative: ``validated``
    collateral_rate: SignedAmount = 0.0  # a fraction: ``validated``
    transport_profile_id: UUID | None = None  # plans from before profiles name none

    def validated(self) -> TransportSettings:
        if self.cost_per_m3 < 0:
            raise InvalidInput("costPerM3 must not be negative", "transport.cost_per_m3")
        if not 0 <= self.collateral_rate <= 1:
            raise InvalidInput("collateralRate is a fraction between 0 and 1", "transport.collateral_rate")
        return self


def validate_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"name must be 1-{MAX_NAME} characters", "name")
    return name


def _step_for(graph: ProductionGraph, type_id: int, blueprint_type_id: int | None, field: str) -> BuildStep:
    """How ``type_id`` is built: with the given recipe, or the catalog's preferred one."""
    preferred = graph.step(type_id)
    if preferred is None:
        raise RuleViolation(f"no recipe in your catalog builds type {type_id}", field)
    if blueprint_type_id is None:
        return preferred
    for step in graph.alternatives(type_id):
        if step.recipe_id == blueprint_type_id:
            return step
    raise RuleViolation(f"recipe {blueprint_type_id} does not build type {type_id}", "blueprint_type_id")


def _new_step(
    step_id: int,
    parent: int | None,
    build: BuildStep,
    settings: StepSetup,
    levels: tuple[int, int] | None = None,
    decryptor_type_id: int | None = None,
    stations: Mapping[ActivityKind, int] | None = None,
) -> PlanStep:
    """A step of ``build`` set up with ``settings``, at ``levels`` (ME, TE) when given, at the
    plan's default station for its activity when ``stations`` has one (the command named none).
    Reactions, copying and invention take no ME or TE."""
    station = (stations or {}).get(build.kind, settings.station_id)
    me, te = levels if levels is not None else (settings.me_level, settings.te_level)
    leveled = build.kind is ActivityKind.MANUFACTURING
    return PlanStep(
        step_id=step_id,
        parent_step_id=parent,
        product_type_id=build.product_type_id,
        blueprint_type_id=build.recipe_id,
        activity=build.kind,
        me_level=me if leveled else 0,
        te_level=te if leveled else 0,
        station_id=station,
        facility=settings.facility,
        facility_tax=settings.facility_tax,
        decryptor_type_id=decryptor_type_id if build.invents else None,
    )


def _proposed_levels(graph: ProductionGraph, build: BuildStep) -> tuple[int, int] | None:
    """An invented item's manufacturing runs at the invented copy's ME and TE (no decryptor
    yet); other steps at their settings (None)."""
    invented = graph.step(build.recipe_id)
    if build.blueprint_copy is not None and invented is not None and invented.invents:
        return INVENTED_ME, INVENTED_TE
    return None


def validate_confidence(confidence: float | None) -> float | None:
    """How a plan counts invention attempts: None (expected value) or a chance strictly
    between 0 and 1 of winning every copy a run needs."""
    if confidence is not None and not 0 < confidence < 1:
        raise InvalidInput("inventionConfidence is null (expected value) or between 0 and 1", "invention_confidence")
    return confidence


def invention_policy(
    steps: Iterable[PlanStep], confidence: float | None, decryptors: Mapping[int, Decryptor]
) -> InventionPolicy:
    """How a run of these steps counts invention: at ``confidence`` (None: expected value),
    skills V, with each invention step's decryptor (by the Tech II blueprint it invents)."""
    chosen = {
        step.product_type_id: (step.decryptor_type_id, decryptors[step.decryptor_type_id])
        for step in steps
        if step.activity is ActivityKind.INVENTION
        and step.decryptor_type_id is not None
        and step.decryptor_type_id in decryptors
    }
    return InventionPolicy(confidence=confidence, decryptors=chosen)


def propose_steps(
    graph: ProductionGraph,
    type_id: int,
    settings: StepSetup,
    first_id: int,
    parent: int | None = None,
    *,
    held: int = 0,
    limit: int = DEFAULT_LIMITS.steps_per_plan,
    stations: Mapping[ActivityKind, int] | None = None,
) -> list[PlanStep]:
    """The catalog's chain below ``type_id`` as steps, everything made down to raw materials,
    each at the plan's default station for its activity (``stations``) where it has one;
    ``WorkLimitExceeded`` before any walking if they and the ``held`` steps would be more than
    ``limit`` (a looping chain raises ChainCycle)."""
    _ensure_room(held, graph.tree_size(type_id, raw=False), limit)
    top = _step_for(graph, type_id, None, "product_type_id")
    root = _new_step(first_id, parent, top, settings, _proposed_levels(graph, top), stations=stations)
    steps = [root]
    stack = [root]
    while stack:
        step = stack.pop()
        build = graph.step(step.product_type_id)
        assert build is not None
        for material in build.inputs:
            child_build = graph.step(material.type_id)
            if child_build is None:
                continue
            levels = _proposed_levels(graph, child_build)
            child = _new_step(first_id + len(steps), step.step_id, child_build, settings, levels, stations=stations)
            steps.append(child)
            stack.append(child)
    return steps


def _chosen_decryptor(
    build: BuildStep, decryptor_type_id: int | None, decryptors: Mapping[int, Decryptor] | None
) -> int | None:
    """A decryptor chosen for a step: only an invention step takes one, and only an item the
    catalog knows as a decryptor."""
    if decryptor_type_id is None:
        return None
    if not build.invents:
        raise RuleViolation("only an invention step takes a decryptor", "decryptor_type_id")
    if decryptor_type_id not in (decryptors or {}):
        raise RuleViolation(f"type {decryptor_type_id} is not a decryptor in your catalog", "decryptor_type_id")
    return decryptor_type_id


def validate_notes(notes: str) -> str:
    if len(notes) > MAX_NOTES:
        raise InvalidInput(f"notes are at most {MAX_NOTES} characters", "notes")
    return notes


def _with_places(step: PlanStep, places: Mapping[str, Any]) -> PlanStep:
    """``step`` with the fields apart from its setup that ``places`` names (``input_place``,
    ``output_place``, validated; ``transport_profile_id``)."""
    checked = {name: value.validated(name) if isinstance(value, StepPlace) else value for name, value in places.items()}
    return msgspec.structs.replace(step, **checked) if checked else step


def _split_places(changes: dict[str, Any]) -> dict[str, Any]:
    """Take the fields apart from the setup out of ``changes`` (the rest are setup fields)."""
    return {name: changes.pop(name) for name in APART_FIELDS if name in changes}


def _in_entry(error: DomainError, index: int) -> DomainError:
    """The same refusal, its field named within entry ``index`` of a batch."""
    named = copy.copy(error)
    named.field = f"steps[{index}].{error.field}" if error.field else f"steps[{index}]"
    return named


def _ensure_room(held: int, adding: int, limit: int) -> None:
    """Steps are a plan's state and every run walks them all: at most ``steps_per_plan``."""
    if held + adding > limit:
        raise WorkLimitExceeded(
            "steps the plan would have",
            held + adding,
            limit,
            "steps",
            "buy some intermediates instead of making them (set their source to buy)",
        )


class Plan(Aggregate):
    name: str
    product_type_id: int
    steps: dict[int, PlanStep]
    next_step_id: int
    transport: TransportSettings | None
    deleted: bool
    last_generated_at: datetime | None
    last_auto_generated_at: datetime | None  # auto-production's cooldown
    runs_recorded: int  # PlanRunGenerated events in the plan's history (each load replays them)
    invention_confidence: float | None  # None: attempts on expected value
    default_manufacturing_station_id: int | None  # new manufacturing steps run here unless told
    default_reaction_station_id: int | None  # new reaction steps run here unless told
    notes: str

    @classmethod
    def create(
        cls,
        plan_id: UUID,
        name: str,
        product_type_id: int,
        graph: ProductionGraph,
        settings: StepSetup,
        transport: TransportSettings | None,
        meta: CommandMeta,
        limits: WorkLimits = DEFAULT_LIMITS,
        invention_confidence: float | None = None,
        *,
        default_manufacturing_station_id: int | None = None,
        default_reaction_station_id: int | None = None,
        notes: str = "",
    ) -> Plan:
        """A plan with the catalog's chain proposed; a manufacturing or reaction step runs at
        the plan's default station for its activity, where there is one, else at ``settings``'."""
        validate_confidence(invention_confidence)
        stations = _station_defaults(default_manufacturing_station_id, default_reaction_station_id)
        steps = propose_steps(
            graph, product_type_id, settings.validated(), first_id=1, limit=limits.steps_per_plan, stations=stations
        )
        return cls._create(
            PlanCreated,
            plan_id,
            meta=meta,
            owner_id=meta.user_id,
            name=validate_name(name),
            product_type_id=product_type_id,
            steps=tuple(steps),
            transport=transport.validated() if transport else None,
            invention_confidence=invention_confidence,
            default_manufacturing_station_id=default_manufacturing_station_id,
            default_reaction_station_id=default_reaction_station_id,
            notes=validate_notes(notes),
        )

    # ------------------------------------------------------------ reading

    @property
    def root(self) -> PlanStep:
        return next(step for step in self.steps.values() if step.parent_step_id is None)

    def step(self, step_id: int) -> PlanStep:
        step = self.steps.get(step_id)
        if step is None:
            raise NotFound(f"plan has no step {step_id}", "step_id")
        return step

    def children(self, step_id: int) -> dict[int, PlanStep]:
        """Material type id -> the step that makes it."""
        return {s.product_type_id: s for s in self.steps.values() if s.parent_step_id == step_id}

    def subtree(self, step_id: int) -> list[int]:
        ids, stack = [], [step_id]
        while stack:
            current = stack.pop()
            ids.append(current)
            stack.extend(s.step_id for s in self.steps.values() if s.parent_step_id == current)
        return ids

    def ensure_live(self) -> None:
        if self.deleted:
            raise NotFound("plan not found", "plan_id")

    def ensure_not_auto_triggered_since(self, since: datetime) -> None:
        """Auto-production's cooldown: one automatic run per plan per runner interval."""
        if self.last_auto_generated_at is not None and self.last_auto_generated_at >= since:
            raise RecentlyTriggered(
                f"auto-production already triggered this plan at {self.last_auto_generated_at.isoformat()}", "plan_id"
            )

    def check_against(self, graph: ProductionGraph) -> None:
        """Every step's recipe still builds its item from the materials the tree assumes."""
        for step in self.steps.values():
            field = f"steps[{step.step_id}]"
            build = next(
                (b for b in graph.alternatives(step.product_type_id) if b.recipe_id == step.blueprint_type_id), None
            )
            if build is None or build.kind is not step.activity:
                raise RuleViolation(
                    f"step {step.step_id}: recipe {step.blueprint_type_id} no longer builds type "
                    f"{step.product_type_id} in your catalog; update or remove the step",
                    field,
                )
            inputs = {m.type_id for m in build.inputs}
            for material in self.children(step.step_id):
                if material not in inputs:
                    raise RuleViolation(
                        f"step {step.step_id}: recipe {step.blueprint_type_id} no longer uses type {material}; "
                        "switch that material to buy",
                        field,
                    )
        try:
            graph.order(self.product_type_id, {s.product_type_id: s.blueprint_type_id for s in self.steps.values()})
        except ChainCycle as cycle:
            raise RuleViolation(cycle.detail, "steps") from None

    # ------------------------------------------------------------ commands

    def rename(self, name: str, meta: CommandMeta) -> None:
        name = validate_name(name)
        if name != self.name:
            self._record(PlanRenamed, meta=meta, name=name)

    def set_transport(self, transport: TransportSettings | None, meta: CommandMeta) -> None:
        transport = transport.validated() if transport else None
        if transport != self.transport:
            self._record(PlanTransportChanged, meta=meta, transport=transport)

    def set_invention_confidence(self, confidence: float | None, meta: CommandMeta) -> None:
        """Count invention attempts at ``confidence`` from the next run on (None: expected value)."""
        if validate_confidence(confidence) != self.invention_confidence:
            self._record(PlanInventionConfidenceChanged, meta=meta, confidence=confidence)

    def set_station_defaults(self, manufacturing: int | None, reaction: int | None, meta: CommandMeta) -> None:
        """Where new manufacturing and reaction steps run when their command names no station
        (None: where their parent's setup says); steps already in the plan stay where they are."""
        if (manufacturing, reaction) != (self.default_manufacturing_station_id, self.default_reaction_station_id):
            self._record(
                PlanStationDefaultsChanged,
                meta=meta,
                manufacturing_station_id=manufacturing,
                reaction_station_id=reaction,
            )

    def set_notes(self, notes: str, meta: CommandMeta) -> None:
        if validate_notes(notes) != self.notes:
            self._record(PlanNotesChanged, meta=meta, notes=notes)

    @property
    def station_defaults(self) -> dict[ActivityKind, int]:
        return _station_defaults(self.default_manufacturing_station_id, self.default_reaction_station_id)

    def invention_policy(self, decryptors: Mapping[int, Decryptor]) -> InventionPolicy:
        return invention_policy(self.steps.values(), self.invention_confidence, decryptors)

    def add_step(
        self,
        parent_step_id: int,
        product_type_id: int,
        blueprint_type_id: int | None,
        changes: Mapping[str, Any],
        graph: ProductionGraph,
        meta: CommandMeta,
        limits: WorkLimits = DEFAULT_LIMITS,
        decryptors: Mapping[int, Decryptor] | None = None,
    ) -> PlanStep:
        """Make one input of ``parent_step_id`` with one new step (its own inputs bought), set
        up like its parent but for ``changes`` (StepSetup fields, its ``input_place`` and
        ``output_place``, and an invention step's ``decryptor_type_id``: one of the catalog's
        ``decryptors``). Named no station, it runs at the plan's default for its activity."""
        parent = self.step(parent_step_id)
        _ensure_room(len(self.steps), 1, limits.steps_per_plan)
        self._ensure_input(parent, product_type_id, graph)
        if product_type_id in self.children(parent_step_id):
            raise RuleViolation(
                f"step {parent_step_id} already makes type {product_type_id} (step "
                f"{self.children(parent_step_id)[product_type_id].step_id})",
                "product_type_id",
            )
        build = _step_for(graph, product_type_id, blueprint_type_id, "product_type_id")
        changes = dict(changes)
        places = _split_places(changes)
        decryptor = _chosen_decryptor(build, changes.pop("decryptor_type_id", None), decryptors)
        step = _new_step(
            self.next_step_id,
            parent_step_id,
            build,
            msgspec.structs.replace(parent.settings, **changes).validated(),
            None if {"me_level", "te_level"} & changes.keys() else _proposed_levels(graph, build),
            decryptor,
            stations=None if "station_id" in changes else self.station_defaults,
        )
        step = _with_places(step, places)
        self._record(PlanStepsAdded, meta=meta, steps=(step,))
        self._follow_decryptor(step, decryptors, meta)
        return step

    def update_step(
        self,
        step_id: int,
        changes: dict[str, Any],
        graph: ProductionGraph,
        meta: CommandMeta,
        decryptors: Mapping[int, Decryptor] | None = None,
    ) -> PlanStep:
        """Change a step's recipe or settings (an invention step's decryptor too: the step it
        feeds then runs at the ME and TE the decryptor gives) or places (``input_place``,
        ``output_place``; None: not said); children whose material the new recipe does not use
        are removed with their subtrees."""
        step = self.step(step_id)
        places = _split_places(changes)
        blueprint = changes.pop("blueprint_type_id", step.blueprint_type_id)
        build = _step_for(graph, step.product_type_id, blueprint, "blueprint_type_id")
        decryptor = _chosen_decryptor(build, changes.pop("decryptor_type_id", step.decryptor_type_id), decryptors)
        settings = msgspec.structs.replace(step.settings, **changes).validated()
        updated = _new_step(step_id, step.parent_step_id, build, settings, None, decryptor)
        kept = {name: getattr(step, name) for name in APART_FIELDS}
        updated = _with_places(updated, {**kept, **places})
        if updated == step:
            return step
        inputs = {m.type_id for m in build.inputs}
        removed = tuple(
            removed_id
            for material, child in self.children(step_id).items()
            if material not in inputs
            for removed_id in self.subtree(child.step_id)
        )
        self._record(PlanStepUpdated, meta=meta, step=updated, removed_step_ids=removed)
        if updated.decryptor_type_id != step.decryptor_type_id:
            self._follow_decryptor(updated, decryptors, meta)
        return updated

    def update_steps(
        self,
        entries: Iterable[tuple[int, dict[str, Any]]],
        graph: ProductionGraph,
        meta: CommandMeta,
        decryptors: Mapping[int, Decryptor] | None = None,
    ) -> None:
        """Apply ``update_step`` to each (step id, changes) in order, as one change of the plan:
        one event with every step as it ends up and every step removed on the way. A refused
        entry refuses the whole batch, its field named ``steps[i].field``; nothing is recorded."""
        scratch = copy.deepcopy(self)  # entries are tried on a copy; the plan changes once, at the end
        for index, (step_id, changes) in enumerate(entries):
            try:
                scratch.update_step(step_id, dict(changes), graph, meta, decryptors)
            except DomainError as refused:
                raise _in_entry(refused, index) from None
        changed: set[int] = set()
        removed: set[int] = set()
        for recorded in scratch.collect_events():
            assert isinstance(recorded, PlanStepUpdated)
            changed.add(recorded.step.step_id)
            removed.update(recorded.removed_step_ids)
        final = tuple(scratch.steps[i] for i in sorted(changed) if i in scratch.steps)
        gone = tuple(sorted(i for i in removed if i not in scratch.steps))
        if final or gone:
            self._record(PlanStepsUpdated, meta=meta, steps=final, removed_step_ids=gone)

    def _follow_decryptor(
        self, invention: PlanStep, decryptors: Mapping[int, Decryptor] | None, meta: CommandMeta
    ) -> None:
        """The step an invention step feeds runs at the ME and TE its copies are invented with."""
        if invention.activity is not ActivityKind.INVENTION or invention.parent_step_id is None:
            return
        parent = self.steps[invention.parent_step_id]
        policy = invention_policy([invention], None, decryptors or {})
        me, te = policy.invented_levels(invention.product_type_id)
        if parent.activity is ActivityKind.MANUFACTURING and (parent.me_level, parent.te_level) != (me, te):
            moved = msgspec.structs.replace(parent, me_level=me, te_level=te)
            self._record(PlanStepUpdated, meta=meta, step=moved, removed_step_ids=())

    def remove_step(self, step_id: int, meta: CommandMeta) -> None:
        step = self.step(step_id)
        if step.parent_step_id is None:
            raise RuleViolation("the plan's product step cannot be removed; delete the plan instead", "step_id")
        self._record(PlanStepsRemoved, meta=meta, step_ids=tuple(self.subtree(step_id)))

    def set_source(
        self,
        step_id: int,
        material_type_id: int,
        source: Source,
        graph: ProductionGraph,
        meta: CommandMeta,
        limits: WorkLimits = DEFAULT_LIMITS,
    ) -> None:
        """Buy a material (its subtree goes) or make it (the catalog's chain below it is
        proposed with the parent step's settings)."""
        parent = self.step(step_id)
        self._ensure_input(parent, material_type_id, graph)
        child = self.children(step_id).get(material_type_id)
        if source is Source.BUY and child is not None:
            self._record(PlanStepsRemoved, meta=meta, step_ids=tuple(self.subtree(child.step_id)))
        elif source is Source.MAKE and child is None:
            steps = propose_steps(
                graph,
                material_type_id,
                parent.settings,
                self.next_step_id,
                step_id,
                held=len(self.steps),
                limit=limits.steps_per_plan,
                stations=self.station_defaults,
            )
            self._record(PlanStepsAdded, meta=meta, steps=tuple(steps))

    def delete(self, meta: CommandMeta) -> None:
        self._record(PlanDeleted, meta=meta)

    def ensure_room_for_a_run(self, limits: WorkLimits = DEFAULT_LIMITS) -> None:
        """Each run is an event in the plan's history, which every load of the plan replays: a
        plan records at most ``runs_per_plan`` runs (deleting runs does not shorten history)."""
        if self.runs_recorded >= limits.runs_per_plan:
            raise WorkLimitExceeded(
                "runs this plan has recorded",
                self.runs_recorded,
                limits.runs_per_plan,
                "plan_id",
                "create a new plan for further runs",
            )

    def record_run(
        self, run_id: UUID, quantity: int, automatic: bool, meta: CommandMeta, limits: WorkLimits = DEFAULT_LIMITS
    ) -> None:
        """Note the run on the plan: a concurrent edit or delete of the plan then collides
        with the generation, and auto-production can see when it last triggered."""
        self.ensure_room_for_a_run(limits)
        self._record(PlanRunGenerated, meta=meta, run_id=run_id, quantity=quantity, automatic=automatic)

    def forget_run(self, run_id: UUID, meta: CommandMeta) -> None:
        self._record(PlanRunRemoved, meta=meta, run_id=run_id)

    def _ensure_input(self, parent: PlanStep, material: int, graph: ProductionGraph) -> None:
        build = _step_for(graph, parent.product_type_id, parent.blueprint_type_id, "step_id")
        if material not in {m.type_id for m in build.inputs}:
            raise RuleViolation(
                f"step {parent.step_id}'s recipe {parent.blueprint_type_id} does not use type {material}",
                "product_type_id",
            )

    def state(self) -> PlanState:
        return PlanState(
            id=self.id,
            owner_id=self.owner_id,
            name=self.name,
            product_type_id=self.product_type_id,
            steps=tuple(sorted(self.steps.values(), key=lambda s: s.step_id)),
            transport=self.transport,
            invention_confidence=self.invention_confidence,
            default_manufacturing_station_id=self.default_manufacturing_station_id,
            default_reaction_station_id=self.default_reaction_station_id,
            notes=self.notes,
            deleted=self.deleted,
            version=self.version,
            created_at=self.created_on,
            updated_at=self.modified_on,
        )


class PlanState(msgspec.Struct, frozen=True, kw_only=True):
    """A plan as of one version (the query answer and audit's as-of read)."""

    id: UUID
    owner_id: UUID
    name: str
    product_type_id: int
    steps: tuple[PlanStep, ...]
    transport: TransportSettings | None
    deleted: bool
    version: int
    created_at: datetime
    updated_at: datetime
    invention_confidence: float | None = None
    default_manufacturing_station_id: int | None = None
    default_reaction_station_id: int | None = None
    notes: str = ""


def _station_defaults(manufacturing: int | None, reaction: int | None) -> dict[ActivityKind, int]:
    """The plan's default station by activity (only those it has)."""
    pairs = ((ActivityKind.MANUFACTURING, manufacturing), (ActivityKind.REACTION, reaction))
    return {kind: station for kind, station in pairs if station is not None}


def step_tree_order(steps: Iterable[PlanStep]) -> Iterator[tuple[PlanStep, int]]:
    """Steps depth first from the root, each with its depth."""
    by_parent: dict[int | None, list[PlanStep]] = {}
    for step in steps:
        by_parent.setdefault(step.parent_step_id, []).append(step)
    stack = [(step, 0) for step in sorted(by_parent.get(None, []), key=lambda s: s.step_id)]
    while stack:
        step, depth = stack.pop()
        yield step, depth
        children = sorted(by_parent.get(step.step_id, []), key=lambda s: -s.step_id)
        stack.extend((child, depth + 1) for child in children)


# ------------------------------------------------------------------ events


class PlanCreated(Event, frozen=True):
    owner_id: UUID
    name: str
    product_type_id: int
    steps: tuple[PlanStep, ...]
    transport: TransportSettings | None
    invention_confidence: float | None = None  # plans created before invention counted on expected value
    default_manufacturing_station_id: int | None = None  # plans created before places had none
    default_reaction_station_id: int | None = None
    notes: str = ""

    def apply(self, aggregate: Any) -> Plan:
        plan = Plan(self.originator_id, self.owner_id, self.timestamp)
        plan.name = self.name
        plan.product_type_id = self.product_type_id
        plan.steps = {step.step_id: step for step in self.steps}
        plan.next_step_id = max(plan.steps) + 1
        plan.transport = self.transport
        plan.deleted = False
        plan.last_generated_at = None
        plan.last_auto_generated_at = None
        plan.runs_recorded = 0
        plan.invention_confidence = self.invention_confidence
        plan.default_manufacturing_station_id = self.default_manufacturing_station_id
        plan.default_reaction_station_id = self.default_reaction_station_id
        plan.notes = self.notes
        return plan


class PlanRenamed(Event, frozen=True):
    name: str

    def apply(self, aggregate: Plan) -> Plan:
        aggregate.name = self.name
        return aggregate


class PlanTransportChanged(Event, frozen=True):
    transport: TransportSettings | None

    def apply(self, aggregate: Plan) -> Plan:
        aggregate.transport = self.transport
        return aggregate


class PlanInventionConfidenceChanged(Event, frozen=True):
    confidence: float | None

    def apply(self, aggregate: Plan) -> Plan:
        aggregate.invention_confidence = self.confidence
        return aggregate


class PlanStationDefaultsChanged(Event, frozen=True):
    manufacturing_station_id: int | None
    reaction_station_id: int | None

    def apply(self, aggregate: Plan) -> Plan:
        aggregate.default_manufacturing_station_id = self.manufacturing_station_id
        aggregate.default_reaction_station_id = self.reaction_station_id
        return aggregate


class PlanNotesChanged(Event, frozen=True):
    notes: str

    def apply(self, aggregate: Plan) -> Plan:
        aggregate.notes = self.notes
        return aggregate


class PlanStepsUpdated(Event, frozen=True):
    """Several steps changed by one command (a batch of step updates): each as it ends up."""

    steps: tuple[PlanStep, ...]
    removed_step_ids: tuple[int, ...] = ()

    def apply(self, aggregate: Plan) -> Plan:
        for step in self.steps:
            aggregate.steps[step.step_id] = step
        for step_id in self.removed_step_ids:
            aggregate.steps.pop(step_id, None)
        return aggregate


class PlanStepsAdded(Event, frozen=True):
    steps: tuple[PlanStep, ...]

    def apply(self, aggregate: Plan) -> Plan:
        for step in self.steps:
            aggregate.steps[step.step_id] = step
            aggregate.next_step_id = max(aggregate.next_step_id, step.step_id + 1)
        return aggregate


class PlanStepUpdated(Event, frozen=True):
    step: PlanStep
    removed_step_ids: tuple[int, ...] = ()

    def apply(self, aggregate: Plan) -> Plan:
        aggregate.steps[self.step.step_id] = self.step
        for step_id in self.removed_step_ids:
            aggregate.steps.pop(step_id, None)
        return aggregate


class PlanStepsRemoved(Event, frozen=True):
    step_ids: tuple[int, ...]

    def apply(self, aggregate: Plan) -> Plan:
        for step_id in self.step_ids:
            aggregate.steps.pop(step_id, None)
        return aggregate


class PlanDeleted(Event, frozen=True):
    """The plan is gone, and with it its runs (their jobs survive, unlinked)."""

    def apply(self, aggregate: Plan) -> Plan:
        aggregate.deleted = True
        return aggregate


class PlanRunGenerated(Event, frozen=True):
    run_id: UUID
    quantity: int
    automatic: bool = False

    def apply(self, aggregate: Plan) -> Plan:
        aggregate.last_generated_at = self.timestamp
        aggregate.runs_recorded += 1
        if self.automatic:
            aggregate.last_auto_generated_at = self.timestamp
        return aggregate


class PlanRunRemoved(Event, frozen=True):
    run_id: UUID

    def apply(self, aggregate: Plan) -> Plan:
        return aggregate
