"""Generating a plan run: every run, job, purchase, leftover and haul worked out by hand.

The catalog: a ship S (300) from 2 C, 3 D and 100 Tritanium, at most 5 runs per job; a
module D (400) from 2 C and 10 Pyerite; a component C (100) from 100 B and 10 Tritanium; B
(200) a reaction making 45 units per run from 100 Tritanium. C is a shared intermediate
(S needs it directly and through D). S and D are built at the hub (station 1), C and B at
station 2, so goods travel both ways.
"""

from __future__ import annotations

import msgspec
import pytest

from domain.catalog.chains import ProductionGraph
from domain.catalog.model import ActivityKind
from domain.errors import InvalidInput, RuleViolation
from domain.industry.characters import Character, CharacterSkills
from domain.industry.generation import generate
from domain.industry.plan import PlanStep, StepSetup, TransportSettings, propose_steps
from domain.industry.runs import run_status
from tests.unit.test_chains import recipe

TRIT, PYE, C, B, S, D = 34, 35, 100, 200, 300, 400
HUB, FACTORY = 1, 2


GRAPH = ProductionGraph.from_recipes(
    [
        recipe(1300, S, 1, (C, 2), (D, 3), (TRIT, 100), max_runs=5),
        recipe(1400, D, 1, (C, 2), (PYE, 10)),
        recipe(1100, C, 1, (B, 100), (TRIT, 10)),
        recipe(1200, B, 45, (TRIT, 100), kind=ActivityKind.REACTION),
    ]
)
VOLUMES = {TRIT: 0.01, PYE: 0.01, C: 10.0, B: 1.0, D: 5.0, S: 2500.0}
TRANSPORT = TransportSettings(hub_station_id=HUB, cost_per_m3=1000.0)


def plan_steps() -> dict[int, PlanStep]:
    steps = propose_steps(GRAPH, S, StepSetup(me_level=0, te_level=0, station_id=HUB), first_id=1)
    placed = [msgspec.structs.replace(s, station_id=FACTORY) if s.product_type_id in (C, B) else s for s in steps]
    return {step.step_id: step for step in placed}


def test_the_default_tree_makes_everything_down_to_raw_materials() -> None:
    steps = plan_steps().values()
    assert sorted(s.product_type_id for s in steps) == sorted([S, C, B, D, C, B])
    assert all(s.me_level == 0 for s in steps if s.activity is ActivityKind.REACTION)


def test_a_multi_level_plan_merges_shared_steps_before_rounding_runs() -> None:
    result = generate(plan_steps(), GRAPH, 7, transport=TRANSPORT, volumes=VOLUMES)
    jobs = [(j.spec.product_type_id, j.spec.runs, j.spec.sort_order) for j in result.jobs]
    # S: 7 runs split at 5 per job. Materials per job: C 2x5 + 2x2 = 14, D 3x5 + 3x2 = 21.
    # D: 21 runs, needing 42 C. C: the two C steps merge, 14 + 42 = 56 runs (deepest: depth 2).
    # B: 5,600 units; per branch 1,400/45 -> 32 and 4,200/45 -> 94 runs (126), merged 125.
    assert jobs == [(B, 125, 6), (C, 56, 4), (D, 21, 2), (S, 5, 0), (S, 2, 0)]
    c_job = result.jobs[1]
    assert len(c_job.merged_step_ids) == 2 and c_job.depth == 2
    assert {m.type_id: m.quantity for m in c_job.spec.materials} == {B: 5600, TRIT: 560}
    assert [(left.type_id, left.quantity) for left in result.leftovers] == [(B, 125 * 45 - 5600)]
    # Tritanium: S 700, C 560, B 12,500; Pyerite: D 210. No recipe makes either.
    assert [(s.type_id, s.quantity, s.reason) for s in result.skipped] == [
        (TRIT, 700 + 560 + 12_500, "no_recipe"),
        (PYE, 210, "no_recipe"),
    ]


def test_steps_at_two_stations_get_hauls_linked_to_the_jobs_they_feed() -> None:
    result = generate(plan_steps(), GRAPH, 7, transport=TRANSPORT, volumes=VOLUMES)
    hauls = [
        (
            h.from_station_id,
            h.to_station_id,
            [(i.type_id, i.quantity) for i in h.items],
            h.volume,
            h.cost_estimate,
            h.sort_order,
            [result.jobs[i].spec.product_type_id for i in h.feeds],
        )
        for h in result.transports
    ]
    assert hauls == [
        (HUB, FACTORY, [(TRIT, 12_500)], 125.0, 125_000.0, 7, [B]),
        (HUB, FACTORY, [(TRIT, 560)], 5.6, 5_600.0, 5, [C]),
        (FACTORY, HUB, [(C, 42)], 420.0, 420_000.0, 3, [D]),
        (FACTORY, HUB, [(C, 14)], 140.0, 140_000.0, 1, [S, S]),
    ]


def test_no_transport_settings_means_no_hauls() -> None:
    assert generate(plan_steps(), GRAPH, 7, volumes=VOLUMES).transports == ()


def test_a_bought_material_is_skipped_with_its_reason() -> None:
    steps = plan_steps()
    d_step = next(s for s in steps.values() if s.product_type_id == D)
    under_d = [s.step_id for s in steps.values() if s.parent_step_id == d_step.step_id]
    for step_id in under_d + [s.step_id for s in steps.values() if s.parent_step_id in under_d]:
        del steps[step_id]
    result = generate(steps, GRAPH, 1)
    assert (C, 6, "bought") in [(s.type_id, s.quantity, s.reason) for s in result.skipped]


@pytest.mark.parametrize("quantity", [0, -3, 1.5, True, "7"])
def test_quantity_must_be_a_positive_whole_number(quantity: object) -> None:
    with pytest.raises(InvalidInput) as error:
        generate(plan_steps(), GRAPH, quantity)  # type: ignore[arg-type]
    assert error.value.field == "quantity"


def test_a_step_whose_recipe_left_the_catalog_is_refused() -> None:
    graph = ProductionGraph.from_recipes([recipe(1300, S, 1, (C, 2), (D, 3), (TRIT, 100), max_runs=5)])
    with pytest.raises(RuleViolation):
        generate(plan_steps(), graph, 1)


ALICE = Character(character_id=1, name="Alice", skills=CharacterSkills(mass_production=1))
BOB = Character(character_id=2, name="Bob")


def test_slots_come_from_skills() -> None:
    assert (ALICE.slots("manufacturing"), ALICE.slots("reactions"), BOB.slots("manufacturing")) == (2, 1, 1)


def test_jobs_of_one_stage_spread_over_the_slots_the_parallelism_allows() -> None:
    spread = generate(plan_steps(), GRAPH, 7, characters=[ALICE, BOB])
    assert [(j.spec.product_type_id, j.spec.character_id) for j in spread.jobs] == [
        (B, 1),
        (C, 1),
        (D, 1),
        (S, 1),
        (S, 2),
    ]
    single = generate(plan_steps(), GRAPH, 7, characters=[ALICE, BOB], parallelism=1)
    assert {j.spec.character_id for j in single.jobs} == {1}
    alone = generate(plan_steps(), GRAPH, 7)
    assert {j.spec.character_id for j in alone.jobs} == {None}


@pytest.mark.parametrize(
    ("planned", "active", "completed", "cancelled", "status"),
    [
        (0, 0, 0, 0, "pending"),  # no jobs linked
        (0, 0, 2, 1, "completed"),  # all completed or cancelled
        (0, 0, 0, 3, "completed"),  # ... cancelled ones count as done
        (2, 1, 0, 0, "in_progress"),  # any active
        (2, 0, 1, 0, "in_progress"),  # any completed, not all done
        (3, 0, 0, 0, "pending"),  # all still planned
        (2, 0, 0, 1, "pending"),  # planned and cancelled only: nothing started
    ],
)
def test_run_status_is_derived_by_the_specs_table(
    planned: int, active: int, completed: int, cancelled: int, status: str
) -> None:
    assert run_status(planned, active, completed, cancelled) == status
