"""EVE industry math, checked against the game's published numbers."""

from __future__ import annotations

import pytest

from domain.catalog.industry import Facility, Security, Skills, job_quantity, job_time, material_modifier

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
    expected = 6000 * 2 * 0.8 * 0.8 * 0.88 * 0.95 * 0.85 * 0.8
    assert job_time(6000, 2, 20, raitaru, skills, required=[3380]) == pytest.approx(expected)
    assert job_time(6000, 2, 20, raitaru, skills) == pytest.approx(expected / 0.95), "only required skills count"
    assert job_time(10800, 1, 20, Facility(), Skills(reactions=4), reaction=True) == pytest.approx(10800 * 0.84)
