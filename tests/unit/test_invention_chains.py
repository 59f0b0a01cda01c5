"""Invention and copying in production chains, on the sample catalog's real data (sources in
``domain/catalog/sample-catalog.SOURCES.md``), every expected number worked out by hand.

Hobgoblin II (2456): made by the Hobgoblin II Blueprint (2457) from one each of six inputs a run
(five raw, and the Hobgoblin I, 2454, built by the Hobgoblin I Blueprint, 2455), taking one run of
a Tech II copy per run. A copy is invented from the Hobgoblin I Blueprint at a base chance of
0.34 into 10 runs; each attempt takes one Datacore - Graviton Physics (20419), one Datacore -
Electronic Engineering (20418) and one run of a Tech I copy, which is copied from the original.
At skills V the chance is 0.34 × (1 + 10/30 + 5/40) = 0.34 × 35/24 = 119/240 = 0.4958333.

Wolf (11371): made by the Wolf Blueprint (11372), one Rifter (587) and Tech II components a run;
invented from the Rifter Blueprint (691) at 0.3 into single-run copies, each attempt taking two
Datacore - Minmatar Starship Engineering (20172) and two Datacore - Mechanical Engineering
(20424). At skills V the chance is 0.3 × 35/24 = 0.4375.

Decryptors (sample catalog, from the SDE's dogma): Attainment (34202) multiplies the chance by
1.8, adds 4 runs, −1 ME and +4 TE; Process (34205) × 1.1, +0 runs, +3 ME, +6 TE.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from domain.catalog.chains import ChainNode, Jobs, ProductionGraph, StepPlan, StepSettings
from domain.catalog.industry import Facility
from domain.catalog.invention import InventionPolicy, InventionSkills
from domain.catalog.model import ActivityKind

CATALOG = read_catalog(SAMPLE_CATALOG)
GRAPH = ProductionGraph.from_recipes(CATALOG.recipes)
DECRYPTORS = {item.type_id: item.decryptor for item in CATALOG.items if item.decryptor is not None}

HOBGOBLIN_I, HOBGOBLIN_I_BLUEPRINT, HOBGOBLIN_II, HOBGOBLIN_II_BLUEPRINT = 2454, 2455, 2456, 2457
RIFTER, RIFTER_BLUEPRINT, WOLF, WOLF_BLUEPRINT = 587, 691, 11371, 11372
GRAVITON, ELECTRONIC = 20419, 20418  # the Hobgoblin's datacores
MINMATAR, MECHANICAL = 20172, 20424  # the Wolf's datacores
ATTAINMENT, PROCESS = 34202, 34205
MORPHITE, CONSTRUCTION_BLOCKS = 11399, 3828
HOBGOBLIN_II_RAW = (11399, 11688, 9834, 9848, 11481)  # one each a run


def policy(confidence: float | None = None, decryptor: int | None = None, **skills: int) -> InventionPolicy:
    """Counting invention as a chain query does: ``decryptor`` on every invention."""
    chosen = {}
    if decryptor is not None:
        effects = DECRYPTORS[decryptor]
        assert effects is not None
        chosen = {blueprint: (decryptor, effects) for blueprint in GRAPH.invented_blueprints()}
    return InventionPolicy(confidence=confidence, skills=InventionSkills(**skills), decryptors=chosen)


def steps_of(type_id: int, runs: int, **options: object) -> dict[int, StepPlan]:
    bill = GRAPH.bill_of_materials(type_id, runs, **options)  # type: ignore[arg-type]
    return {step.type_id: step for step in bill.steps}


def test_the_hobgoblin_ii_tree_goes_down_through_invention_and_copying() -> None:
    tree = GRAPH.tree(HOBGOBLIN_II)
    assert (tree.recipe_id, tree.activity, tree.probability) == (
        HOBGOBLIN_II_BLUEPRINT,
        ActivityKind.MANUFACTURING,
        None,
    )
    children = {child.type_id: child for child in tree.children}
    assert list(children) == [*HOBGOBLIN_II_RAW[:3], HOBGOBLIN_I, *HOBGOBLIN_II_RAW[3:], HOBGOBLIN_II_BLUEPRINT]
    copy = children[HOBGOBLIN_II_BLUEPRINT]
    # one run of the Tech II copy a run, won by invention: the only node with a chance
    assert (copy.quantity, copy.recipe_id, copy.activity) == (1, HOBGOBLIN_I_BLUEPRINT, ActivityKind.INVENTION)
    assert (copy.probability, copy.units_per_run) == (0.34, 10)
    assert [(c.type_id, c.quantity) for c in copy.children] == [
        (GRAVITON, 1),
        (ELECTRONIC, 1),
        (HOBGOBLIN_I_BLUEPRINT, 1),
    ]
    tech_i_copy = copy.children[2]
    assert (tech_i_copy.activity, tech_i_copy.probability, tech_i_copy.children) == (ActivityKind.COPYING, None, [])
    assert children[HOBGOBLIN_I].activity is ActivityKind.MANUFACTURING and children[HOBGOBLIN_I].probability is None


def test_only_invention_nodes_carry_a_chance() -> None:
    def walk(node: ChainNode) -> list[ChainNode]:
        return [node, *(found for child in node.children for found in walk(child))]

    chances = {(n.type_id, n.probability) for n in walk(GRAPH.tree(WOLF)) if n.probability is not None}
    assert chances == {(WOLF_BLUEPRINT, 0.3)}


def test_flat_chains_count_the_datacores_at_expected_attempts_per_run() -> None:
    chains, looping = GRAPH.raw_chains([HOBGOBLIN_II, WOLF])
    assert not looping
    hobgoblin = chains[HOBGOBLIN_II]
    # a run takes a tenth of a copy, a copy 1 / (119/240) attempts, an attempt one datacore each:
    # 1 / (10 × 119/240) = 24/119 = 0.2016807
    assert hobgoblin[GRAVITON].base_quantity == hobgoblin[ELECTRONIC].base_quantity == Fraction(24, 119)
    assert (hobgoblin[GRAVITON].depth, hobgoblin[GRAVITON].path) == (
        2,
        (HOBGOBLIN_II, HOBGOBLIN_II_BLUEPRINT, GRAVITON),
    )
    assert HOBGOBLIN_I_BLUEPRINT not in hobgoblin, "a copy is no raw material: copying takes none here"
    # the Wolf: one single-run copy a run, 1 / 0.4375 = 16/7 attempts of two each: 32/7 = 4.5714
    assert chains[WOLF][MINMATAR].base_quantity == chains[WOLF][MECHANICAL].base_quantity == Fraction(32, 7)


def test_without_a_policy_the_copies_are_taken_as_held() -> None:
    bill = GRAPH.bill_of_materials(HOBGOBLIN_II, 25)
    assert {step.kind for step in bill.steps} == {ActivityKind.MANUFACTURING}
    assert set(bill.raw) == {*HOBGOBLIN_II_RAW, 34, 35, 37, 38}, "no datacores"
    assert next(step for step in bill.steps if step.type_id == HOBGOBLIN_II).me == 0


def test_25_hobgoblin_ii_runs_on_expected_value() -> None:
    steps = steps_of(HOBGOBLIN_II, 25, invention=policy())
    # 25 runs: 3 copies of 10 runs (5 runs left over); 3 / (119/240) = 6.05 -> 7 whole attempts
    invention = steps[HOBGOBLIN_II_BLUEPRINT]
    assert (invention.kind, invention.runs, invention.produced, invention.needed, invention.leftover) == (
        ActivityKind.INVENTION,
        7,
        30,
        25,
        5,
    )
    assert invention.jobs == (Jobs(runs=7, count=1, seconds=7 * 7800),)  # no TE, no skills asked
    copying = steps[HOBGOBLIN_I_BLUEPRINT]
    assert (copying.kind, copying.runs, copying.produced, copying.leftover) == (ActivityKind.COPYING, 7, 7, 0)
    assert copying.jobs == (Jobs(runs=7, count=1, seconds=7 * 240),)
    # the invented copy's ME 2 and TE 4: ten runs take 1500 × 10 × 0.96 = 14,400 s
    manufacturing = steps[HOBGOBLIN_II]
    assert (manufacturing.me, manufacturing.jobs[0]) == (2, Jobs(runs=10, count=2, seconds=14_400))
    bill = GRAPH.bill_of_materials(HOBGOBLIN_II, 25, invention=policy())
    assert (bill.raw[GRAVITON], bill.raw[ELECTRONIC]) == (7, 7)
    assert HOBGOBLIN_I_BLUEPRINT not in bill.raw and HOBGOBLIN_II_BLUEPRINT not in bill.raw


@pytest.mark.parametrize(
    ("confidence", "attempts"),
    [
        # P(at least 3 wins in n) with p = 119/240: n = 8 0.8499, n = 9 0.9060
        (0.9, 9),
        # n = 13 0.98787 (just short), n = 14 0.99295
        (0.99, 14),
    ],
)
def test_25_hobgoblin_ii_runs_at_a_confidence(confidence: float, attempts: int) -> None:
    steps = steps_of(HOBGOBLIN_II, 25, invention=policy(confidence))
    assert steps[HOBGOBLIN_II_BLUEPRINT].runs == attempts
    assert steps[HOBGOBLIN_I_BLUEPRINT].runs == attempts, "a Tech I copy run per attempt"
    bill = GRAPH.bill_of_materials(HOBGOBLIN_II, 25, invention=policy(confidence))
    assert (bill.raw[GRAVITON], bill.raw[ELECTRONIC]) == (attempts, attempts)


def test_a_decryptor_changes_the_copies_attempts_and_the_tech_ii_me() -> None:
    bill = GRAPH.bill_of_materials(HOBGOBLIN_II, 25, invention=policy(decryptor=ATTAINMENT))
    steps = {step.type_id: step for step in bill.steps}
    # Attainment: 14 runs a copy -> 2 copies (28 runs, 3 left); chance 119/240 × 1.8 = 0.8925,
    # 2 / 0.8925 = 2.24 -> 3 attempts, each taking one of each datacore and one Attainment
    invention = steps[HOBGOBLIN_II_BLUEPRINT]
    assert (invention.runs, invention.produced, invention.leftover) == (3, 28, 3)
    assert bill.raw[GRAVITON] == bill.raw[ELECTRONIC] == bill.raw[ATTAINMENT] == 3
    # the copy's ME 2 - 1 = 1, TE 4 + 4 = 8 (a job still splits at the blueprint's 10 runs)
    assert steps[HOBGOBLIN_II].me == 1
    assert steps[HOBGOBLIN_II].jobs[0] == Jobs(runs=10, count=2, seconds=13_800)  # 1500 × 10 × 0.92
    # at 0.99: P(at least 2 wins) with p = 0.8925: 3 attempts 0.96782, 4 attempts 0.99543
    sure = steps_of(HOBGOBLIN_II, 25, invention=policy(0.99, decryptor=ATTAINMENT))
    assert sure[HOBGOBLIN_II_BLUEPRINT].runs == 4
    # Process: 10 runs a copy (3 copies), chance 119/240 × 1.1 = 0.5454, 3 / 0.5454 = 5.5 -> 6; ME 2 + 3
    process = steps_of(HOBGOBLIN_II, 25, invention=policy(decryptor=PROCESS))
    assert (process[HOBGOBLIN_II_BLUEPRINT].runs, process[HOBGOBLIN_II].me) == (6, 5)


def test_lower_skills_need_more_attempts() -> None:
    # at skills 0 the chance is the base 0.34: 3 / 0.34 = 8.8 -> 9 attempts
    steps = steps_of(HOBGOBLIN_II, 25, invention=policy(encryption=0, science1=0, science2=0))
    assert steps[HOBGOBLIN_II_BLUEPRINT].runs == 9


def test_one_wolf_on_expected_value_and_at_confidences() -> None:
    bill = GRAPH.bill_of_materials(WOLF, 1, invention=policy())
    steps = {step.type_id: step for step in bill.steps}
    # one single-run copy: 1 / 0.4375 = 2.29 -> 3 attempts, two of each datacore each
    assert (steps[WOLF_BLUEPRINT].runs, steps[WOLF_BLUEPRINT].produced) == (3, 1)
    assert (steps[RIFTER_BLUEPRINT].kind, steps[RIFTER_BLUEPRINT].runs) == (ActivityKind.COPYING, 3)
    assert (bill.raw[MINMATAR], bill.raw[MECHANICAL]) == (6, 6)
    assert steps[RIFTER].runs == 1, "the Rifter the Wolf is made from, apart from the copies"
    # 1 - 0.5625^4 = 0.89989 (just short of 0.9), 1 - 0.5625^5 = 0.94369
    assert steps_of(WOLF, 1, invention=policy(0.9))[WOLF_BLUEPRINT].runs == 5
    # 1 - 0.5625^8 = 0.98998 (just short of 0.99), 1 - 0.5625^9 = 0.99436
    assert steps_of(WOLF, 1, invention=policy(0.99))[WOLF_BLUEPRINT].runs == 9
    # Attainment: 5 runs a copy, chance 0.4375 × 1.8 = 0.7875: 1 - 0.2125^2 = 0.9548, ^3 = 0.99040
    assert steps_of(WOLF, 1, invention=policy(0.99, decryptor=ATTAINMENT))[WOLF_BLUEPRINT].runs == 3


def test_the_wolf_is_made_at_the_invented_me_and_its_datacores_take_no_me() -> None:
    raitaru = Facility(structure_material_bonus=0.01)
    settings = StepSettings(me=10, facility=raitaru)
    bill = GRAPH.bill_of_materials(WOLF, 1, default=settings, invention=policy())
    steps = {step.type_id: step for step in bill.steps}
    # the Wolf at the copy's ME 2 (not the 10 asked for the other steps), in the Raitaru:
    # Morphite 45 × 0.98 × 0.99 = 43.66 -> 44; Construction Blocks 38 × 0.98 × 0.99 = 36.87 -> 37
    assert (steps[WOLF].me, steps[RIFTER].me) == (2, 10)
    assert (bill.raw[MORPHITE], bill.raw[CONSTRUCTION_BLOCKS]) == (44, 37)
    # three attempts of two datacores: 6, neither ME 10 nor the structure's bonus reduces them
    assert (bill.raw[MINMATAR], bill.raw[MECHANICAL]) == (6, 6)
    assert (steps[WOLF_BLUEPRINT].me, steps[RIFTER_BLUEPRINT].me) == (0, 0)


def test_a_step_override_still_sets_the_tech_ii_me() -> None:
    bill = GRAPH.bill_of_materials(WOLF, 1, overrides={WOLF: StepSettings(me=0)}, invention=policy())
    assert next(step for step in bill.steps if step.type_id == WOLF).me == 0
    assert bill.raw[MORPHITE] == 45
