"""A character's skills: the named industry ones and every other by type id, and the ones a
recipe requires that it lacks (the game's MISSING_SKILL rule: below the required level, an
untrained skill at 0)."""

from __future__ import annotations

import pytest

from domain.catalog.model import Skill
from domain.errors import InvalidInput
from domain.industry.characters import CharacterSkills, MissingSkill

INDUSTRY, REACTIONS, RESEARCH = 3380, 45746, 3403
ADVANCED_SMALL_SHIP_CONSTRUCTION, MECHANICAL_ENGINEERING = 3395, 11452


def test_skills_from_the_game_are_sorted_into_named_ones_and_others_each_within_0_to_5() -> None:
    skills = CharacterSkills.from_levels({INDUSTRY: 7, REACTIONS: 2, ADVANCED_SMALL_SHIP_CONSTRUCTION: 4, RESEARCH: 0})
    assert (skills.industry, skills.reactions, skills.others) == (5, 2, {ADVANCED_SMALL_SHIP_CONSTRUCTION: 4})
    assert skills.level(INDUSTRY) == 5 and skills.level(MECHANICAL_ENGINEERING) == 0


def test_a_character_misses_each_required_skill_below_its_level_an_untrained_one_at_0() -> None:
    skills = CharacterSkills(industry=4, others={ADVANCED_SMALL_SHIP_CONSTRUCTION: 1})
    wolf = [Skill(type_id=INDUSTRY, level=5), Skill(type_id=ADVANCED_SMALL_SHIP_CONSTRUCTION, level=1)]
    wolf.append(Skill(type_id=MECHANICAL_ENGINEERING, level=1))
    assert skills.missing(wolf) == (
        MissingSkill(type_id=INDUSTRY, level=5, trained=4),
        MissingSkill(type_id=MECHANICAL_ENGINEERING, level=1, trained=0),
    )


def test_a_named_skill_among_the_others_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        CharacterSkills(others={INDUSTRY: 5}).validated()
    assert refused.value.field == "skills.others"
