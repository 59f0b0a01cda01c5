"""What one plan step takes: each input with its quantity, volume, whether the plan makes or
buys it, and how it would be made (its recipe, and whether the user owns that blueprint).

The seed system (pinky.tools) shows this list beside a step so its users can decide, input by
input, what to build and what to buy. Quantities per run are the recipe's; for a number of
runs they are worked out as a job of that many runs at the step's ME and facility, rounded as
the game rounds a job (``job_quantity``). Copying and invention take their inputs whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Literal

import msgspec

from domain.catalog.chains import BuildStep, ProductionGraph
from domain.catalog.industry import job_quantity, material_modifier
from domain.catalog.model import ActivityKind
from domain.industry.plan import PlanStep


class StepInput(msgspec.Struct, frozen=True, kw_only=True):
    type_id: int
    name: str | None
    quantity_per_run: int  # the recipe's, before ME
    quantity: int | None  # for ``runs`` runs at the step's ME and facility (None: no runs asked)
    unit_volume: float | None  # m³ per unit (None: the catalog does not say)
    volume: float | None  # m³ of ``quantity`` (or of one run's, with no runs asked)
    source: Literal["make", "buy"]  # make: a child step builds it
    step_id: int | None  # the child step that makes it
    blueprint_type_id: int | None  # the recipe that would make it (the child step's, else the catalog's; None: raw)
    activity: ActivityKind | None  # that recipe's activity
    has_blueprint: bool  # the user's blueprint library holds a blueprint of that recipe (the seed's name)


class StepInputs(msgspec.Struct, frozen=True, kw_only=True):
    step_id: int
    product_type_id: int
    product_name: str | None
    blueprint_type_id: int
    activity: ActivityKind
    runs: int | None
    materials: list[StepInput]


def recipe_of_input(graph: ProductionGraph, material: int, child: PlanStep | None) -> BuildStep | None:
    """How an input would be made: by the child step's recipe when the plan makes it, else the
    catalog's preferred one (None: nothing in the catalog builds it)."""
    if child is not None:
        chosen = next((b for b in graph.alternatives(material) if b.recipe_id == child.blueprint_type_id), None)
        if chosen is not None:
            return chosen
    return graph.step(material)


def input_recipes(graph: ProductionGraph, step: PlanStep, children: Mapping[int, PlanStep]) -> set[int]:
    """Every recipe the step's inputs would be made with (to ask the blueprint library once)."""
    build = _build_of(graph, step)
    found = (recipe_of_input(graph, m.type_id, children.get(m.type_id)) for m in (build.inputs if build else ()))
    return {recipe.recipe_id for recipe in found if recipe is not None}


def step_inputs(
    graph: ProductionGraph,
    step: PlanStep,
    children: Mapping[int, PlanStep],
    names: Mapping[int, str],
    volumes: Mapping[int, float | None],
    owned_recipes: Collection[int],
    runs: int | None = None,
) -> StepInputs:
    """The step's inputs (``children``: material type id -> the child step making it)."""
    build = _build_of(graph, step)
    modifier = (
        material_modifier(step.me_level, step.facility, reaction=step.activity is ActivityKind.REACTION)
        if step.activity.builds
        else 1.0
    )
    copy = build.blueprint_copy if build else None  # a copy run per run: ME does not touch it
    materials = [
        _input(
            graph,
            m.type_id,
            m.quantity,
            children.get(m.type_id),
            names,
            volumes,
            owned_recipes,
            runs,
            1.0 if m.type_id == copy else modifier,
        )
        for m in (build.inputs if build else ())
    ]
    return StepInputs(
        step_id=step.step_id,
        product_type_id=step.product_type_id,
        product_name=names.get(step.product_type_id),
        blueprint_type_id=step.blueprint_type_id,
        activity=step.activity,
        runs=runs,
        materials=materials,
    )


def _input(
    graph: ProductionGraph,
    type_id: int,
    per_run: int,
    child: PlanStep | None,
    names: Mapping[int, str],
    volumes: Mapping[int, float | None],
    owned_recipes: Collection[int],
    runs: int | None,
    modifier: float,
) -> StepInput:
    recipe = recipe_of_input(graph, type_id, child)
    quantity = job_quantity(per_run, runs, modifier) if runs is not None else None
    unit_volume = volumes.get(type_id)
    return StepInput(
        type_id=type_id,
        name=names.get(type_id),
        quantity_per_run=per_run,
        quantity=quantity,
        unit_volume=unit_volume,
        volume=unit_volume * (quantity if quantity is not None else per_run) if unit_volume is not None else None,
        source="make" if child is not None else "buy",
        step_id=child.step_id if child is not None else None,
        blueprint_type_id=recipe.recipe_id if recipe is not None else None,
        activity=recipe.kind if recipe is not None else None,
        has_blueprint=recipe is not None and recipe.recipe_id in owned_recipes,
    )


def _build_of(graph: ProductionGraph, step: PlanStep) -> BuildStep | None:
    """The step's recipe in the catalog (None: the catalog no longer has it)."""
    return next((b for b in graph.alternatives(step.product_type_id) if b.recipe_id == step.blueprint_type_id), None)


def children_by_material(steps: Iterable[PlanStep], step_id: int) -> dict[int, PlanStep]:
    return {s.product_type_id: s for s in steps if s.parent_step_id == step_id}
