"""Plans and runs of an invented item, over the sample catalog's Hobgoblin II (its numbers in
``domain/catalog/sample-catalog.SOURCES.md``): Hobgoblin II Blueprint (2457) copies of 10 runs
are invented from Hobgoblin I Blueprint (2455) copies, base chance 0.34, one Graviton Physics
(20419) and one Electronic Engineering (20418) datacore per attempt, 7,800 s per attempt; a
Tech I copy run takes 240 s; a Hobgoblin II run takes 1,500 s and one of each of its inputs.

Skills V (the plans' invention skills): chance 0.34 × (1 + (5 + 5)/30 + 5/40) = 0.34 × 1.458333
= 0.495833. Fifteen Hobgoblin IIs take 15 copy runs: 2 copies of 10 runs, so 2 manufacturing
jobs (10 runs and 5: a job runs one copy). On expected value 2 copies take ceil(2 / 0.495833)
= ceil(4.034) = 5 attempts; at 0.9 the fewest n with P(Binomial(n, 0.495833) >= 2) >= 0.9:
n = 6 gives 1 - 0.504167^6 - 6 × 0.495833 × 0.504167^5 = 1 - 0.016422 - 0.096901 = 0.8867,
n = 7 gives 1 - 0.0082793 - 0.056998 = 0.9347: 7 attempts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import msgspec
import pytest

from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from application.eve.esi_routes import IndustryJob
from application.game_jobs import reported_jobs
from domain.catalog.chains import ProductionGraph
from domain.catalog.invention import InventionPolicy
from domain.catalog.model import ActivityKind
from domain.errors import InvalidInput, RuleViolation
from domain.industry.characters import Character, CharacterSkills
from domain.industry.generation import InventionNeed, generate
from domain.industry.invention_runs import RunJob, progress, shortfall, top_up_specs
from domain.industry.jobs import JobSpec, JobStatus
from domain.industry.plan import (
    Plan,
    PlanCreated,
    PlanInventionConfidenceChanged,
    PlanStep,
    PlanStepUpdated,
    StepSetup,
    invention_policy,
    propose_steps,
)
from domain.industry.pricing import price_jobs
from tests.unit.given import AGGREGATE_ID, META, OWNER, event, given
from tests.unit.test_invention import REGION, SITE, market

CATALOG = read_catalog(SAMPLE_CATALOG)
GRAPH = ProductionGraph.from_recipes(CATALOG.recipes)
DECRYPTORS = {item.type_id: item.decryptor for item in CATALOG.items if item.decryptor is not None}
HOBGOBLIN_II, HOBGOBLIN_II_BLUEPRINT, HOBGOBLIN_I_BLUEPRINT, HOBGOBLIN_I = 2456, 2457, 2455, 2454
GRAVITON, ELECTRONIC = 20419, 20418
ATTAINMENT, TRITANIUM = 34202, 34
SETUP = StepSetup(me_level=10, te_level=20, station_id=60003760)
STEPS = tuple(propose_steps(GRAPH, HOBGOBLIN_II, SETUP, first_id=1))
CREATED = event(PlanCreated, owner_id=OWNER, name="Drones", product_type_id=HOBGOBLIN_II, steps=STEPS, transport=None)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# Three science slots (1 + Laboratory Operation I + Advanced Laboratory Operation I), one
# manufacturing slot; Industry V (manufacturing only) and Advanced Industry IV (every job).
ANN = Character(
    character_id=9000,
    name="Ann",
    skills=CharacterSkills(industry=5, advanced_industry=4, laboratory_operation=1, advanced_laboratory_operation=1),
)


def by_product(product: int) -> PlanStep:
    return next(step for step in STEPS if step.product_type_id == product)


def invention_chain() -> dict[int, PlanStep]:
    """The plan's Hobgoblin II, invention and copying steps; every other input bought."""
    kept = [s for s in STEPS if s.product_type_id in (HOBGOBLIN_II, HOBGOBLIN_II_BLUEPRINT, HOBGOBLIN_I_BLUEPRINT)]
    return {step.step_id: step for step in kept}


def test_a_plan_for_an_invented_item_invents_its_copy_from_a_copied_tech_i_blueprint() -> None:
    top, invent, copy = by_product(HOBGOBLIN_II), by_product(HOBGOBLIN_II_BLUEPRINT), by_product(HOBGOBLIN_I_BLUEPRINT)
    assert (top.activity, top.me_level, top.te_level) == (ActivityKind.MANUFACTURING, 2, 4), "the invented copy's"
    assert (invent.parent_step_id, invent.blueprint_type_id, invent.activity) == (
        top.step_id,
        HOBGOBLIN_I_BLUEPRINT,
        ActivityKind.INVENTION,
    )
    assert (copy.parent_step_id, copy.activity) == (invent.step_id, ActivityKind.COPYING)
    assert (invent.me_level, invent.te_level, copy.me_level, copy.te_level) == (0, 0, 0, 0)
    assert invent.decryptor_type_id is None
    assert by_product(HOBGOBLIN_I).me_level == 10, "the Tech I item is manufactured at the plan's ME"


def test_an_invention_step_takes_a_decryptor_and_the_step_it_feeds_follows_its_me_and_te() -> None:
    invent, top = by_product(HOBGOBLIN_II_BLUEPRINT), by_product(HOBGOBLIN_II)
    # Attainment: ME -1, TE +4 on the invented copy's 2 / 4 -> ME 1, TE 8.
    given(CREATED).when(
        lambda plan: plan.update_step(invent.step_id, {"decryptor_type_id": ATTAINMENT}, GRAPH, META, DECRYPTORS)
    ).then(
        event(PlanStepUpdated, step=msgspec.structs.replace(invent, decryptor_type_id=ATTAINMENT)),
        event(PlanStepUpdated, step=msgspec.structs.replace(top, me_level=1, te_level=8)),
    )
    chosen = msgspec.structs.replace(invent, decryptor_type_id=ATTAINMENT)
    moved = msgspec.structs.replace(top, me_level=1, te_level=8)
    given(CREATED, event(PlanStepUpdated, step=chosen), event(PlanStepUpdated, step=moved)).when(
        lambda plan: plan.update_step(invent.step_id, {"decryptor_type_id": None}, GRAPH, META, DECRYPTORS)
    ).then(event(PlanStepUpdated, step=invent), event(PlanStepUpdated, step=top))


def test_only_an_invention_step_takes_a_decryptor_and_only_a_decryptor_of_the_catalog() -> None:
    invent, top = by_product(HOBGOBLIN_II_BLUEPRINT), by_product(HOBGOBLIN_II)
    given(CREATED).when(
        lambda plan: plan.update_step(invent.step_id, {"decryptor_type_id": TRITANIUM}, GRAPH, META, DECRYPTORS)
    ).then_refused(RuleViolation, "not a decryptor")
    given(CREATED).when(
        lambda plan: plan.update_step(top.step_id, {"decryptor_type_id": ATTAINMENT}, GRAPH, META, DECRYPTORS)
    ).then_refused(RuleViolation, "only an invention step")


def test_a_plan_says_how_it_counts_attempts_on_creation_and_later() -> None:
    given().when(
        lambda _: Plan.create(AGGREGATE_ID, "Drones", HOBGOBLIN_II, GRAPH, SETUP, None, META, invention_confidence=0.9)
    ).then(event(PlanCreated, steps=STEPS, invention_confidence=0.9))
    given(CREATED).when(lambda plan: plan.set_invention_confidence(0.99, META)).then(
        event(PlanInventionConfidenceChanged, confidence=0.99)
    )
    given(CREATED, event(PlanInventionConfidenceChanged, confidence=0.99)).when(
        lambda plan: plan.set_invention_confidence(None, META)
    ).then(event(PlanInventionConfidenceChanged, confidence=None))
    given(CREATED).when(lambda plan: plan.set_invention_confidence(None, META)).then_nothing()
    for bad in (0.0, 1.0, 1.5):
        given(CREATED).when(lambda plan, bad=bad: plan.set_invention_confidence(bad, META)).then_refused(
            InvalidInput, "inventionConfidence"
        )


def test_three_invention_jobs_feed_two_manufacturing_jobs_in_order_timed_with_skills() -> None:
    result = generate(invention_chain(), GRAPH, 15, characters=[ANN], now=NOW)
    jobs = [(j.spec.activity.value, j.spec.product_type_id, j.spec.runs, j.spec.sort_order) for j in result.jobs]
    # 5 attempts spread over Ann's 3 science slots: 2, 2 and 1; a copy run per attempt.
    assert jobs == [
        ("copying", HOBGOBLIN_I_BLUEPRINT, 5, 4),
        ("invention", HOBGOBLIN_II_BLUEPRINT, 2, 2),
        ("invention", HOBGOBLIN_II_BLUEPRINT, 2, 2),
        ("invention", HOBGOBLIN_II_BLUEPRINT, 1, 2),
        ("manufacturing", HOBGOBLIN_II, 10, 0),
        ("manufacturing", HOBGOBLIN_II, 5, 0),
    ]
    copy, first, second, third, ten, five = (j.spec for j in result.jobs)
    assert copy.materials == () and (copy.me_level, copy.te_level) == (0, 0)
    # Datacores whole per attempt (no ME): 2 attempts take 2 of each.
    assert [(m.type_id, m.quantity) for m in first.materials] == [(GRAVITON, 2), (ELECTRONIC, 2)]
    assert [(m.type_id, m.quantity) for m in third.materials] == [(GRAVITON, 1), (ELECTRONIC, 1)]
    # The 20 copy runs counted on, shared by attempts (20 × 2/5 = 8, 8, 4).
    assert [first.expected_output, second.expected_output, third.expected_output] == [8, 8, 4]
    assert first.runs_per_copy == 10 and ten.runs_per_copy is None
    # ME 2: one of each input per run stays max(runs, ceil(runs × 0.98)) = runs; the copy is no material.
    assert (ten.me_level, ten.te_level) == (2, 4)
    assert {m.quantity for m in ten.materials} == {10} and HOBGOBLIN_II_BLUEPRINT not in {
        m.type_id for m in ten.materials
    }
    # Seconds (Advanced Industry IV: × 0.88; Industry V: × 0.8, manufacturing only; TE 4: × 0.96):
    # copy 240 × 5 × 0.88 = 1,056; invention 7,800 × 2 × 0.88 = 13,728 and 7,800 × 0.88 = 6,864;
    # Hobgoblin II 1,500 × 10 × 0.96 × 0.8 × 0.88 = 10,137.6 -> 10,138 and × 5 = 5,068.8 -> 5,069.
    assert [j.spec.duration_seconds for j in result.jobs] == [1056, 13728, 13728, 6864, 10138, 5069]
    # Stages: copying from 0, the three attempts side by side once it ends (1,056), the Hobgoblins
    # one after the other on Ann's one manufacturing slot from 1,056 + 13,728 = 14,784.
    starts = [(j.spec.start_after - NOW).total_seconds() for j in result.jobs if j.spec.start_after]
    assert starts == [0, 1056, 1056, 1056, 14784, 14784 + 10138]
    assert result.finishes_at == NOW + timedelta(seconds=14784 + 10138 + 5069)
    assert result.inventions == (
        InventionNeed(
            plan_step_id=by_product(HOBGOBLIN_II_BLUEPRINT).step_id,
            blueprint_type_id=HOBGOBLIN_II_BLUEPRINT,
            from_blueprint_type_id=HOBGOBLIN_I_BLUEPRINT,
            copies=2,
            runs_per_copy=10,
            attempts=5,
            probability=pytest.approx(0.495833, abs=1e-6),
        ),
    )


def test_at_a_confidence_more_attempts_are_planned_and_a_decryptor_goes_in_each() -> None:
    steps = invention_chain()
    result = generate(steps, GRAPH, 15, characters=[ANN], invention=InventionPolicy(confidence=0.9))
    assert [j.spec.runs for j in result.jobs if j.spec.activity is ActivityKind.INVENTION] == [3, 2, 2]  # 7
    # Attainment: chance × 1.8 = 0.8925, copies of 10 + 4 = 14 runs: 15 runs take 2 copies still,
    # ceil(2 / 0.8925) = 3 attempts; jobs of at most 14 runs: 14 and 1, at ME 1 / TE 8 (the step's).
    invent = by_product(HOBGOBLIN_II_BLUEPRINT).step_id
    steps[invent] = msgspec.structs.replace(steps[invent], decryptor_type_id=ATTAINMENT)
    top = by_product(HOBGOBLIN_II).step_id
    steps[top] = msgspec.structs.replace(steps[top], me_level=1, te_level=8)
    policy = invention_policy(steps.values(), None, DECRYPTORS)
    result = generate(steps, GRAPH, 15, invention=policy)
    inventing = [j.spec for j in result.jobs if j.spec.activity is ActivityKind.INVENTION]
    assert [j.runs for j in inventing] == [3], "no characters: one job"
    assert [(m.type_id, m.quantity) for m in inventing[0].materials] == [
        (GRAVITON, 3),
        (ELECTRONIC, 3),
        (ATTAINMENT, 3),
    ]
    assert [(j.spec.runs, j.spec.me_level) for j in result.jobs if j.spec.product_type_id == HOBGOBLIN_II] == [
        (14, 1),
        (1, 1),
    ]


NEED = InventionNeed(
    plan_step_id=2,
    blueprint_type_id=HOBGOBLIN_II_BLUEPRINT,
    from_blueprint_type_id=HOBGOBLIN_I_BLUEPRINT,
    copies=2,
    runs_per_copy=10,
    attempts=5,
    probability=0.4958333333333333,
)
RUN = UUID(int=40)


def run_job(activity: ActivityKind, runs: int, status: JobStatus, won: int | None = None) -> RunJob:
    product = HOBGOBLIN_II_BLUEPRINT if activity is ActivityKind.INVENTION else HOBGOBLIN_I_BLUEPRINT
    materials = ((GRAVITON, runs), (ELECTRONIC, runs)) if activity is ActivityKind.INVENTION else ()
    spec = msgspec.convert(
        {
            "productTypeId": product,
            "blueprintTypeId": HOBGOBLIN_I_BLUEPRINT,
            "activity": activity.value,
            "runs": runs,
            "expectedOutput": runs * 4 if activity is ActivityKind.INVENTION else runs,
            "materials": [{"typeId": t, "quantity": q, "source": "buy"} for t, q in materials],
            "planRunId": str(RUN),
            "sortOrder": 2 if activity is ActivityKind.INVENTION else 4,
            "characterId": 9000,
        },
        JobSpec,
    )
    return RunJob(spec=spec, status=status, successful_runs=won)


def test_a_failed_invention_batch_is_topped_up_once_every_attempt_has_ended() -> None:
    copied = run_job(ActivityKind.COPYING, 5, JobStatus.COMPLETED)
    jobs = [copied, run_job(ActivityKind.INVENTION, 2, JobStatus.COMPLETED, won=1)]
    running = [*jobs, run_job(ActivityKind.INVENTION, 3, JobStatus.ACTIVE)]
    assert shortfall(NEED, running) == 0, "attempts still running may win the copy"
    ended = [*jobs, run_job(ActivityKind.INVENTION, 3, JobStatus.COMPLETED, won=0)]
    assert shortfall(NEED, ended) == 1
    assert progress(NEED, ended).copies_won == 1 and progress(NEED, ended).attempts == 5
    # One copy more on expected value: ceil(1 / 0.495833) = ceil(2.017) = 3 attempts, and 3 Tech I copy runs.
    copy_again, invent_again = top_up_specs(NEED, 1, ended, RUN)
    assert (copy_again.activity, copy_again.runs, copy_again.materials) == (ActivityKind.COPYING, 3, ())
    assert (invent_again.runs, invent_again.expected_output, invent_again.plan_run_id) == (3, 10, RUN)
    assert [(m.type_id, m.quantity) for m in invent_again.materials] == [(GRAVITON, 3), (ELECTRONIC, 3)]
    assert invent_again.character_id is None and invent_again.start_after is None
    won = [*jobs, run_job(ActivityKind.INVENTION, 3, JobStatus.COMPLETED, won=2)]
    assert shortfall(NEED, won) == 0 and top_up_specs(NEED, 0, won, RUN) == ()


def test_copying_and_invention_jobs_are_priced_on_what_their_blueprint_leads_to() -> None:
    result = generate(invention_chain(), GRAPH, 15)
    priced, _ = price_jobs(result.jobs, GRAPH, REGION, market(), SITE, HOBGOBLIN_II)
    costs = {j.spec.activity: j.spec.total_cost for j in priced if j.spec.activity is not ActivityKind.MANUFACTURING}
    # test_invention's market; the steps' facility tax 0, so SCC 4% beside the index.
    # Invention, 5 attempts: datacores 5 × (60,000 + 40,000) = 500,000, and 2% of 5 runs of the
    # Hobgoblin II's EIV 101,000 = 10,100 × (5% + 4%) = 909.
    assert costs[ActivityKind.INVENTION] == 500_909.0
    # Copying 5 runs: 2% of 5 × the Hobgoblin I's EIV 3,506 = 350.6 × (2% + 4%) = 21.036.
    assert costs[ActivityKind.COPYING] == 21.04


def test_the_game_sync_reads_an_invention_jobs_successes_as_esi_reports_them() -> None:
    """The EVE sync's path: ESI's ``successful_runs`` reaches the queue's matching (and so the
    job's completion) as ``GameJob.successful_runs``."""
    esi = IndustryJob(
        job_id=72, installer_id=9, facility_id=60003760, activity_id=8, blueprint_id=1,
        blueprint_type_id=HOBGOBLIN_I_BLUEPRINT, blueprint_location_id=1, output_location_id=1, runs=5,
        duration=39000, status="delivered", start_date=NOW, end_date=NOW, successful_runs=1,
    )  # fmt: skip
    (job,) = reported_jobs([esi])
    assert job.successful_runs == 1
