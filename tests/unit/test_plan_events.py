"""The industry ``Plan`` aggregate over the little catalog of ``test_chains``: ship S from
components C (made from Tritanium, Pyerite and B, or by an alternative recipe from Pyerite
alone) and B (a reaction from Tritanium)."""

from __future__ import annotations

from uuid import UUID

from domain.catalog.chains import ProductionGraph
from domain.catalog.model import ActivityKind
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.industry.plan import (
    Plan,
    PlanCreated,
    PlanDeleted,
    PlanRenamed,
    PlanRunGenerated,
    PlanRunRemoved,
    PlanStep,
    PlanStepsAdded,
    PlanStepsRemoved,
    PlanStepUpdated,
    PlanTransportChanged,
    Source,
    StepSetup,
    TransportSettings,
    propose_steps,
)
from domain.work_limits import WorkLimitExceeded, WorkLimits
from tests.unit.given import AGGREGATE_ID, META, OWNER, event, given
from tests.unit.test_chains import GRAPH, RECIPES, TRIT, B, C, S

SETUP = StepSetup(me_level=10, te_level=20, station_id=60003760)
STEPS = tuple(propose_steps(GRAPH, S, SETUP, first_id=1))  # 1: S, 2: C, 3: B under S, 4: B under C
CREATED = event(PlanCreated, owner_id=OWNER, name="Ships", product_type_id=S, steps=STEPS, transport=None)
HUB = TransportSettings(hub_station_id=60003760, cost_per_m3=800.0, collateral_rate=0.01)
RUN = UUID(int=30)


def step(step_id: int) -> PlanStep:
    return next(s for s in STEPS if s.step_id == step_id)


def test_creating_a_plan_proposes_the_whole_chain_down_to_raw_materials() -> None:
    plan = given().when(lambda _: Plan.create(AGGREGATE_ID, " Ships ", S, GRAPH, SETUP, None, META)).then(CREATED)
    assert [(s.step_id, s.parent_step_id, s.product_type_id) for s in STEPS] == [
        (1, None, S), (2, 1, C), (3, 1, B), (4, 2, B),
    ]  # fmt: skip
    assert step(3).activity is ActivityKind.REACTION and step(3).me_level == 0, "reactions take no ME"
    assert plan.next_step_id == 5


def test_a_plan_needs_a_name_a_buildable_product_and_room_for_its_steps() -> None:
    given().when(lambda _: Plan.create(AGGREGATE_ID, " ", S, GRAPH, SETUP, None, META)).then_refused(
        InvalidInput, "name"
    )
    given().when(lambda _: Plan.create(AGGREGATE_ID, "Ore", TRIT, GRAPH, SETUP, None, META)).then_refused(
        RuleViolation, "no recipe"
    )
    tight = WorkLimits(steps_per_plan=3)
    given().when(lambda _: Plan.create(AGGREGATE_ID, "Ships", S, GRAPH, SETUP, None, META, tight)).then_refused(
        WorkLimitExceeded
    )


def test_renaming_records_the_new_name_and_the_same_name_records_nothing() -> None:
    given(CREATED).when(lambda plan: plan.rename("Frigates", META)).then(event(PlanRenamed, name="Frigates"))
    given(CREATED).when(lambda plan: plan.rename(" Ships ", META)).then_nothing()


def test_transport_is_set_validated_and_unchanged_transport_records_nothing() -> None:
    given(CREATED).when(lambda plan: plan.set_transport(HUB, META)).then(event(PlanTransportChanged, transport=HUB))
    given(CREATED, event(PlanTransportChanged, transport=HUB)).when(
        lambda plan: plan.set_transport(HUB, META)
    ).then_nothing()
    bad = TransportSettings(hub_station_id=60003760, collateral_rate=2.0)
    given(CREATED).when(lambda plan: plan.set_transport(bad, META)).then_refused(InvalidInput, "collateralRate")


def test_switching_a_material_to_buy_removes_its_subtree_and_to_make_proposes_it_again() -> None:
    given(CREATED).when(lambda plan: plan.set_source(1, C, Source.BUY, GRAPH, META)).then(
        event(PlanStepsRemoved, step_ids=(2, 4))
    )
    bought = (CREATED, event(PlanStepsRemoved, step_ids=(2, 4)))
    plan = given(*bought).when(lambda plan: plan.set_source(1, C, Source.MAKE, GRAPH, META))
    added = plan.then(event(PlanStepsAdded))
    assert [(s.step_id, s.parent_step_id, s.product_type_id) for s in added.steps.values()] == [
        (1, None, S), (3, 1, B), (5, 1, C), (6, 5, B),
    ]  # fmt: skip


def test_a_source_already_in_place_records_nothing_and_a_material_the_recipe_does_not_use_is_refused() -> None:
    given(CREATED).when(lambda plan: plan.set_source(1, C, Source.MAKE, GRAPH, META)).then_nothing()
    given(CREATED).when(lambda plan: plan.set_source(2, S, Source.BUY, GRAPH, META)).then_refused(
        RuleViolation, "does not use type 300"
    )


def test_a_step_is_added_for_a_bought_input_and_refused_for_one_already_made() -> None:
    bought = (CREATED, event(PlanStepsRemoved, step_ids=(2, 4)))
    plan = given(*bought).when(lambda plan: plan.add_step(1, C, 1101, {"me_level": 5}, GRAPH, META))
    plan.then(
        event(
            PlanStepsAdded,
            steps=(PlanStep(step_id=5, parent_step_id=1, product_type_id=C, blueprint_type_id=1101,
                            activity=ActivityKind.MANUFACTURING, me_level=5, te_level=20, station_id=60003760),),
        )
    )  # fmt: skip
    given(CREATED).when(lambda plan: plan.add_step(1, C, None, {}, GRAPH, META)).then_refused(
        RuleViolation, "already makes type 100"
    )
    given(CREATED).when(lambda plan: plan.add_step(9, C, None, {}, GRAPH, META)).then_refused(NotFound, "no step 9")


def test_switching_a_steps_recipe_removes_the_children_it_no_longer_uses() -> None:
    updated = PlanStep(step_id=2, parent_step_id=1, product_type_id=C, blueprint_type_id=1101,
                       activity=ActivityKind.MANUFACTURING, me_level=10, te_level=20, station_id=60003760)  # fmt: skip
    given(CREATED).when(lambda plan: plan.update_step(2, {"blueprint_type_id": 1101}, GRAPH, META)).then(
        event(PlanStepUpdated, step=updated, removed_step_ids=(4,))
    )
    given(CREATED).when(lambda plan: plan.update_step(2, {"me_level": 10}, GRAPH, META)).then_nothing()
    given(CREATED).when(lambda plan: plan.update_step(2, {"blueprint_type_id": 1200}, GRAPH, META)).then_refused(
        RuleViolation, "recipe 1200 does not build type 100"
    )


def test_a_step_is_removed_with_its_subtree_but_the_product_step_is_not() -> None:
    given(CREATED).when(lambda plan: plan.remove_step(2, META)).then(event(PlanStepsRemoved, step_ids=(2, 4)))
    given(CREATED).when(lambda plan: plan.remove_step(1, META)).then_refused(RuleViolation, "product step")


def test_runs_are_noted_on_the_plan_up_to_its_limit_and_forgotten() -> None:
    plan = given(CREATED).when(lambda plan: plan.record_run(RUN, 10, True, META))
    assert plan.then(event(PlanRunGenerated, run_id=RUN, quantity=10, automatic=True)).runs_recorded == 1
    one_run = WorkLimits(runs_per_plan=1)
    given(CREATED, event(PlanRunGenerated, run_id=RUN, quantity=10)).when(
        lambda plan: plan.record_run(UUID(int=31), 1, False, META, one_run)
    ).then_refused(WorkLimitExceeded, "runs this plan has recorded")
    given(CREATED, event(PlanRunGenerated, run_id=RUN, quantity=10)).when(lambda plan: plan.forget_run(RUN, META)).then(
        event(PlanRunRemoved, run_id=RUN)
    )


def test_a_deleted_plan_is_gone() -> None:
    plan = given(CREATED).when(lambda plan: plan.delete(META)).then(event(PlanDeleted))
    given(CREATED, event(PlanDeleted)).when(lambda plan: plan.ensure_live()).then_refused(NotFound, "plan not found")
    assert plan.deleted


def test_a_plan_whose_recipe_left_the_catalog_is_refused_when_checked() -> None:
    without_c = ProductionGraph.from_recipes([r for r in RECIPES if r.recipe_id != 1100])
    given(CREATED).when(lambda plan: plan.check_against(without_c)).then_refused(
        RuleViolation, "recipe 1100 no longer builds type 100"
    )
