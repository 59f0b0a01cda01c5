"""Run generation with the blueprints the user owns: the best one per step (highest ME, then
TE, an original before copies when equal), copies feeding at most their runs left, and runs
no owned copy can feed reported instead of assumed."""

from __future__ import annotations

from domain.industry.blueprints import OwnedBlueprint
from domain.industry.generation import generate
from tests.unit.test_plan_generation import GRAPH, S, plan_steps

SHIP_BLUEPRINT = 1300


def owned(item: int, me: int, te: int = 0, *, runs: int | None = None) -> OwnedBlueprint:
    return OwnedBlueprint(
        blueprint_id=item,
        type_id=SHIP_BLUEPRINT,
        kind="bpo" if runs is None else "bpc",
        material_efficiency=me,
        time_efficiency=te,
        runs=runs,
        quantity=1,
        location_id=1,
        holder_kind="character",
        holder_id=7,
        source="esi",
    )


def ship_jobs(
    blueprints: list[OwnedBlueprint], quantity: int = 7, promised: dict[int, int] | None = None
) -> tuple[list[tuple[int | None, int, int, int]], list[str]]:
    result = generate(
        plan_steps(),
        GRAPH,
        quantity,
        blueprints={SHIP_BLUEPRINT: blueprints},
        promised_copy_runs=promised,
        names={S: "Ship"},
    )
    jobs = [
        (j.spec.blueprint_id, j.spec.runs, j.spec.me_level, j.spec.te_level)
        for j in result.jobs
        if j.spec.product_type_id == S
    ]
    return jobs, [m.message for m in result.missing_blueprints]


def test_without_owned_blueprints_the_plans_defaults_are_used_and_nothing_is_missing() -> None:
    assert ship_jobs([]) == ([(None, 5, 0, 0), (None, 2, 0, 0)], [])


def test_the_owned_original_with_the_highest_me_is_used_for_every_run() -> None:
    jobs, missing = ship_jobs([owned(1, 8, 20), owned(2, 10, 10), owned(3, 10, 4)])
    assert jobs == [(2, 5, 10, 10), (2, 2, 10, 10)] and missing == []


def test_an_original_comes_before_an_equal_copy_and_a_better_copy_before_an_original() -> None:
    jobs, _ = ship_jobs([owned(1, 10, 20, runs=3), owned(2, 10, 20)])
    assert jobs == [(2, 5, 10, 20), (2, 2, 10, 20)]
    jobs, _ = ship_jobs([owned(1, 10, 20, runs=3), owned(2, 8, 20)])
    assert jobs == [(1, 3, 10, 20), (2, 4, 8, 20)]


def test_a_better_me_uses_fewer_materials() -> None:
    plain = generate(plan_steps(), GRAPH, 5)
    researched = generate(plan_steps(), GRAPH, 5, blueprints={SHIP_BLUEPRINT: [owned(1, 10)]})
    [plain_ship] = [j for j in plain.jobs if j.spec.product_type_id == S]
    [researched_ship] = [j for j in researched.jobs if j.spec.product_type_id == S]
    assert sum(m.quantity for m in researched_ship.spec.materials) < sum(m.quantity for m in plain_ship.spec.materials)


def test_copies_cap_the_runs_they_feed_and_the_shortfall_is_reported() -> None:
    jobs, missing = ship_jobs([owned(1, 10, runs=2), owned(2, 6, runs=1)], quantity=7)
    assert jobs == [(1, 2, 10, 0), (2, 1, 6, 0), (None, 4, 0, 0)]
    assert missing == ["needs 4 more runs of Ship Blueprint copies"]


def test_two_runs_share_a_copy_and_the_second_is_short_by_what_the_first_holds() -> None:
    copy = owned(1, 10, runs=10)
    first, missing = ship_jobs([copy], quantity=7)
    assert first == [(1, 5, 10, 0), (1, 2, 10, 0)] and missing == []
    held = {1: sum(runs for blueprint_id, runs, _, _ in first if blueprint_id == 1)}  # the first run's planned jobs
    second, missing = ship_jobs([copy], quantity=7, promised=held)
    assert second == [(1, 3, 10, 0), (None, 4, 0, 0)]
    assert missing == ["needs 4 more runs of Ship Blueprint copies"]


def test_a_copy_whose_runs_are_all_promised_feeds_nothing_and_an_original_takes_over() -> None:
    jobs, missing = ship_jobs([owned(1, 10, runs=4), owned(2, 8)], quantity=7, promised={1: 4})
    assert jobs == [(2, 5, 8, 0), (2, 2, 8, 0)] and missing == []
