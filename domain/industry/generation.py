"""Turning a plan and a quantity into the jobs (and hauls) of one plan run.

The spec's data flow: walk the step tree depth first tracking depth, compute each step's
runs from what its parent needs, merge identical jobs (same blueprint, activity, ME, TE and
tax, and here also the same station and facility: a job runs in one place), the merged job
keeping the deepest depth, and order them ``sort_order = depth × 2`` with hauls at the odd
number between, deepest first.

Identical steps are merged *before* their runs are rounded: their demands are summed, then
whole runs are taken once, so two branches needing 150 units of a 200-unit reaction run one
job of 2 runs, not two jobs of 1 (per-branch rounding overproduces). The merged job's
materials are then shared back to the steps in proportion to their demand, so each step's
children (or purchases) get exactly what the job consumes. Materials are rounded per job
(``job_quantity``), and runs beyond a blueprint's maximum are split into several jobs,
since the game cannot start more.

The jobs are then scheduled over the characters' slots (``_schedule``): each, deepest stage
first, on the slot that lets it start earliest, around the slots other runs' jobs keep busy,
and timed with that character's skills; each job says when it can start, the run when it
should finish. Copies of blueprints feed at most the runs they have left, less what planned
jobs of other runs are already promised (``promised_copy_runs``).

Invented items: their manufacturing takes a run of a Tech II copy per run, which an invention
step makes and a copying step below it feeds with Tech I copy runs (one per attempt). The
attempts are counted by the plan's ``InventionPolicy`` (the graph's counting: whole copies for
the runs needed, attempts for them on expected value or at the plan's confidence), spread over
the science slots the run may use so they run side by side; an invented item's manufacturing
jobs are split at the invented copy's runs (a 10-run copy feeds jobs of at most 10 runs).
Copying and invention take no ME (an attempt takes its datacores and decryptor whole), and
the Tech II copy is not a job material: the game lists a job's blueprint apart.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

import msgspec

from domain.catalog.chains import BuildStep, Jobs, ProductionGraph, job_materials, split_runs, step_runs
from domain.catalog.industry import Facility, Skills, job_quantity, job_time, material_modifier
from domain.catalog.invention import InventionPolicy
from domain.catalog.model import ActivityKind, Material
from domain.catalog.universe import RouteRule
from domain.economics.market import Missing
from domain.errors import InvalidInput, RuleViolation
from domain.industry.blueprints import OwnedBlueprint
from domain.industry.characters import Character
from domain.industry.jobs import MAX_JOB_RUNS, JobMaterial, JobSpec, MaterialSource
from domain.industry.plan import PlanStep, TransportSettings, step_tree_order
from domain.industry.slots import SLOT_GROUPS, BusySlot, SlotGroup, slot_group
from domain.industry.transport import TransportMethod, TransportProfile, haul_terms
from domain.work_limits import DEFAULT_LIMITS, WorkLimits, ensure_within

MAX_QUANTITY = 1_000_000_000
MAX_UNITS = 2**63 - 1  # units of one item in a run: what the read models' integer columns hold

# The solar systems from one station's to another's by a rule; None: a station, its system or
# a route is not on the map. Resolved by the application from the map's read model.
StationRoutes = Callable[[int, int, RouteRule], tuple[int, ...] | None]


class PlannedJob(msgspec.Struct, frozen=True, kw_only=True):
    """One job of a generated run: the spec it will be queued with, and where in the plan it
    came from. The spec is the job's only list of fields (a new job field is declared once,
    on ``JobSpec``); the rest is what generation needs and a queued job does not keep."""

    spec: JobSpec  # its plan_run_id is None: the run gets its id when it is recorded
    merged_step_ids: tuple[int, ...]
    depth: int

    def to_spec(self, run_id: UUID) -> JobSpec:
        """The spec to queue this job with as part of run ``run_id``."""
        return msgspec.structs.replace(self.spec, plan_run_id=run_id)


SkipReason = Literal["bought", "no_recipe"]  # bought by choice, or no recipe in the catalog makes it


# camelCase as stored: PlanRunCreated keeps a run's skipped items.
class SkippedItem(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    type_id: int
    quantity: int
    reason: SkipReason


# camelCase as stored: PlanRunCreated keeps a run's leftovers.
class Leftover(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    type_id: int
    quantity: int  # units made beyond what the run needs (whole runs of batch products)


# camelCase as stored: PlanRunCreated keeps a run's hauls (``RunTransport.items``).
class TransportItem(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    type_id: int
    quantity: int
    volume: float | None  # m3 in all; None when the catalog has no volume for the item


class PlannedTransport(msgspec.Struct, frozen=True, kw_only=True):
    from_station_id: int
    to_station_id: int
    items: tuple[TransportItem, ...]
    volume: float | None  # m3 in all; None when an item's volume is unknown (listed in missing)
    cost_estimate: float | None  # by the profile's rates (+ collateral when values are known); None with volume
    collateral_value: float | None  # ISK value carried, when every item has a price
    sort_order: int
    feeds: tuple[int, ...]  # indexes into Generation.jobs
    missing: tuple[Missing, ...] = ()  # "volume" (id: the item), "route" or "transport_profile" (id: to station)
    method: TransportMethod | None = None  # None: hauled at the plan's own rates (no profile)
    transport_profile_id: UUID | None = None
    trips: int | None = None  # ceil(volume / the profile's max volume); None with volume
    jumps: int | None = None  # None: not routed (no profile) or no route known (see missing)
    route: tuple[int, ...] = ()  # solar systems from the origin's to the destination's, both included

    def to_spec(self, run_id: UUID, haul_id: UUID) -> JobSpec:
        """The queue's job for this haul, part of run ``run_id``: a transport job, delivered at
        its destination, a run per trip, costing what the haul costs. It makes no item and runs
        no blueprint (product and blueprint 0), holds no industry slot and never matches a
        game job (see ``JobSpec.kind``)."""
        return JobSpec(
            kind="transport",
            product_type_id=0,
            blueprint_type_id=0,
            runs=self.trips or 1,
            station_id=self.to_station_id,
            from_station_id=self.from_station_id,
            haul_id=haul_id,
            total_cost=self.cost_estimate,
            plan_run_id=run_id,
            sort_order=self.sort_order,
        )


class MissingBlueprint(msgspec.Struct, frozen=True, kw_only=True):
    """Runs the owned copies of a blueprint cannot feed (and no original is owned): those
    jobs are planned with the plan's ME/TE and no blueprint, until copies are made or bought."""

    blueprint_type_id: int
    runs: int
    message: str  # "needs 14 more runs of Rifter Blueprint copies"


# camelCase as stored: PlanRunCreated keeps a run's invention needs.
class InventionNeed(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """What a run's invention step must win: ``copies`` Tech II copies of ``runs_per_copy`` runs
    (of ``blueprint_type_id``, invented from ``from_blueprint_type_id``), planned with
    ``attempts`` attempts. Kept on the run, so a batch that wins fewer can be topped up."""

    plan_step_id: int
    blueprint_type_id: int  # the Tech II blueprint invented
    from_blueprint_type_id: int  # the Tech I blueprint whose copies each attempt takes
    copies: int
    runs_per_copy: int
    attempts: int
    probability: float  # of one attempt, with the skills and decryptor it was planned with
    confidence: float | None = None  # attempts counted at it; None: on expected value


class Generation(msgspec.Struct, frozen=True, kw_only=True):
    jobs: tuple[PlannedJob, ...]
    skipped: tuple[SkippedItem, ...]
    transports: tuple[PlannedTransport, ...]
    leftovers: tuple[Leftover, ...]
    missing_blueprints: tuple[MissingBlueprint, ...] = ()
    finishes_at: datetime | None = None  # when its last job should end; None when a job's start is unknown
    inventions: tuple[InventionNeed, ...] = ()


class _Portion(msgspec.Struct, frozen=True):
    """Runs of a merged step made with one blueprint (or with the plan's defaults: no id)."""

    runs: int
    me_level: int
    te_level: int
    blueprint_id: int | None


_Key = tuple[int, int, str, int, int, float, int | None, Facility]
_HUB = -1  # sentinel consumer: the finished product hauled to the hub


def _key(step: PlanStep) -> _Key:
    """What makes two steps the same job: the spec's merge key, plus where it runs."""
    return (
        step.product_type_id,
        step.blueprint_type_id,
        step.activity.value,
        step.me_level,
        step.te_level,
        step.facility_tax,
        step.station_id,
        step.facility,
    )


def validate_quantity(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput(f"quantity must be a whole number from 1 to {MAX_QUANTITY}", "quantity")
    return ensure_within("units in one run", quantity, MAX_QUANTITY, "quantity", "generate several runs")


def generate(
    steps: Mapping[int, PlanStep],
    graph: ProductionGraph,
    quantity: int,
    *,
    transport: TransportSettings | None = None,
    volumes: Mapping[int, float | None] | None = None,
    price_of: Callable[[int], float | None] | None = None,
    characters: Sequence[Character] = (),
    parallelism: int = 0,
    limits: WorkLimits = DEFAULT_LIMITS,
    blueprints: Mapping[int, Sequence[OwnedBlueprint]] | None = None,
    promised_copy_runs: Mapping[int, int] | None = None,
    names: Mapping[int, str] | None = None,
    busy: Sequence[BusySlot] = (),
    now: datetime | None = None,
    invention: InventionPolicy | None = None,
    profiles: Mapping[UUID, TransportProfile] | None = None,
    routes: StationRoutes | None = None,
) -> Generation:
    """The jobs, purchases, leftovers and hauls for ``quantity`` units of the plan's product;
    ``WorkLimitExceeded`` (before any job is built) when it would queue more jobs than
    ``limits.jobs_per_run``. Each step is made with the best of the owned ``blueprints`` of its
    blueprint type (by type id; see ``_portions``), else with the plan's ME/TE; a copy's runs
    already promised to planned jobs of other runs (``promised_copy_runs``, by blueprint item
    id) are not its to give. The jobs are spread over the ``characters``' slots around the
    ``busy`` ones, from ``now`` (see ``_schedule``). Invention attempts are counted with the
    ``invention`` policy (none: expected value, skills V, no decryptor). Hauls go by the user's
    transport ``profiles`` (see ``_transports``), routed on the map by ``routes``."""
    validate_quantity(quantity)
    policy = invention or InventionPolicy()
    science_slots = _science_slots(characters, parallelism)
    if parallelism < 0:
        raise InvalidInput("parallelism must be 0 (unlimited) or more", "parallelism")
    depth = {step.step_id: d for step, d in step_tree_order(steps.values())}
    root = next(step for step in steps.values() if step.parent_step_id is None)
    children: dict[int, dict[int, PlanStep]] = defaultdict(dict)
    for step in steps.values():
        if step.parent_step_id is not None:
            children[step.parent_step_id][step.product_type_id] = step
    # Identical steps form a group, named by its first step's id (hashing the full key once).
    first_of: dict[_Key, int] = {}
    group_of: dict[int, int] = {}
    groups: dict[int, list[PlanStep]] = defaultdict(list)
    for step in sorted(steps.values(), key=lambda s: s.step_id):
        group = group_of[step.step_id] = first_of.setdefault(_key(step), step.step_id)
        groups[group].append(step)

    demand: dict[int, int] = defaultdict(int)
    demand[root.step_id] = quantity
    bought: dict[tuple[int, SkipReason], int] = defaultdict(int)
    flows: dict[tuple[int, int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    leftovers: dict[int, int] = defaultdict(int)
    hub = transport.hub_station_id if transport else None

    # First the arithmetic: each merged step's runs, split into jobs, and what it consumes.
    # Nothing is materialised per job until the run's job count is known to be within limits.
    decided: list[_Decision] = []
    inventions: list[InventionNeed] = []
    job_count = 0
    copy_runs_left = _copy_runs_left(blueprints or {}, promised_copy_runs or {})
    short: dict[int, int] = defaultdict(int)  # blueprint type -> runs no owned copy was left for
    for group in _group_order(groups, steps, group_of):
        nodes = groups[group]
        first = nodes[0]
        build = _build_of(graph, first)
        needed = sum(demand[node.step_id] for node in nodes)
        if needed == 0:
            continue
        runs, produced = step_runs(build, needed, policy)
        ensure_within(f"units of type {first.product_type_id} to make", produced, MAX_UNITS, "quantity")
        leftovers[first.product_type_id] += produced - needed
        if build.invents:
            per_copy = policy.runs_per_copy(first.product_type_id, build.units_per_run)
            inventions.append(
                InventionNeed(
                    plan_step_id=first.step_id,
                    blueprint_type_id=first.product_type_id,
                    from_blueprint_type_id=first.blueprint_type_id,
                    copies=produced // per_copy,
                    runs_per_copy=per_copy,
                    attempts=runs,
                    probability=policy.probability(first.product_type_id, build.probability or 0.0),
                    confidence=policy.confidence,
                )
            )
        reaction = build.kind is ActivityKind.REACTION
        if build.kind.builds:
            owned = (blueprints or {}).get(first.blueprint_type_id, ())
            portions, shortfall = _portions(first, runs, owned, copy_runs_left)
        else:  # copying and invention run on copies the run makes itself
            portions, shortfall = [_Portion(runs, 0, 0, None)], 0
        short[first.blueprint_type_id] += shortfall
        made = [
            (
                portion,
                _batches(build, portion.runs, graph, policy, science_slots),
                material_modifier(portion.me_level, first.facility, reaction=reaction) if build.kind.builds else 1.0,
            )
            for portion in portions
        ]
        job_count += sum(batch.count for _, batches, _ in made for batch in batches)
        sources: list[JobMaterial] = []
        materials = job_materials(build, policy)
        copy = build.copy_run
        for material in (*materials, *copy):
            per_job = 1.0 if material in copy else None  # a copy run per run: no ME
            total = sum(
                b.count * job_quantity(material.quantity, b.runs, per_job or modifier)
                for _, batches, modifier in made
                for b in batches
            )
            ensure_within(f"units of type {material.type_id} to obtain", total, MAX_UNITS, "quantity")
            makers = 0
            for node, share in zip(nodes, apportion(total, [demand[n.step_id] for n in nodes]), strict=True):
                child = children[node.step_id].get(material.type_id)
                if child is not None:
                    makers += 1
                    demand[child.step_id] += share
                    origin = child.station_id
                else:
                    reason: SkipReason = "bought" if graph.step(material.type_id) is not None else "no_recipe"
                    bought[(material.type_id, reason)] += share
                    origin = hub
                if share and origin is not None and node.station_id is not None and origin != node.station_id:
                    flows[(origin, node.station_id, group)][material.type_id] += share
            source: MaterialSource = "make" if makers == len(nodes) else "buy" if makers == 0 else "mixed"
            if material not in copy:
                sources.append(JobMaterial(type_id=material.type_id, quantity=total, source=source))
        per_copy_won = policy.runs_per_copy(first.product_type_id, build.units_per_run) if build.invents else None
        decided.append(_Decision(nodes, build, made, sources, materials, produced, per_copy_won))

    ensure_within(
        f"jobs a run of {quantity:,} would queue",
        job_count,
        limits.jobs_per_run,
        "quantity",
        "generate a smaller quantity (several runs), or use blueprints with more runs per job",
    )
    planned = [job for decision in decided for job in _jobs(depth, decision)]
    if hub is not None and root.station_id is not None and root.station_id != hub:
        flows[(root.station_id, hub, _HUB)][root.product_type_id] += quantity

    jobs, finishes_at = _schedule(planned, graph, characters, parallelism, busy, now)
    hauled_by = {
        group: next((node.transport_profile_id for node in nodes if node.transport_profile_id), None)
        for group, nodes in groups.items()
    }
    transports = (
        _transports(
            flows,
            jobs,
            transport,
            _Haulage(volumes or {}, price_of, profiles or {}, hauled_by, routes),
            depth[root.step_id],
        )
        if transport is not None
        else []
    )
    return Generation(
        jobs=tuple(jobs),
        skipped=tuple(
            SkippedItem(type_id=type_id, quantity=units, reason=reason)
            for (type_id, reason), units in sorted(bought.items())
        ),
        transports=tuple(transports),
        leftovers=tuple(Leftover(type_id=t, quantity=q) for t, q in sorted(leftovers.items()) if q),
        missing_blueprints=tuple(
            MissingBlueprint(
                blueprint_type_id=type_id,
                runs=runs,
                message=f"needs {runs:,} more runs of {_blueprint_name(type_id, steps, names or {})} copies",
            )
            for type_id, runs in sorted(short.items())
            if runs
        ),
        finishes_at=finishes_at,
        inventions=tuple(inventions),
    )


class _Decision(msgspec.Struct, frozen=True):
    """One merged step decided: its steps, how it is built, the batches of each blueprint
    portion with their material modifier, the job materials and how each is sourced, and the
    units of its product counted on."""

    nodes: list[PlanStep]
    build: BuildStep
    made: list[tuple[_Portion, tuple[Jobs, ...], float]]
    sources: list[JobMaterial]
    materials: tuple[Material, ...]
    produced: int
    runs_per_copy: int | None = None  # invention: runs of each copy a success wins


def _batches(
    build: BuildStep, runs: int, graph: ProductionGraph, policy: InventionPolicy, science_slots: int
) -> tuple[Jobs, ...]:
    """How ``runs`` runs split into jobs: invention attempts evenly over the science slots the
    run may use (they run side by side, and a failed batch leaves the others); an invented
    item's runs at the invented copy's runs (a job runs one copy, whose runs a decryptor may
    take past the blueprint's maximum, which limits only copying); else at the blueprint's
    maximum runs."""
    if build.invents:
        return _spread(runs, science_slots)
    limit = build.max_runs or MAX_JOB_RUNS
    invented = graph.step(build.blueprint_copy) if build.blueprint_copy is not None else None
    if invented is not None and invented.invents:
        limit = policy.runs_per_copy(invented.product_type_id, invented.units_per_run)
    return split_runs(runs, min(limit, MAX_JOB_RUNS))


def _spread(runs: int, parts: int) -> tuple[Jobs, ...]:
    """``runs`` over at most ``parts`` jobs, as evenly as whole runs go (larger first): 5 over 3
    is 2, 2 and 1."""
    parts = max(1, min(parts, runs, MAX_JOB_RUNS))
    base, extra = divmod(runs, parts)
    if base >= MAX_JOB_RUNS:
        return split_runs(runs, MAX_JOB_RUNS)
    return tuple(batch for batch in (Jobs(base + 1, extra), Jobs(base, parts - extra)) if batch.count and batch.runs)


def _science_slots(characters: Sequence[Character], parallelism: int) -> int:
    """Science slots a run may use at once: every character's, at most ``parallelism`` (0: all);
    1 without characters (the attempts are one job)."""
    slots = sum(character.slots("science") for character in characters)
    if parallelism:
        slots = min(slots, parallelism)
    return max(slots, 1)


def _best_first(blueprint: OwnedBlueprint) -> tuple[int, int, bool, int]:
    """Highest ME, then TE; an original before copies when equal (it never runs out); then by id."""
    return -blueprint.material_efficiency, -blueprint.time_efficiency, blueprint.kind != "bpo", blueprint.blueprint_id


def _copy_runs_left(blueprints: Mapping[int, Sequence[OwnedBlueprint]], promised: Mapping[int, int]) -> dict[int, int]:
    """Runs each owned copy can still give, by item id: its runs less those promised to
    planned jobs (a job started in the game is no longer counted here: the game's own count of
    the copy's runs has dropped by then)."""
    return {
        blueprint.blueprint_id: max(0, (blueprint.runs or 0) - promised.get(blueprint.blueprint_id, 0))
        for owned in blueprints.values()
        for blueprint in owned
        if blueprint.kind != "bpo"
    }


def _portions(
    step: PlanStep, runs: int, owned: Sequence[OwnedBlueprint], copy_runs_left: dict[int, int]
) -> tuple[list[_Portion], int]:
    """Which blueprints make ``runs`` runs of a merged step: the owned ones best first, an
    original taking all that is left, a copy at most its runs left (shared by the whole run:
    ``copy_runs_left``, which this updates). Runs no owned blueprint can feed use the plan's
    ME/TE; returned with them is how many runs that is when copies were owned but ran out (a
    shortfall to report), 0 when none of the type is owned (the plan's defaults are then
    simply the plan)."""
    portions: list[_Portion] = []
    remaining = runs
    for blueprint in sorted(owned, key=_best_first):
        if remaining == 0:
            break
        if blueprint.kind == "bpo":
            used = remaining
        else:
            left = copy_runs_left[blueprint.blueprint_id]
            used = min(left, remaining)
            copy_runs_left[blueprint.blueprint_id] = left - used
        if used:
            portions.append(
                _Portion(used, blueprint.material_efficiency, blueprint.time_efficiency, blueprint.blueprint_id)
            )
            remaining -= used
    if remaining:
        portions.append(_Portion(remaining, step.me_level, step.te_level, None))
    return portions, remaining if owned else 0


def _blueprint_name(type_id: int, steps: Mapping[int, PlanStep], names: Mapping[int, str]) -> str:
    """The blueprint's name in the catalog, else its product's name and "Blueprint"."""
    if type_id in names:
        return names[type_id]
    product = next(step.product_type_id for step in steps.values() if step.blueprint_type_id == type_id)
    return f"{names.get(product, f'type {product}')} Blueprint"


def _jobs(depth: Mapping[int, int], decision: _Decision) -> list[PlannedJob]:
    """The jobs of one merged step: one per batch of runs of each blueprint, at the deepest
    depth of its steps. Invention jobs expect their share (by attempts) of the copies' runs
    the step is counted on."""
    nodes, build, made, sources = decision.nodes, decision.build, decision.made, decision.sources
    first = nodes[0]
    max_depth = max(depth[node.step_id] for node in nodes)
    jobs = [
        PlannedJob(
            spec=JobSpec(
                plan_step_id=first.step_id,
                sort_order=max_depth * 2,
                blueprint_id=portion.blueprint_id,
                product_type_id=first.product_type_id,
                blueprint_type_id=first.blueprint_type_id,
                activity=first.activity,
                runs=batch.runs,
                me_level=portion.me_level,
                te_level=portion.te_level,
                facility_tax=first.facility_tax,
                facility=first.facility,
                station_id=first.station_id,
                expected_output=batch.runs * build.units_per_run,
                materials=tuple(
                    JobMaterial(
                        type_id=m.type_id,
                        quantity=job_quantity(m.quantity, batch.runs, modifier),
                        source=s.source,
                    )
                    for m, s in zip(decision.materials, sources, strict=True)
                ),
            ),
            merged_step_ids=tuple(node.step_id for node in nodes),
            depth=max_depth,
        )
        for portion, batches, modifier in made
        for batch in batches
        for _ in range(batch.count)
    ]
    if not build.invents:
        return jobs
    shares = apportion(decision.produced, [job.spec.runs for job in jobs])
    return [
        msgspec.structs.replace(
            job,
            spec=msgspec.structs.replace(job.spec, expected_output=share, runs_per_copy=decision.runs_per_copy),
        )
        for job, share in zip(jobs, shares, strict=True)
    ]


def _run_order(job: PlannedJob) -> tuple[int, int]:
    """Deepest stage first, then by plan step: the order a run's jobs are listed and scheduled in."""
    return -job.spec.sort_order, job.spec.plan_step_id or 0


def _build_of(graph: ProductionGraph, step: PlanStep) -> BuildStep:
    for build in graph.alternatives(step.product_type_id):
        if build.recipe_id == step.blueprint_type_id and build.kind is step.activity:
            return build
    raise RuleViolation(
        f"step {step.step_id}: recipe {step.blueprint_type_id} no longer builds type {step.product_type_id}",
        f"steps[{step.step_id}]",
    )


def _group_order(
    groups: Mapping[int, list[PlanStep]], steps: Mapping[int, PlanStep], group_of: Mapping[int, int]
) -> list[int]:
    """Merged steps, each after every step that consumes its output (Kahn's algorithm)."""
    edges: dict[int, set[int]] = defaultdict(set)
    incoming: dict[int, int] = dict.fromkeys(groups, 0)
    for step in steps.values():
        if step.parent_step_id is None:
            continue
        parent, child = group_of[step.parent_step_id], group_of[step.step_id]
        if child not in edges[parent]:
            edges[parent].add(child)
            incoming[child] += 1
    ready = [key for key, count in incoming.items() if count == 0]
    order: list[int] = []
    while ready:
        key = ready.pop()
        order.append(key)
        for child in edges[key]:
            incoming[child] -= 1
            if incoming[child] == 0:
                ready.append(child)
    if len(order) != len(groups):
        raise RuleViolation("the plan's steps depend on each other in a loop", "steps")
    return order


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` in whole units (largest remainder)."""
    weight = sum(weights)
    if weight == 0:
        return [total] + [0] * (len(weights) - 1)
    exact = [total * w / weight for w in weights]
    shares = [math.floor(x) for x in exact]
    rest = total - sum(shares)
    for i in sorted(range(len(weights)), key=lambda i: shares[i] - exact[i])[:rest]:
        shares[i] += 1
    return shares


class _Slot(msgspec.Struct):
    """One job slot of a character, and when it is next free for this run."""

    character: Character
    rank: tuple[int, int]  # (its index among the character's slots, the character's place): ties go to the lowest
    free_at: float  # seconds after ``now``; math.inf: busy until a time nobody knows


def _schedule(
    jobs: list[PlannedJob],
    graph: ProductionGraph,
    characters: Sequence[Character],
    parallelism: int,
    busy: Sequence[BusySlot],
    now: datetime | None,
) -> tuple[list[PlannedJob], datetime | None]:
    """The jobs in run order, each given the slot that lets it start earliest and timed with
    that slot's character's skills; and when the run should finish.

    List scheduling with a stage barrier: a job starts once every job of the deeper stages has
    ended and once its slot is free. The barrier is simpler to follow than each job waiting for
    exactly the jobs that feed it (and hauls take no time here), at the cost of some idle slots.
    Ties go to the slot ranked first, so a stage spreads over the characters before any gets a
    second job. A run uses at most ``parallelism`` slots of a group (0: all). A job no slot is
    known to free for (no characters, or every slot busy until an unknown time) gets no
    character; it, and every job of a later stage, has no start time; so has every job without
    ``now``."""
    slots = {group: _slots(characters, group, busy, now) for group in SLOT_GROUPS}
    taken: dict[SlotGroup, list[_Slot]] = defaultdict(list)  # the slots this run uses, per group
    stage, barrier, ended = None, 0.0, 0.0  # seconds after now: the stage's start, the latest end so far
    stage_known = all_known = True  # whether the deeper stages' jobs, and all jobs so far, have known times
    scheduled = []
    for job in sorted(jobs, key=_run_order):
        spec = job.spec
        if spec.sort_order != stage:
            stage, barrier, stage_known = spec.sort_order, ended, all_known
        group = slot_group(spec.activity)
        slot = _earliest_slot(slots[group], taken[group], barrier, parallelism)
        seconds = _duration(job, graph, slot.character if slot else None)
        start_after = None
        if slot is None:
            all_known = False
        else:
            start = max(barrier, slot.free_at)
            slot.free_at = start + seconds
            ended = max(ended, slot.free_at)
            if slot not in taken[group]:
                taken[group].append(slot)
            start_after = _after(now, start) if stage_known else None
        timed = msgspec.structs.replace(
            spec,
            character_id=slot.character.character_id if slot else None,
            duration_seconds=seconds,
            start_after=start_after,
        )
        scheduled.append(msgspec.structs.replace(job, spec=timed))
    return scheduled, _after(now, ended) if all_known and scheduled else None


def _slots(
    characters: Sequence[Character], group: SlotGroup, busy: Sequence[BusySlot], now: datetime | None
) -> list[_Slot]:
    """Every slot of ``group``: the first ones free when the jobs holding them end, the others
    at once. A character running more jobs than it has slots (its skills lowered since) frees
    one only as the surplus ends: its slots free at the latest ends."""
    slots: list[_Slot] = []
    for place, character in enumerate(characters):
        count = character.slots(group)
        ends = sorted(
            _seconds_until(slot.until, now)
            for slot in busy
            if slot.character_id == character.character_id and slot.group == group
        )
        frees = ends[-count:] + [0.0] * (count - len(ends))
        slots.extend(_Slot(character, (index, place), free_at) for index, free_at in enumerate(frees))
    return slots


def _seconds_until(until: datetime | None, now: datetime | None) -> float:
    """When a busy slot frees, in seconds after ``now``: never (for this run) when its end is
    unknown, or when there is no ``now`` to place it by."""
    if until is None or now is None:
        return math.inf
    return max(0.0, (until - now).total_seconds())


def _earliest_slot(slots: list[_Slot], taken: list[_Slot], barrier: float, parallelism: int) -> _Slot | None:
    """The slot a job can start on first (ties: the first ranked) among those the run may use:
    any, until it uses ``parallelism`` of the group, then only those. None if none is known to
    free."""
    allowed = taken if 0 < parallelism <= len(taken) else slots
    usable = [slot for slot in allowed if slot.free_at < math.inf]
    return min(usable, key=lambda slot: (max(barrier, slot.free_at), slot.rank), default=None)


def _duration(job: PlannedJob, graph: ProductionGraph, character: Character | None) -> int:
    """The job's whole seconds with the character's skills (none: untrained). Industry (4% a
    level) speeds manufacturing only; Advanced Industry (3% a level) every job, copying and
    invention too (EVE University wiki, "Industry" skills)."""
    spec = job.spec
    build = next(
        b
        for b in graph.alternatives(spec.product_type_id)
        if b.recipe_id == spec.blueprint_type_id and b.kind is spec.activity
    )
    skills = character.skills.for_time if character else Skills()
    if not spec.activity.builds:
        skills = msgspec.structs.replace(skills, industry=0)
    return job_time(
        build.time,
        spec.runs,
        spec.te_level,
        job.spec.facility,
        skills,
        activity=spec.activity,
        required=(skill.type_id for skill in build.skills),
    )


def _after(now: datetime | None, seconds: float) -> datetime | None:
    return None if now is None else now + timedelta(seconds=seconds)


class _Haulage(msgspec.Struct, frozen=True):
    """What hauls are measured, valued, costed and routed with."""

    volumes: Mapping[int, float | None]
    price_of: Callable[[int], float | None] | None
    profiles: Mapping[UUID, TransportProfile]  # the user's, by id
    hauled_by: Mapping[int, UUID | None]  # per merged step (its group): the profile its inputs come by
    routes: StationRoutes | None


def _transports(
    flows: Mapping[tuple[int, int, int], Mapping[int, int]],
    jobs: Sequence[PlannedJob],
    transport: TransportSettings,
    haulage: _Haulage,
    root_depth: int,
) -> list[PlannedTransport]:
    """One haul per (from, to, job it feeds): bought materials leave the hub, intermediates
    leave the station that made them, and the product goes to the hub. Each goes by the
    profile of the step it feeds, else the plan's, else the user's default (``_profile``);
    with none, at the plan's own rates, unrouted."""
    hauls = []
    for (origin, destination, consumer), goods in flows.items():
        fed = [i for i, job in enumerate(jobs) if job.spec.plan_step_id == consumer]  # _HUB feeds no job
        depth = jobs[fed[0]].depth if fed else root_depth - 1
        items = tuple(
            TransportItem(
                type_id=type_id,
                quantity=units,
                volume=volume_of(units, haulage.volumes.get(type_id)),
            )
            for type_id, units in sorted(goods.items())
        )
        missing = [
            Missing(what="volume", id=item.type_id, reason="the catalog has no volume for the item")
            for item in items
            if item.volume is None
        ]
        volume = None if missing else sum(item.volume or 0.0 for item in items)
        price_of = haulage.price_of
        prices = [price_of(item.type_id) for item in items] if price_of is not None else []
        known = [price for price in prices if price is not None]
        value = (
            sum(item.quantity * price for item, price in zip(items, known, strict=True))
            if price_of is not None and len(known) == len(items)
            else None
        )
        haul = PlannedTransport(
            from_station_id=origin,
            to_station_id=destination,
            items=items,
            volume=None if volume is None else round(volume, 4),
            cost_estimate=None,
            collateral_value=value,
            sort_order=depth * 2 + 1,
            feeds=tuple(fed),
        )
        named = haulage.hauled_by.get(consumer) or transport.transport_profile_id
        profile = _profile(named, haulage.profiles, destination, missing)
        if profile is None:
            cost = (
                None if volume is None else volume * transport.cost_per_m3 + (value or 0.0) * transport.collateral_rate
            )
            haul = msgspec.structs.replace(
                haul, cost_estimate=None if cost is None else round(cost, 2), trips=None if volume is None else 1
            )
        else:
            haul = _routed(haul, profile, volume, value, haulage.routes, missing)
        hauls.append(msgspec.structs.replace(haul, missing=tuple(missing)))
    hauls.sort(key=lambda h: (-h.sort_order, h.from_station_id, h.to_station_id))
    return hauls


def _profile(
    named: UUID | None, profiles: Mapping[UUID, TransportProfile], destination: int, missing: list[Missing]
) -> TransportProfile | None:
    """The profile ``named``, else the user's default (noting in ``missing`` a named one that
    is gone), else None: the plan's own rates."""
    if named is not None and named in profiles:
        return profiles[named]
    if named is not None:
        missing.append(
            Missing(
                what="transport_profile",
                id=destination,
                reason=f"transport profile {named} no longer exists; hauled by your default profile, if any",
            )
        )
    return next((profile for profile in profiles.values() if profile.is_default), None)


def _routed(
    haul: PlannedTransport,
    profile: TransportProfile,
    volume: float | None,
    value: float | None,
    routes: StationRoutes | None,
    missing: list[Missing],
) -> PlannedTransport:
    """``haul`` by ``profile``: along its route rule's route, in trips of its hold, at its rates.
    An unknown route is said in ``missing`` (never guessed); a per-jump rate then has no cost."""
    rule = profile.route_rule
    route = routes(haul.from_station_id, haul.to_station_id, rule) if routes is not None else None
    if route is None:
        kept = " keeping to high-sec" if rule is RouteRule.SECURE else ""
        missing.append(
            Missing(
                what="route",
                id=haul.to_station_id,
                reason=f"no route{kept} from station {haul.from_station_id} to {haul.to_station_id} on your map",
            )
        )
    jumps = len(route) - 1 if route is not None else None
    terms = haul_terms(profile, volume, value or 0.0, jumps) if volume is not None else None
    if terms is not None:  # a trip is a run of the haul's transport job
        ensure_within(
            f"trips of a haul by {profile.name}",
            terms.trips,
            MAX_JOB_RUNS,
            "quantity",
            "haul by a profile with a larger maxVolume, or generate a smaller quantity",
        )
    return msgspec.structs.replace(
        haul,
        cost_estimate=terms.cost if terms is not None else None,
        method=profile.method,
        transport_profile_id=profile.profile_id,
        trips=terms.trips if terms is not None else None,
        jumps=jumps,
        route=route or (),
    )


def volume_of(units: int, per_unit: float | None) -> float | None:
    """m3 of ``units`` of an item, or None when the catalog has no volume for it."""
    return None if per_unit is None else round(units * per_unit, 4)
