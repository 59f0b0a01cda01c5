"""What can I build with my assets? Runs each recipe can start now, and how many units of a
product the held materials cover through its chain, with what is missing for one more. For a
character, only the recipes whose required skills it has are buildable (the game refuses the
job otherwise); the others say which skills are missing."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

from domain.catalog.chains import BuildStep, ProductionGraph
from domain.catalog.chains import StepSettings as ChainSettings
from domain.catalog.industry import job_quantity, material_modifier
from domain.catalog.model import ActivityKind
from domain.industry.characters import CharacterSkills, MissingSkill


class Buildable(msgspec.Struct, frozen=True, kw_only=True):
    recipe_id: int
    product_type_id: int
    activity: ActivityKind
    runs: int  # in one job, at the given ME
    units: int


class LackingSkills(msgspec.Struct, frozen=True, kw_only=True):
    """A recipe the held materials could run, which the character lacks skills for."""

    recipe_id: int
    product_type_id: int
    missing_skills: tuple[MissingSkill, ...]


class Coverage(msgspec.Struct, frozen=True, kw_only=True):
    type_id: int
    runs: int  # runs of the product's recipe the held materials cover, chain included
    units: int
    missing_for_next: dict[int, int]  # raw material -> units short for one more run


def _largest_true(fits: Callable[[int], bool]) -> int:
    """The largest n >= 0 with fits(n), for a monotone ``fits`` (exponential then binary search)."""
    if not fits(1):
        return 0
    low, high = 1, 2
    while fits(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def max_runs(build: BuildStep, held: Mapping[int, int], me: int) -> int:
    modifier = material_modifier(me, ChainSettings().facility, reaction=build.kind is ActivityKind.REACTION)
    if not build.materials:
        return 0
    return _largest_true(
        lambda runs: all(job_quantity(m.quantity, runs, modifier) <= held.get(m.type_id, 0) for m in build.materials)
    )


def buildable(graph: ProductionGraph, held: Mapping[int, int], me: int = 0) -> list[Buildable]:
    """Every product whose (preferred) recipe can run at least once from ``held`` directly."""
    found = []
    for product in graph.products():
        build = graph.step(product)
        assert build is not None
        runs = max_runs(build, held, me)
        if runs:
            found.append(
                Buildable(
                    recipe_id=build.recipe_id,
                    product_type_id=product,
                    activity=build.kind,
                    runs=runs,
                    units=runs * build.units_per_run,
                )
            )
    found.sort(key=lambda b: (b.product_type_id, b.recipe_id))
    return found


def by_skills(
    found: list[Buildable], graph: ProductionGraph, skills: CharacterSkills
) -> tuple[list[Buildable], list[LackingSkills]]:
    """``found`` split into what a character with ``skills`` can run, and what it cannot and why."""
    runnable: list[Buildable] = []
    lacking: list[LackingSkills] = []
    for recipe in found:
        build = graph.step(recipe.product_type_id, {recipe.product_type_id: recipe.recipe_id})
        assert build is not None
        missing = skills.missing(build.skills)
        if missing:
            lacking.append(
                LackingSkills(
                    recipe_id=recipe.recipe_id, product_type_id=recipe.product_type_id, missing_skills=missing
                )
            )
        else:
            runnable.append(recipe)
    return runnable, lacking


def coverage(graph: ProductionGraph, type_id: int, held: Mapping[int, int], me: int = 0) -> Coverage:
    """How far the held materials go through the whole chain of ``type_id``: held
    intermediates are used before any are built, the rest is built from held raw materials."""
    settings = ChainSettings(me=me)

    def shortfall(runs: int) -> dict[int, int]:
        raw = graph.bill_of_materials(type_id, runs, default=settings, on_hand=held).raw
        return {item: units - held.get(item, 0) for item, units in raw.items() if units > held.get(item, 0)}

    runs = _largest_true(lambda n: not shortfall(n))
    build = graph.step(type_id)
    assert build is not None
    return Coverage(type_id=type_id, runs=runs, units=runs * build.units_per_run, missing_for_next=shortfall(runs + 1))
