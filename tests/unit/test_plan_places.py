"""Plans with places: where each step takes its inputs and puts its output, the plan's default
stations per activity, its notes, batches of step updates, and what one step takes.

Over the little catalog of ``test_chains``: ship S (300) from 3 C, 50 B and 1000 Tritanium;
C (100) from 10 Tritanium, 5 Pyerite and 10 B (or, by recipe 1101, from 20 Pyerite alone);
B (200) a reaction, 40 per run from 100 Tritanium.
"""

from __future__ import annotations

import msgspec
import pytest

from application.mapper import decode_event, encode_event
from domain.catalog.model import ActivityKind
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.events import stored_topic
from domain.industry.places import StepPlace
from domain.industry.plan import (
    Plan,
    PlanCreated,
    PlanNotesChanged,
    PlanStationDefaultsChanged,
    PlanStep,
    PlanStepsAdded,
    PlanStepsRemoved,
    PlanStepsUpdated,
    PlanStepUpdated,
    Source,
    StepSetup,
    propose_steps,
)
from domain.industry.step_materials import StepInput, children_by_material, step_inputs
from tests.unit.given import AGGREGATE_ID, META, OWNER, event, given
from tests.unit.test_chains import GRAPH, PYE, TRIT, B, C, S

JITA = 60003760
FACTORY = 1_035_466_617_946  # a structure where the plan manufactures
REACTOR = 1_040_000_000_001  # a structure where it runs reactions
SETUP = StepSetup(me_level=10, te_level=20, station_id=JITA)
STEPS = tuple(propose_steps(GRAPH, S, SETUP, first_id=1))  # 1: S, 2: C, 3: B under S, 4: B under C
CREATED = event(PlanCreated, owner_id=OWNER, name="Ships", product_type_id=S, steps=STEPS, transport=None)
DEFAULTS = event(PlanStationDefaultsChanged, manufacturing_station_id=FACTORY, reaction_station_id=REACTOR)
CORP_HANGAR = StepPlace(owner_kind="corporation", owner_id=98_000_001, location_id=FACTORY, division=3)
CHARACTER_BOX = StepPlace(owner_kind="character", owner_id=90_000_001, location_id=JITA, container_id=1_000_000_042)


def stations(plan: Plan) -> dict[int, int | None]:
    return {step.step_id: step.station_id for step in plan.steps.values()}


def test_a_new_plans_steps_run_at_its_default_station_for_their_activity() -> None:
    """Manufacturing (S, C) at the factory, reactions (B) at the reactor; notes kept."""
    plan = (
        given()
        .when(
            lambda _: Plan.create(
                AGGREGATE_ID,
                "Ships",
                S,
                GRAPH,
                SETUP,
                None,
                META,
                default_manufacturing_station_id=FACTORY,
                default_reaction_station_id=REACTOR,
                notes="build at home",
            )
        )
        .then(event(PlanCreated, default_manufacturing_station_id=FACTORY, default_reaction_station_id=REACTOR))
    )
    assert stations(plan) == {1: FACTORY, 2: FACTORY, 3: REACTOR, 4: REACTOR}
    assert plan.notes == "build at home"


def test_without_defaults_steps_run_where_the_setup_says() -> None:
    plan = given().when(lambda _: Plan.create(AGGREGATE_ID, "Ships", S, GRAPH, SETUP, None, META)).then(CREATED)
    assert set(stations(plan).values()) == {JITA}
    assert (plan.default_manufacturing_station_id, plan.default_reaction_station_id, plan.notes) == (None, None, "")


def test_events_stored_before_places_decode_unchanged() -> None:
    """A PlanCreated stored before places existed (none of their fields, on the plan or its
    steps) reads as: no default stations, no notes, no places."""
    current = msgspec.json.decode(encode_event(CREATED.recorded(AGGREGATE_ID, 1)))
    for name in ("default_manufacturing_station_id", "default_reaction_station_id", "notes"):
        del current[name]
    for stored_step in current["steps"]:
        del stored_step["inputPlace"], stored_step["outputPlace"]
    created = decode_event(stored_topic(PlanCreated), msgspec.json.encode(current))
    assert isinstance(created, PlanCreated)
    assert (created.default_manufacturing_station_id, created.default_reaction_station_id, created.notes) == (
        None,
        None,
        "",
    )
    assert created.steps == STEPS and all(s.input_place is s.output_place is None for s in created.steps)


def test_default_stations_and_notes_are_recorded_only_when_they_change() -> None:
    given(CREATED).when(lambda plan: plan.set_station_defaults(FACTORY, REACTOR, META)).then(DEFAULTS)
    given(CREATED, DEFAULTS).when(lambda plan: plan.set_station_defaults(FACTORY, REACTOR, META)).then_nothing()
    given(CREATED, DEFAULTS).when(lambda plan: plan.set_station_defaults(None, REACTOR, META)).then(
        event(PlanStationDefaultsChanged, manufacturing_station_id=None, reaction_station_id=REACTOR)
    )
    given(CREATED).when(lambda plan: plan.set_notes("haul on Sundays", META)).then(
        event(PlanNotesChanged, notes="haul on Sundays")
    )
    given(CREATED).when(lambda plan: plan.set_notes("", META)).then_nothing()
    given(CREATED).when(lambda plan: plan.set_notes("x" * 2001, META)).then_refused(InvalidInput, "at most 2000")


def test_defaults_leave_existing_steps_where_they_are() -> None:
    plan = given(CREATED).when(lambda plan: plan.set_station_defaults(FACTORY, REACTOR, META)).then(DEFAULTS)
    assert set(stations(plan).values()) == {JITA}


def test_a_step_added_without_a_station_runs_at_the_default_for_its_activity() -> None:
    """Step 3 (B under S) bought, then made again by hand: the reaction goes to the reactor
    unless the command names a station."""
    bought = (CREATED, DEFAULTS, event(PlanStepsRemoved, step_ids=(3,)))
    added = given(*bought).when(lambda plan: plan.add_step(1, B, None, {}, GRAPH, META)).then(event(PlanStepsAdded))
    assert added.steps[5].station_id == REACTOR
    named = given(*bought).when(lambda plan: plan.add_step(1, B, None, {"station_id": JITA}, GRAPH, META))
    assert named.then(event(PlanStepsAdded)).steps[5].station_id == JITA


def test_making_a_bought_material_proposes_its_chain_at_the_default_stations() -> None:
    bought = (CREATED, DEFAULTS, event(PlanStepsRemoved, step_ids=(2, 4)))
    plan = given(*bought).when(lambda plan: plan.set_source(1, C, Source.MAKE, GRAPH, META)).then(event(PlanStepsAdded))
    assert (plan.steps[5].station_id, plan.steps[6].station_id) == (FACTORY, REACTOR)


def test_a_step_names_where_it_takes_its_inputs_and_puts_its_output() -> None:
    placed = msgspec.structs.replace(STEPS[1], input_place=CHARACTER_BOX, output_place=CORP_HANGAR)
    plan = given(CREATED).when(
        lambda plan: plan.update_step(2, {"input_place": CHARACTER_BOX, "output_place": CORP_HANGAR}, GRAPH, META)
    )
    plan.then(event(PlanStepUpdated, step=placed, removed_step_ids=()))
    placed_history = (CREATED, event(PlanStepUpdated, step=placed, removed_step_ids=()))
    # a later change of something else keeps the places; ``None`` clears one
    kept = given(*placed_history).when(lambda plan: plan.update_step(2, {"me_level": 5}, GRAPH, META))
    assert kept.then(event(PlanStepUpdated)).steps[2].output_place == CORP_HANGAR
    cleared = given(*placed_history).when(lambda plan: plan.update_step(2, {"input_place": None}, GRAPH, META))
    assert cleared.then(event(PlanStepUpdated)).steps[2].input_place is None
    given(*placed_history).when(
        lambda plan: plan.update_step(2, {"output_place": CORP_HANGAR}, GRAPH, META)
    ).then_nothing()


def test_a_new_step_may_name_its_places() -> None:
    bought = (CREATED, event(PlanStepsRemoved, step_ids=(3,)))
    added = given(*bought).when(lambda plan: plan.add_step(1, B, None, {"output_place": CORP_HANGAR}, GRAPH, META))
    step = added.then(event(PlanStepsAdded)).steps[5]
    assert (step.input_place, step.output_place) == (None, CORP_HANGAR)


def test_only_a_corporation_hangar_has_divisions() -> None:
    wrong = StepPlace(owner_kind="character", owner_id=90_000_001, location_id=JITA, division=2)
    refused = given(CREATED).when(lambda plan: plan.update_step(2, {"input_place": wrong}, GRAPH, META))
    assert refused.then_refused(InvalidInput, "divisions").field == "input_place.division"  # type: ignore[attr-defined]


def test_a_batch_of_step_updates_is_one_event() -> None:
    """Step 2 switches to recipe 1101 (Pyerite only: its B child, step 4, goes) and step 3 moves
    to the reactor: one PlanStepsUpdated with both steps as they end up."""
    step2 = PlanStep(step_id=2, parent_step_id=1, product_type_id=C, blueprint_type_id=1101,
                     activity=ActivityKind.MANUFACTURING, me_level=10, te_level=20, station_id=JITA)  # fmt: skip
    step3 = msgspec.structs.replace(STEPS[2], station_id=REACTOR, output_place=CORP_HANGAR)
    batch = [(2, {"blueprint_type_id": 1101}), (3, {"station_id": REACTOR, "output_place": CORP_HANGAR})]
    plan = given(CREATED).when(lambda plan: plan.update_steps(batch, GRAPH, META))
    after = plan.then(event(PlanStepsUpdated, steps=(step2, step3), removed_step_ids=(4,)))
    assert after.version == 2, "one version for the whole batch"
    assert sorted(after.steps) == [1, 2, 3]


def test_a_batch_changing_nothing_records_nothing() -> None:
    given(CREATED).when(lambda plan: plan.update_steps([(2, {"me_level": 10})], GRAPH, META)).then_nothing()


def test_one_refused_entry_refuses_the_whole_batch_naming_it() -> None:
    batch = [(2, {"me_level": 5}), (3, {"blueprint_type_id": 1101})]
    refused = given(CREATED).when(lambda plan: plan.update_steps(batch, GRAPH, META))
    error = refused.then_refused(RuleViolation, "recipe 1101 does not build type 200")
    assert error.field == "steps[1].blueprint_type_id"  # type: ignore[attr-defined]
    missing = given(CREATED).when(lambda plan: plan.update_steps([(2, {"me_level": 5}), (9, {})], GRAPH, META))
    assert missing.then_refused(NotFound, "no step 9").field == "steps[1].step_id"  # type: ignore[attr-defined]


def test_an_entry_may_name_a_step_an_earlier_entry_removed_only_to_be_refused() -> None:
    batch = [(2, {"blueprint_type_id": 1101}), (4, {"me_level": 1})]
    given(CREATED).when(lambda plan: plan.update_steps(batch, GRAPH, META)).then_refused(NotFound, "no step 4")


def test_a_steps_inputs_for_ten_runs_at_me_10() -> None:
    """Step 1 builds S at ME 10 in an NPC station (no structure or rig bonus): per job of ten
    runs the game takes ceil(round(10 x base x 0.9, 2)): C 3 -> 27, B 50 -> 450, Tritanium
    1000 -> 9000. C and B are made (steps 2 and 3), Tritanium bought; C is 10 m³ a unit,
    Tritanium 0.01 m³; the library holds the B reaction formula (1200) only."""
    steps = list(STEPS)
    inputs = step_inputs(
        GRAPH,
        steps[0],
        children_by_material(steps, 1),
        {C: "Component", B: "Batch", TRIT: "Tritanium"},
        {C: 10.0, TRIT: 0.01},
        {1200},
        runs=10,
    )
    assert inputs.materials == [
        StepInput(type_id=C, name="Component", quantity_per_run=3, quantity=27, unit_volume=10.0, volume=270.0,
                  source="make", step_id=2, blueprint_type_id=1100, activity=ActivityKind.MANUFACTURING,
                  has_blueprint=False),
        StepInput(type_id=B, name="Batch", quantity_per_run=50, quantity=450, unit_volume=None, volume=None,
                  source="make", step_id=3, blueprint_type_id=1200, activity=ActivityKind.REACTION,
                  has_blueprint=True),
        StepInput(type_id=TRIT, name="Tritanium", quantity_per_run=1000, quantity=9000, unit_volume=0.01,
                  volume=pytest.approx(90.0), source="buy", step_id=None, blueprint_type_id=None, activity=None,
                  has_blueprint=False),
    ]  # fmt: skip


def test_a_bought_input_names_the_catalogs_recipe_and_reactions_ignore_me() -> None:
    """Step 2 (C) with B bought: B's recipe is still the catalog's reaction 1200. Step 3's
    reaction, 3 runs: 100 Tritanium a run, ME does not apply -> 300."""
    steps = [s for s in STEPS if s.step_id != 4]
    c_inputs = step_inputs(GRAPH, steps[1], children_by_material(steps, 2), {}, {}, set())
    by_type = {m.type_id: m for m in c_inputs.materials}
    assert (by_type[B].source, by_type[B].blueprint_type_id, by_type[B].activity) == (
        "buy",
        1200,
        ActivityKind.REACTION,
    )
    assert by_type[PYE].quantity is None and c_inputs.runs is None, "no runs asked: per run only"
    reaction = step_inputs(GRAPH, steps[2], {}, {}, {}, set(), runs=3)
    assert [(m.type_id, m.quantity) for m in reaction.materials] == [(TRIT, 300)]
