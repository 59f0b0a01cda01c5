"""EVE industry math, checked against the game's published numbers."""

from __future__ import annotations

import pytest

from domain.catalog.industry import (
    SCIENCE_SKILL,
    Facility,
    RigGrade,
    Security,
    Skills,
    Structure,
    job_quantity,
    job_time,
    material_modifier,
)
from domain.catalog.model import ActivityKind

RAITARU_T1_NULL = Facility(structure_material_bonus=0.01, rig_material_bonus=0.02, security=Security.NULL)


def test_golem_morphite_with_me1_raitaru_and_t1_rig_in_null_sec_is_916() -> None:
    # 975 × 0.99 × 0.99 × (1 − 0.02 × 2.1) = 915.46… → 916 (adding the bonuses would give 915)
    assert job_quantity(975, 1, material_modifier(1, RAITARU_T1_NULL)) == 916


def test_a_job_never_uses_less_than_one_unit_per_run() -> None:
    # 20 × 1 × 0.92 × 0.99 = 18.216 → 19, but the floor is one per run: 20
    assert job_quantity(1, 20, material_modifier(8, Facility(structure_material_bonus=0.01))) == 20


def test_rounding_is_per_job_not_per_run() -> None:
    modifier = material_modifier(10, Facility())  # 0.9
    assert job_quantity(15, 10, modifier) == 135  # 10 × 13.5 = 135, not 10 × ceil(13.5) = 140
    assert job_quantity(15, 1, modifier) == 14


def test_quantities_are_rounded_to_two_decimals_before_the_ceiling() -> None:
    # 201 x 0.99 (ME 1) x 0.99 (engineering complex) = 197.0001: the game asks 197, a bare ceil 198
    modifier = material_modifier(1, Facility(structure_material_bonus=0.01))
    assert 201 * modifier > 197
    assert job_quantity(201, 1, modifier) == 197


@pytest.mark.parametrize(("me", "expected"), [(0, 32000), (5, 30400), (10, 28800)])
def test_rifter_tritanium_at_several_me_levels(me: int, expected: int) -> None:
    assert job_quantity(32000, 1, material_modifier(me, Facility())) == expected


def test_reactions_ignore_me_but_not_the_facility() -> None:
    refinery = Facility(rig_material_bonus=0.02, security=Security.LOW)
    assert material_modifier(10, refinery, reaction=True) == pytest.approx(1 - 0.02 * 1.9)


def test_time_multiplies_te_skills_structure_and_rigs() -> None:
    skills = Skills(industry=5, advanced_industry=4, science={3380: 5})
    raitaru = Facility(structure_time_bonus=0.15, rig_time_bonus=0.20, security=Security.HIGH)
    # 6000 × 2 × 0.8 × 0.8 × 0.88 × 0.95 × 0.85 × 0.8 = 4,365.93 s: the game says 4,366
    assert job_time(6000, 2, 20, raitaru, skills, required=[3380]) == 4366
    assert job_time(6000, 2, 20, raitaru, skills) == 4596, "only required skills count (4,595.71 without the 5%)"
    assert (
        job_time(10800, 1, 20, Facility(), Skills(reactions=4), activity=ActivityKind.REACTION) == 9072
    )  # 10800 × 0.84


def test_a_ten_run_rifter_batch_takes_whole_seconds_as_the_game_reports_them() -> None:
    # 10 × 6000 × 0.8 (TE 20) × 0.8 (Industry V) × 0.85 (Advanced Industry V) multiplies to
    # 32640.000000000004 in floats; the game rounds the job's time once, to whole seconds
    seconds = job_time(6000, 10, 20, Facility(), Skills(industry=5, advanced_industry=5))
    assert (seconds, type(seconds)) == (32_640, int)


def test_a_half_second_rounds_up_as_the_game_rounds_it() -> None:
    # 25 s × 0.5 (a 50% structure bonus) = 12.5 s: the game's round takes halves away from zero
    # (Python 3's round would give 12); 27 s gives 13.5 -> 14 either way
    half = Facility(structure_time_bonus=0.5)
    assert [job_time(base, 1, 0, half, Skills()) for base in (25, 27, 3)] == [13, 14, 2]


def test_refineries_react_with_their_own_bonuses_and_engineering_complexes_build_with_theirs() -> None:
    """A Tatara reacts 25% faster, an Athanor at no bonus; neither saves material. A T2 time
    rig in low-sec saves 0.24 × 1.9 = 45.6%: a 10,800 s reaction at a Tatara takes
    10,800 × 0.75 × 0.544 = 4,406.4 s, 4,406 whole (Reactions skill untrained)."""
    tatara = Facility(structure=Structure.TATARA, time_rig=RigGrade.T2, security=Security.LOW)
    assert (tatara.structure_material_bonus, tatara.structure_time_bonus) == (0.0, 0.25)
    assert job_time(10_800, 1, 0, tatara, Skills(), activity=ActivityKind.REACTION) == 4_406
    athanor = Facility(structure=Structure.ATHANOR)
    assert (athanor.structure_material_bonus, athanor.structure_time_bonus) == (0.0, 0.0)
    azbel = Facility(structure=Structure.AZBEL, material_rig=RigGrade.T1)
    assert (azbel.structure_material_bonus, azbel.structure_time_bonus, azbel.rig_material_bonus) == (0.01, 0.2, 0.02)


def test_copying_and_invention_are_timed_by_their_own_skills_and_ignore_te() -> None:
    """Copying: Advanced Industry 3% and Science 5% a level; invention: Advanced Industry only;
    neither reads Industry or the blueprint's TE. The Hobgoblin I blueprint copies in 240 s a
    run and invents in 7,800 s an attempt (the sample catalog's): 7 copy runs with Advanced
    Industry IV and Science V take 1,680 × 0.88 × 0.75 = 1,108.8 s; an attempt with Advanced
    Industry V, 7,800 × 0.85 = 6,630 s."""
    skills = Skills(industry=5, advanced_industry=4, science={SCIENCE_SKILL: 5})
    assert job_time(240, 7, 20, Facility(), skills, activity=ActivityKind.COPYING) == 1_109
    inventor = Skills(industry=5, advanced_industry=5, science={SCIENCE_SKILL: 5})
    assert job_time(7_800, 1, 20, Facility(), inventor, activity=ActivityKind.INVENTION) == 6_630
