"""Run generation schedules its jobs over the characters' slots: each job, deepest stage first,
on the slot that lets it start earliest (a stage starts once the deeper ones have ended), around
the slots other runs' jobs keep busy, timed with that character's skills.

The plan and catalog are test_plan_generation's. Every run takes 600 s (untrained, TE 0), so a
ship job of 5 runs takes 3,000 s. ``SHIPS`` is the plan cut to its last step (its inputs bought):
12 ships are three jobs of one stage, of 5, 5 and 2 runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.industry.characters import Character, CharacterSkills
from domain.industry.generation import Generation, generate
from domain.industry.plan import PlanStep
from domain.industry.slots import BusySlot
from tests.unit.test_plan_generation import GRAPH, B, C, D, S, plan_steps

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALICE = Character(character_id=1, name="Alice", skills=CharacterSkills(mass_production=1))  # 2 manufacturing slots
BOB = Character(character_id=2, name="Bob")  # 1 slot of each group


def ships_only() -> dict[int, PlanStep]:
    root = next(step for step in plan_steps().values() if step.parent_step_id is None)
    return {root.step_id: root}


def busy_slot(character: Character, after: float | None) -> BusySlot:
    """A manufacturing slot of ``character`` busy until ``after`` seconds from now (None: unknown)."""
    return BusySlot(
        character_id=character.character_id,
        group="manufacturing",
        until=None if after is None else NOW + timedelta(seconds=after),
    )


def schedule(result: Generation) -> list[tuple[int | None, float | None]]:
    """(character, seconds after NOW it can start) per job, in run order."""
    return [
        (
            job.spec.character_id,
            None if job.spec.start_after is None else (job.spec.start_after - NOW).total_seconds(),
        )
        for job in result.jobs
    ]


def ships(characters: Sequence[Character] = (), parallelism: int = 0, busy: Sequence[BusySlot] = ()) -> Generation:
    return generate(ships_only(), GRAPH, 12, characters=characters, parallelism=parallelism, busy=busy, now=NOW)


def test_without_characters_no_job_has_a_character_or_a_start_time() -> None:
    result = ships()
    assert schedule(result) == [(None, None)] * 3 and result.finishes_at is None


def test_a_stage_starts_once_every_job_of_the_deeper_stages_has_ended() -> None:
    result = generate(plan_steps(), GRAPH, 7, characters=[ALICE, BOB], now=NOW)
    # B: 125 reaction runs (75,000 s); C: 56 runs (33,600 s); D: 21 runs (12,600 s); S: 5 + 2 runs.
    assert [j.spec.product_type_id for j in result.jobs] == [B, C, D, S, S]
    assert schedule(result) == [(1, 0.0), (1, 75_000.0), (1, 108_600.0), (1, 121_200.0), (2, 121_200.0)]
    assert result.finishes_at == NOW + timedelta(seconds=121_200 + 3_000)


def test_a_stage_spreads_over_the_characters_before_giving_one_a_second_job() -> None:
    assert schedule(ships(characters=[ALICE, BOB])) == [(1, 0.0), (2, 0.0), (1, 0.0)]


def test_a_slot_busy_until_a_time_delays_the_first_job_to_it() -> None:
    result = ships(characters=[BOB], busy=[busy_slot(BOB, 7_200)])
    assert schedule(result) == [(2, 7_200.0), (2, 10_200.0), (2, 13_200.0)]
    assert result.finishes_at == NOW + timedelta(seconds=13_200 + 1_200)


def test_free_slots_are_taken_before_busy_ones() -> None:
    # Alice's first slot is busy for an hour: Bob and her second slot start at once; the third
    # job goes to whichever frees first, Bob on a tie (spread over characters first).
    assert schedule(ships(characters=[ALICE, BOB], busy=[busy_slot(ALICE, 3_600)])) == [
        (2, 0.0),
        (1, 0.0),
        (2, 3_000.0),
    ]


def test_a_character_running_more_jobs_than_it_has_slots_frees_one_when_the_surplus_ends() -> None:
    assert schedule(ships(characters=[BOB], busy=[busy_slot(BOB, 600), busy_slot(BOB, 1_800)]))[0] == (2, 1_800.0)


def test_a_slot_busy_until_an_unknown_time_is_not_used() -> None:
    assert schedule(ships(characters=[ALICE, BOB], busy=[busy_slot(BOB, None)])) == [(1, 0.0), (1, 0.0), (1, 3_000.0)]
    alone = ships(characters=[BOB], busy=[busy_slot(BOB, None)])
    assert schedule(alone) == [(None, None)] * 3 and alone.finishes_at is None


def test_a_run_uses_at_most_parallelism_slots_of_a_group() -> None:
    assert schedule(ships(characters=[ALICE, BOB], parallelism=1)) == [(1, 0.0), (1, 3_000.0), (1, 6_000.0)]
    assert schedule(ships(characters=[ALICE, BOB], parallelism=2)) == [(1, 0.0), (2, 0.0), (1, 3_000.0)]
    # with Alice's first slot busy, the one slot allowed is the one free now
    assert schedule(ships(characters=[ALICE, BOB], parallelism=1, busy=[busy_slot(ALICE, 3_600)])) == [
        (2, 0.0),
        (2, 3_000.0),
        (2, 6_000.0),
    ]


def test_each_job_is_timed_with_the_skills_of_the_character_it_is_given() -> None:
    skilled = Character(character_id=3, name="Cyd", skills=CharacterSkills(industry=5))  # 20% faster
    result = ships(characters=[skilled, BOB])
    assert [(j.spec.character_id, j.spec.duration_seconds) for j in result.jobs] == [
        (3, 2_400.0),
        (2, 3_000.0),
        (3, 960.0),
    ]
    assert schedule(result)[2] == (3, 2_400.0)


def test_without_now_jobs_get_characters_but_no_start_time() -> None:
    result = generate(ships_only(), GRAPH, 12, characters=[ALICE, BOB])
    assert [j.spec.character_id for j in result.jobs] == [1, 2, 1]
    assert {j.spec.start_after for j in result.jobs} == {None} and result.finishes_at is None


def test_after_a_job_no_slot_is_known_to_free_for_the_later_stages_have_no_start_time() -> None:
    # Bob's only reaction slot is busy until nobody knows when: the reaction has no character,
    # so the stages built on its output cannot say when they start (but are still spread).
    reactions_busy = BusySlot(character_id=BOB.character_id, group="reactions", until=None)
    result = generate(plan_steps(), GRAPH, 7, characters=[BOB], now=NOW, busy=[reactions_busy])
    assert [(j.spec.product_type_id, *entry) for j, entry in zip(result.jobs, schedule(result), strict=True)] == [
        (B, None, None),
        (C, 2, None),
        (D, 2, None),
        (S, 2, None),
        (S, 2, None),
    ]
    assert result.finishes_at is None
