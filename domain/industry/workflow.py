"""A job ordered through the production-system seed's workflow API, checked against the user's
catalog and worked out as a plan run's jobs are.

The user says what to build (the product, the blueprint with its ME, TE and runs, where it runs,
which character) and, per material, whether it is made or bought; everything else follows from
the catalog: the activity, the materials per job (ME and facility bonuses, the game's rounding:
``job_quantity``), the output (runs × units per run) and the duration in the game's whole
seconds with the character's skills (untrained without a known character). What the catalog
refutes is refused before anything is recorded, naming the field: an item it does not have, a
blueprint that does not make the product, more runs than the blueprint allows in one job, a
decision about a material the recipe does not use, or "make" for one nothing builds.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from domain.catalog.chains import BuildStep, CatalogSnapshot
from domain.catalog.industry import NPC_STATION, Facility, Skills, job_quantity, job_time, material_modifier
from domain.catalog.model import ActivityKind
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.industry.characters import Character
from domain.industry.jobs import JobMaterial, JobSpec
from domain.limits import MAX_SMALL_LIST, Count, Fraction, GameId, Note

Decision = Literal["make", "buy"]


class MaterialDecision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    type_id: GameId
    decision: Decision


class JobOrder(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the user orders (with its bounds: HTTP decodes it as it is); a material without a
    decision is bought."""

    character_id: GameId | None = None  # times the job with this roster character's skills
    product_type_id: GameId
    blueprint_type_id: GameId
    runs: Count
    me_level: Count = 0
    te_level: Count = 0
    facility: Facility = NPC_STATION
    facility_tax: Fraction = 0.0
    station_id: GameId | None = None
    region_id: GameId | None = None  # price the job (cost, expected revenue) with the market data there
    materials: Annotated[tuple[MaterialDecision, ...], msgspec.Meta(max_length=MAX_SMALL_LIST)] = ()
    notes: Note = ""


def ordered_job(order: JobOrder, snapshot: CatalogSnapshot, character: Character | None) -> JobSpec:
    """The job to queue for ``order``, timed with ``character``'s skills (None: untrained)."""
    build = _build(order, snapshot)
    if build.max_runs and order.runs > build.max_runs:
        raise RuleViolation(
            f"{_name(snapshot, build.recipe_id)} runs at most {build.max_runs:,} runs in one job", "runs"
        )
    reaction = build.kind is ActivityKind.REACTION
    modifier = material_modifier(order.me_level, order.facility, reaction=reaction)
    decisions = _decisions(order, build, snapshot)
    spec = JobSpec(
        character_id=order.character_id,
        product_type_id=order.product_type_id,
        blueprint_type_id=build.recipe_id,
        activity=build.kind,
        runs=order.runs,
        me_level=order.me_level,
        te_level=order.te_level,
        facility_tax=order.facility_tax,
        facility=order.facility,
        station_id=order.station_id,
        expected_output=order.runs * build.units_per_run,
        duration_seconds=job_time(
            build.time,
            order.runs,
            order.te_level,
            order.facility,
            character.skills.for_time if character is not None else Skills(),
            activity=build.kind,
            required=(skill.type_id for skill in build.skills),
        ),
        materials=tuple(
            JobMaterial(
                type_id=material.type_id,
                quantity=job_quantity(material.quantity, order.runs, modifier),
                source=decisions.get(material.type_id, "buy"),
            )
            for material in build.materials
        ),
        notes=order.notes,
    )
    return spec.validated()


def _build(order: JobOrder, snapshot: CatalogSnapshot) -> BuildStep:
    """The blueprint's way of making the product, or why there is none."""
    product, blueprint = order.product_type_id, order.blueprint_type_id
    if product not in snapshot.names:
        raise NotFound(f"type {product} is not in your catalog", "product_type_id")
    builds = snapshot.graph.alternatives(product)
    found = next((build for build in builds if build.recipe_id == blueprint), None)
    if found is not None:
        return found
    if blueprint not in snapshot.names and not _is_recipe(snapshot, blueprint):
        raise NotFound(f"type {blueprint} is not in your catalog", "blueprint_type_id")
    made_by = ", ".join(f"{_name(snapshot, build.recipe_id)} ({build.recipe_id})" for build in builds)
    raise RuleViolation(
        f"{_name(snapshot, blueprint)} does not make {_name(snapshot, product)}"
        + (f"; {made_by} does" if made_by else "; nothing in your catalog does"),
        "blueprint_type_id",
    )


def _is_recipe(snapshot: CatalogSnapshot, type_id: int) -> bool:
    graph = snapshot.graph
    return any(build.recipe_id == type_id for product in graph.products() for build in graph.alternatives(product))


def _decisions(order: JobOrder, build: BuildStep, snapshot: CatalogSnapshot) -> dict[int, Decision]:
    """Each material's decision, checked against the recipe and the catalog."""
    used = {material.type_id for material in build.materials}
    decisions: dict[int, Decision] = {}
    for index, material in enumerate(order.materials):
        field = f"materials[{index}]"
        if material.type_id not in used:
            raise InvalidInput(
                f"{_name(snapshot, build.recipe_id)} does not use {_name(snapshot, material.type_id)}",
                f"{field}.type_id",
            )
        if material.type_id in decisions:
            raise InvalidInput(f"type {material.type_id} is decided twice", f"{field}.type_id")
        if material.decision == "make" and snapshot.graph.step(material.type_id) is None:
            raise RuleViolation(
                f"no recipe in your catalog makes {_name(snapshot, material.type_id)} (or you buy it): it is bought",
                f"{field}.decision",
            )
        decisions[material.type_id] = material.decision
    return decisions


def _name(snapshot: CatalogSnapshot, type_id: int) -> str:
    return snapshot.names.get(type_id, f"type {type_id}")
