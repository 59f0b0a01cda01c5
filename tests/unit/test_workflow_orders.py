"""Jobs ordered through the workflow, worked out on the shipped sample catalog."""

from __future__ import annotations

import pytest

from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from domain.catalog.chains import CatalogSnapshot, ProductionGraph
from domain.catalog.industry import Facility, Security
from domain.errors import InvalidInput, RuleViolation
from domain.industry.characters import Character, CharacterSkills
from domain.industry.workflow import JobOrder, MaterialDecision, ordered_job

CATALOG = read_catalog(SAMPLE_CATALOG)
SNAPSHOT = CatalogSnapshot(
    graph=ProductionGraph.from_recipes(CATALOG.recipes), names={i.type_id: i.name for i in CATALOG.items}, volumes={}
)
FERNITE_ALLOY, ALLOY_FORMULA, FUEL, SCANDIUM, VANADIUM = 16656, 46171, 4246, 16639, 16642
WOLF, WOLF_BLUEPRINT, RIFTER = 11371, 11372, 587
MINMATAR_STARSHIP_ENGINEERING, MECHANICAL_ENGINEERING = 11445, 11452


def test_a_reaction_takes_no_me_but_the_refinerys_rig_and_the_reactions_skill() -> None:
    refinery = Facility(rig_material_bonus=0.02, rig_time_bonus=0.2, security=Security.LOW)
    chemist = Character(character_id=1, name="Chem", skills=CharacterSkills(reactions=4))
    order = JobOrder(
        product_type_id=FERNITE_ALLOY, blueprint_type_id=ALLOY_FORMULA, runs=10, me_level=10, facility=refinery
    )
    job = ordered_job(order, SNAPSHOT, chemist)
    # 10 runs x 100 Scandium x (1 - 0.02 x 1.9) = 962 (ME ignored); fuel 50 x 0.962 = 48.1 -> 49
    assert {m.type_id: m.quantity for m in job.materials} == {FUEL: 49, SCANDIUM: 962, VANADIUM: 962}
    # 10 x 10,800 s x 0.84 (Reactions IV) x (1 - 0.2 x 1.9) = 56,246.4 -> 56,246 s
    assert (job.activity.value, job.expected_output, job.duration_seconds) == ("reaction", 2_000, 56_246)


def test_the_science_skills_a_character_has_shorten_the_tech_ii_jobs_that_require_them() -> None:
    engineer = CharacterSkills(others={MINMATAR_STARSHIP_ENGINEERING: 4, MECHANICAL_ENGINEERING: 5})
    order = JobOrder(product_type_id=WOLF, blueprint_type_id=WOLF_BLUEPRINT, runs=1)
    job = ordered_job(order, SNAPSHOT, Character(character_id=1, name="Eng", skills=engineer))
    assert job.duration_seconds == 109_440  # 120,000 s x 0.96 x 0.95


def test_a_material_decided_twice_is_refused_naming_the_second() -> None:
    twice = (MaterialDecision(type_id=RIFTER, decision="make"), MaterialDecision(type_id=RIFTER, decision="buy"))
    order = JobOrder(product_type_id=WOLF, blueprint_type_id=WOLF_BLUEPRINT, runs=1, materials=twice)
    with pytest.raises(InvalidInput) as refused:
        ordered_job(order, SNAPSHOT, None)
    assert refused.value.field == "materials[1].type_id"


def test_a_blueprint_of_another_product_names_the_one_that_makes_it() -> None:
    with pytest.raises(RuleViolation, match=r"Rifter Blueprint does not make Wolf; Wolf Blueprint \(11372\) does"):
        ordered_job(JobOrder(product_type_id=WOLF, blueprint_type_id=691, runs=1), SNAPSHOT, None)
