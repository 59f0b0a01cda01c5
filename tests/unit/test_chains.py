"""Production chains and bills of materials, with every quantity worked out by hand.

The little catalog: a ship S (300) from 3 components C, 50 batch items B and 1000 Tritanium,
at most 10 runs per job; C (100) from 10 Tritanium, 5 Pyerite and 10 B; B (200) made by a
reaction, 40 units per run from 100 Tritanium. C has an alternative recipe from 20 Pyerite.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from domain.catalog.chains import ChainCycle, Jobs, ProductionGraph, StepSettings
from domain.catalog.industry import Facility, Security, Skills
from domain.catalog.model import Activity, ActivityKind, Material, Product, Recipe

TRIT, PYE, C, B, S = 34, 35, 100, 200, 300


def recipe(recipe_id: int, product: int, units: int, *materials: tuple[int, int], **extra: object) -> Recipe:
    kind = extra.pop("kind", ActivityKind.MANUFACTURING)
    activity = Activity(
        kind=kind,  # type: ignore[arg-type]
        time=600,
        materials=tuple(Material(type_id=t, quantity=q) for t, q in materials),
        products=(Product(type_id=product, quantity=units),),
    )
    return Recipe(recipe_id=recipe_id, activities=(activity,), **extra)  # type: ignore[arg-type]


RECIPES = [
    recipe(1300, S, 1, (C, 3), (B, 50), (TRIT, 1000), max_runs=10),
    recipe(1100, C, 1, (TRIT, 10), (PYE, 5), (B, 10)),
    recipe(1101, C, 1, (PYE, 20)),
    recipe(1200, B, 40, (TRIT, 100), kind=ActivityKind.REACTION),
]
GRAPH = ProductionGraph.from_recipes(RECIPES)


def test_bill_of_materials_sums_demand_over_the_tree_before_fixing_runs() -> None:
    bom = GRAPH.bill_of_materials(S, 1)
    steps = {step.type_id: step for step in bom.steps}
    # S asks 50 B, the 3 C ask 30 B: 80 B is 2 reaction runs exactly (per branch it would be 2 + 1)
    assert (steps[B].runs, steps[B].produced, steps[B].leftover) == (2, 80, 0)
    assert steps[C].runs == 3
    assert bom.raw == {TRIT: 1000 + 30 + 200, PYE: 15}
    assert [step.type_id for step in bom.steps] == [B, C, S], "deepest first is the build order"


def test_me_applies_per_step_and_reactions_ignore_it() -> None:
    bom = GRAPH.bill_of_materials(S, 1, default=StepSettings(me=10))
    steps = {step.type_id: step for step in bom.steps}
    # S: C 2.7 -> 3, B 45, Tritanium 900. C x3: Tritanium 27, Pyerite 13.5 -> 14, B 27.
    # B: 45 + 27 = 72 -> 2 runs, 8 left over; the reaction takes 200 Tritanium regardless of ME.
    assert (steps[B].needed, steps[B].runs, steps[B].leftover) == (72, 2, 8)
    assert bom.raw == {TRIT: 900 + 27 + 200, PYE: 14}


def test_jobs_split_at_max_runs_and_round_each_job() -> None:
    bom = GRAPH.bill_of_materials(S, 30, default=StepSettings(me=5))
    ship = next(step for step in bom.steps if step.type_id == S)
    assert ship.jobs == (Jobs(runs=10, count=3, seconds=600 * 10),)
    component = next(step for step in bom.steps if step.type_id == C)
    # per job 10 x 3 x 0.95 = 28.5 -> 29, three jobs: 87 (one 30-run job would give 86)
    assert component.needed == 87


def test_per_step_overrides_and_facilities() -> None:
    raitaru_null = Facility(structure_material_bonus=0.01, rig_material_bonus=0.02, security=Security.NULL)
    bom = GRAPH.bill_of_materials(S, 1, overrides={C: StepSettings(me=10, facility=raitaru_null)})
    # C x3 at ME 10 in the Raitaru: 3 x 10 x 0.9 x 0.99 x 0.958 = 25.6 -> 26 Tritanium
    assert bom.raw[TRIT] == 1000 + 26 + 200


def test_each_job_batch_reports_its_time_with_te_skills_and_structure() -> None:
    raitaru = Facility(structure_time_bonus=0.15)
    settings = StepSettings(te=20, facility=raitaru, skills=Skills(industry=5, advanced_industry=4, reactions=4))
    bom = GRAPH.bill_of_materials(S, 25, default=settings)
    ship = next(step for step in bom.steps if step.type_id == S)
    # 10 runs x 600 s x 0.8 (TE 20) x 0.8 (Industry V) x 0.88 (Advanced Industry IV) x 0.85 (Raitaru)
    # = 2,872.32 s, and 5 runs 1,436.16 s: whole seconds, as the game reports them
    assert [job.seconds for job in ship.jobs] == [2872, 1436]
    reaction = next(step for step in bom.steps if step.type_id == B)
    assert reaction.jobs[0].seconds == round(600 * reaction.runs * 0.84 * 0.85)  # no TE; Reactions IV


def test_a_runs_floor_of_one_unit_per_run() -> None:
    graph = ProductionGraph.from_recipes([recipe(1, 9, 1, (TRIT, 1))])
    assert graph.bill_of_materials(9, 20, default=StepSettings(me=8)).raw == {TRIT: 20}


def test_bought_items_are_not_expanded() -> None:
    bom = GRAPH.bill_of_materials(S, 1, bought=frozenset({C}))
    assert bom.bought == {C: 3}
    assert bom.raw == {TRIT: 1000 + 200}  # B: 50 -> 2 reaction runs of 100 Tritanium
    assert C not in {step.type_id for step in bom.steps}


def test_the_primary_recipe_is_the_default_and_a_caller_can_choose_another() -> None:
    assert GRAPH.step(C).recipe_id == 1100  # lowest id when none is marked primary
    chosen = GRAPH.bill_of_materials(S, 1, choices={C: 1101})
    assert chosen.raw == {TRIT: 1000 + 200, PYE: 60}  # C no longer needs B; B: 50 -> 2 runs
    marked = ProductionGraph.from_recipes([*RECIPES[:2], recipe(1101, C, 1, (PYE, 20), primary=True), RECIPES[3]])
    assert marked.step(C).recipe_id == 1101
    with pytest.raises(Exception, match="does not build"):
        GRAPH.bill_of_materials(S, 1, choices={C: 1300})


def test_raw_chains_are_per_run_totals_through_batch_ratios() -> None:
    chains = GRAPH.raw_chains([S])[0][S]
    # C per unit: 10 + 10 x (100 / 40) = 35 Tritanium; S: 1000 + 3 x 35 + 50 x 2.5 = 1230
    assert chains[TRIT].base_quantity == Fraction(1230)
    assert chains[PYE].base_quantity == Fraction(15)
    assert chains[TRIT].depth == 3 and chains[TRIT].path == (S, C, B, TRIT)


def test_cycles_are_reported_with_their_items() -> None:
    looping = ProductionGraph.from_recipes([recipe(1, 500, 1, (600, 1)), recipe(2, 600, 1, (500, 2), (TRIT, 1))])
    with pytest.raises(ChainCycle) as raised:
        looping.bill_of_materials(500, 1)
    assert raised.value.items == [500, 600, 500]
    assert looping.raw_chains() == ({}, {500, 600})


def test_huge_run_counts_are_split_into_job_batches_not_one_entry_per_job() -> None:
    bom = GRAPH.bill_of_materials(S, 10**12 + 5)
    ship = next(step for step in bom.steps if step.type_id == S)
    assert [(job.runs, job.count) for job in ship.jobs] == [(10, 10**11), (5, 1)]
    assert bom.raw[PYE] == 15 * (10**12 + 5)


def test_a_deep_chain_does_not_overflow_the_stack() -> None:
    depth = 5000
    graph = ProductionGraph.from_recipes([recipe(n, n, 1, (n + 1, 1)) for n in range(1, depth)])
    assert graph.bill_of_materials(1, 1).raw == {depth: 1}


def test_intermediates_on_hand_are_used_before_any_are_built() -> None:
    bom = GRAPH.bill_of_materials(S, 1, on_hand={C: 2, B: 45})
    steps = {step.type_id: step for step in bom.steps}
    # S needs 3 C (2 held: build 1) and 50 B; the one C needs 10 B: 60 B, 45 held, 15 to build:
    # 1 reaction run of 40 (25 left over). Raw: S's 1000 Tritanium, C's 10 and 5 Pyerite, B's 100.
    assert (steps[C].runs, steps[B].runs, steps[B].leftover) == (1, 1, 25)
    assert bom.raw == {TRIT: 1000 + 10 + 100, PYE: 5}
    assert C not in {step.type_id for step in GRAPH.bill_of_materials(S, 1, on_hand={C: 3}).steps}
