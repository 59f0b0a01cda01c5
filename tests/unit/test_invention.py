"""Invention on the sample catalog's real data, every expected number worked out by hand.

Hobgoblin II (2456): invented from the Hobgoblin I Blueprint (2455) at a base chance of 0.34 into
a Hobgoblin II Blueprint (2457) copy of 10 runs; each attempt takes one Datacore - Graviton Physics
(20419) and one Datacore - Electronic Engineering (20418). The skill bonus is
``1 + (science1 + science2) / 30 + encryption / 40``: at 5/5/5 (encryption, science1, science2)
it is 1 + 10/30 + 5/40 = 35/24, so the chance is 0.34 × 35/24 = 0.4958333.

The costs use round made-up prices so the arithmetic stays checkable (see ``MARKET``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from domain.catalog.invention import (
    InventionOption,
    InventionSkills,
    attempts_for_confidence,
    invention_options,
    invention_probability,
    inventions,
)
from domain.catalog.model import ActivityKind, Decryptor, Material
from domain.economics import AdjustedPrice, CostIndex, JobSite, MarketData, Missing, PriceQuote
from domain.economics.invention import cheapest, invention_costs
from domain.errors import InvalidInput

CATALOG = read_catalog(SAMPLE_CATALOG)
INVENTIONS = inventions(CATALOG.recipes)
DECRYPTORS = {item.type_id: item.decryptor for item in CATALOG.items if item.decryptor is not None}
HOBGOBLIN_II, HOBGOBLIN_I_BLUEPRINT, HOBGOBLIN_II_BLUEPRINT, WOLF = 2456, 2455, 2457, 11371
GRAVITON_DATACORE, ELECTRONIC_DATACORE = 20419, 20418
ACCELERANT, ATTAINMENT, AUGMENTATION, PARITY, PROCESS, SYMMETRY, OPTIMIZED_ATTAINMENT, OPTIMIZED_AUGMENTATION = range(
    34201, 34209
)
ALL_FIVE = InventionSkills()
HOBGOBLIN = INVENTIONS[HOBGOBLIN_II]


def options(skills: InventionSkills = ALL_FIVE, confidence: float = 0.95) -> dict[int | None, InventionOption]:
    return {option.decryptor_type_id: option for option in invention_options(HOBGOBLIN, DECRYPTORS, skills, confidence)}


def test_the_hobgoblin_ii_is_invented_from_the_hobgoblin_i_blueprint() -> None:
    assert (HOBGOBLIN.blueprint_id, HOBGOBLIN.invented_blueprint_id) == (HOBGOBLIN_I_BLUEPRINT, HOBGOBLIN_II_BLUEPRINT)
    assert (HOBGOBLIN.base_probability, HOBGOBLIN.base_runs, HOBGOBLIN.time, HOBGOBLIN.copy_time) == (
        0.34,
        10,
        7800,
        240,
    )
    assert HOBGOBLIN.materials == (
        Material(type_id=GRAVITON_DATACORE, quantity=1),
        Material(type_id=ELECTRONIC_DATACORE, quantity=1),
    )
    # Electronic Engineering, Graviton Physics, Gallente Encryption Methods
    assert HOBGOBLIN.skills == (11453, 11446, 23121)
    assert INVENTIONS[WOLF].blueprint_id == 691 and INVENTIONS[WOLF].base_runs == 1
    assert 587 not in INVENTIONS, "the Rifter is built, not invented"
    assert 11400 not in INVENTIONS, "the Jaguar's blueprint has no recipe in the sample: what it makes is unknown"


@pytest.mark.parametrize(
    ("skills", "chance"),
    [
        (InventionSkills(), 0.34 * 35 / 24),  # 0.4958333
        (InventionSkills(encryption=4, science1=4, science2=3), 0.34 * 4 / 3),  # 1 + 7/30 + 4/40 = 4/3: 0.4533333
        (InventionSkills(encryption=0, science1=0, science2=0), 0.34),
    ],
)
def test_chance_without_a_decryptor_at_several_skill_levels(skills: InventionSkills, chance: float) -> None:
    assert invention_probability(0.34, skills) == pytest.approx(chance)
    assert options(skills)[None].probability == pytest.approx(chance)


@pytest.mark.parametrize(
    ("decryptor", "chance"),
    [
        (ACCELERANT, 0.595),  # 0.4958333 x 1.2
        (ATTAINMENT, 0.8925),  # x 1.8
        (AUGMENTATION, 0.2975),  # x 0.6
        (PARITY, 0.74375),  # x 1.5
        (PROCESS, 0.5454167),  # x 1.1
        (SYMMETRY, 0.4958333),  # x 1.0
        (OPTIMIZED_ATTAINMENT, 0.9420833),  # x 1.9
        (OPTIMIZED_AUGMENTATION, 0.44625),  # x 0.9
    ],
)
def test_chance_with_each_decryptor_at_all_fives(decryptor: int, chance: float) -> None:
    assert options()[decryptor].probability == pytest.approx(chance, abs=1e-7)


def test_chance_with_a_decryptor_at_lower_skills() -> None:
    assert options(InventionSkills(encryption=4, science1=4, science2=3))[ATTAINMENT].probability == pytest.approx(
        0.816  # 0.34 x 4/3 x 1.8
    )
    assert options(InventionSkills(encryption=0, science1=0, science2=0))[PARITY].probability == pytest.approx(0.51)


@pytest.mark.parametrize(
    ("decryptor", "runs", "me", "te"),
    [
        (None, 10, 2, 4),  # the invented copy: the SDE's 10 runs, ME 2, TE 4
        (ACCELERANT, 11, 4, 14),
        (ATTAINMENT, 14, 1, 8),
        (AUGMENTATION, 19, 0, 6),
        (PARITY, 13, 3, 2),
        (PROCESS, 10, 5, 10),
        (SYMMETRY, 12, 3, 12),
        (OPTIMIZED_ATTAINMENT, 12, 3, 2),
        (OPTIMIZED_AUGMENTATION, 17, 4, 4),
    ],
)
def test_runs_me_and_te_of_the_invented_copy_per_decryptor(decryptor: int | None, runs: int, me: int, te: int) -> None:
    option = options()[decryptor]
    assert (option.runs_per_copy, option.me, option.te) == (runs, me, te)


def test_each_attempt_consumes_the_datacores_the_decryptor_and_the_tech_i_copy() -> None:
    copy = Material(type_id=HOBGOBLIN_I_BLUEPRINT, quantity=1)
    datacores = (Material(type_id=GRAVITON_DATACORE, quantity=1), Material(type_id=ELECTRONIC_DATACORE, quantity=1))
    assert options()[None].materials == (*datacores, copy)
    assert options()[ACCELERANT].materials == (*datacores, Material(type_id=ACCELERANT, quantity=1), copy)
    wolf = invention_options(INVENTIONS[WOLF], {}, ALL_FIVE, 0.9)
    assert [option.decryptor_type_id for option in wolf] == [None]
    assert wolf[0].materials == (
        Material(type_id=20172, quantity=2),  # Datacore - Minmatar Starship Engineering
        Material(type_id=20424, quantity=2),  # Datacore - Mechanical Engineering
        Material(type_id=691, quantity=1),
    )
    assert wolf[0].probability == pytest.approx(0.3 * 35 / 24)  # 0.4375
    assert wolf[0].runs_per_copy == 1


def test_options_come_without_a_decryptor_first_then_by_decryptor() -> None:
    assert list(options()) == [None, *range(34201, 34209)]


@pytest.mark.parametrize(
    ("skills", "decryptor", "confidence", "attempts"),
    [
        # p = 0.4958333, 1 - p = 0.5041667: 3 attempts reach 1 - 0.12815 = 0.872, 4 reach 0.935
        (ALL_FIVE, None, 0.9, 4),
        # 6 reach 1 - 0.01642 = 0.9836, 7 reach 1 - 0.00828 = 0.9917
        (ALL_FIVE, None, 0.99, 7),
        # p = 0.34: 0.66^5 = 0.125 (0.875 reached), 0.66^6 = 0.0827 (0.917)
        (InventionSkills(encryption=0, science1=0, science2=0), None, 0.9, 6),
        # 0.66^11 = 0.01035 (0.98965, just short), 0.66^12 = 0.00683 (0.9932)
        (InventionSkills(encryption=0, science1=0, science2=0), None, 0.99, 12),
        # p = 0.4533333, 1 - p = 0.5466667: 0.5466667^3 = 0.163, ^4 = 0.0893
        (InventionSkills(encryption=4, science1=4, science2=3), None, 0.9, 4),
        # ^7 = 0.01465, ^8 = 0.00801
        (InventionSkills(encryption=4, science1=4, science2=3), None, 0.99, 8),
        # p = 0.9420833: one attempt reaches 0.942; two 1 - 0.0579^2 = 0.99665
        (ALL_FIVE, OPTIMIZED_ATTAINMENT, 0.9, 1),
        (ALL_FIVE, OPTIMIZED_ATTAINMENT, 0.99, 2),
    ],
)
def test_attempts_for_a_confidence(
    skills: InventionSkills, decryptor: int | None, confidence: float, attempts: int
) -> None:
    assert options(skills, confidence)[decryptor].attempts_for_confidence == attempts


def test_attempts_expected_are_one_over_the_chance() -> None:
    assert options()[None].attempts_expected == pytest.approx(240 / 119)  # 1 / (119/240) = 2.0168
    assert options()[ATTAINMENT].attempts_expected == pytest.approx(1 / 0.8925)


@pytest.mark.parametrize(
    ("probability", "confidence", "attempts"),
    [
        (0.5, 0.75, 2),  # 1 - 0.5^2 = 0.75 exactly: log(0.25) / log(0.5) is 2 only up to rounding
        (0.1, 1 - 0.9**3, 3),  # the confidence three attempts give, to the last bit
        (0.5, 0.5, 1),
        (1.0, 0.99, 1),
        (0.001, 0.5, 693),  # 0.999^692 = 0.50047, 0.999^693 = 0.49997
    ],
)
def test_attempts_for_confidence_at_the_edges(probability: float, confidence: float, attempts: int) -> None:
    assert attempts_for_confidence(probability, confidence) == attempts


def test_a_chance_never_passes_certainty() -> None:
    assert invention_probability(0.9, ALL_FIVE, Decryptor(probability_multiplier=1.9)) == 1.0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: InventionSkills(science2=6), "science2"),
        (lambda: InventionSkills(encryption=-1), "encryption"),
        (lambda: options(confidence=1.0), "confidence"),
        (lambda: options(confidence=0.0), "confidence"),
        (lambda: attempts_for_confidence(0.0, 0.9), "probability"),
    ],
)
def test_bad_skills_and_confidence_are_refused_naming_the_field(call: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        call()
    assert refused.value.field == field


# ----------------------------------------------------------------- costs

REGION, JITA = 10000002, 30000142
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SITE = JobSite(solar_system_id=JITA)  # an NPC station: 0.25% facility tax, 4% SCC surcharge
# Lowest sells: the datacores 60,000 and 40,000; Accelerant 500,000, Attainment 100,000; the
# Hobgoblin II's inputs per run 11,000 + 21,000 + 16,000 + 6,000 + 55,000 + 1,100 = 110,100.
SELL = {
    GRAVITON_DATACORE: 60_000.0,
    ELECTRONIC_DATACORE: 40_000.0,
    ACCELERANT: 500_000.0,
    ATTAINMENT: 100_000.0,
    11399: 11_000.0,
    11688: 21_000.0,
    9834: 16_000.0,
    2454: 6_000.0,
    9848: 55_000.0,
    11481: 1_100.0,
}
# Adjusted prices: the Hobgoblin II's inputs 10,000 + 20,000 + 15,000 + 5,000 + 50,000 + 1,000 =
# 101,000 a run (its EIV); the Hobgoblin I's 509 x 4 + 7 x 10 + 4 x 100 + 2 x 500 = 3,506 a run.
ADJUSTED = {11399: 10_000.0, 11688: 20_000.0, 9834: 15_000.0, 2454: 5_000.0, 9848: 50_000.0, 11481: 1_000.0}
ADJUSTED |= {34: 4.0, 35: 10.0, 37: 100.0, 38: 500.0}
INDICES = {"invention": 0.05, "copying": 0.02, "manufacturing": 0.04}


def market(sell: dict[int, float] = SELL) -> MarketData:
    return MarketData(
        REGION,
        quotes=[PriceQuote(region_id=REGION, type_id=t, observed_at=NOON, lowest_sell=p) for t, p in sell.items()],
        adjusted=[AdjustedPrice(type_id=t, adjusted_price=p, observed_at=NOON) for t, p in ADJUSTED.items()],
        cost_indices=[
            CostIndex(solar_system_id=JITA, activity=ActivityKind(a), cost_index=i, observed_at=NOON)
            for a, i in INDICES.items()
        ],
    )


def test_costs_per_attempt_copy_and_unit_without_a_decryptor() -> None:
    costs = invention_costs(HOBGOBLIN, options()[None], market(), SITE)

    # datacores 100,000
    # + invention job: 2% of the Hobgoblin II's EIV 101,000 = 2,020, x (5% index + 0.25% + 4%) = 186.85
    # + copying the single-run Tech I copy: 2% of 3,506 = 70.12, x (2% + 4.25%) = 4.3825
    assert costs.per_attempt.value == pytest.approx(100_191.2325)
    # x 1 / p = 240 / 119
    assert costs.per_copy.value == pytest.approx(100_191.2325 * 240 / 119)  # 202,066.35
    # + 10 runs at ME 2: max(10, ceil(10 x 0.98)) = 10 of each input: 1,101,000
    # + manufacturing job 1,010,000 x (4% + 4.25%) = 83,325; over 10 units
    assert costs.per_unit.value == pytest.approx((100_191.2325 * 240 / 119 + 1_101_000 + 83_325) / 10)  # 138,639.14
    assert costs.per_unit.as_of == NOON and costs.missing == ()


def test_a_decryptor_that_costs_more_per_attempt_can_cost_less_per_unit() -> None:
    costs = [invention_costs(HOBGOBLIN, option, market(), SITE) for option in options().values()]
    by_decryptor = {cost.decryptor_type_id: cost for cost in costs}

    # Attainment: 200,191.2325 an attempt, p = 0.8925, 14 runs at ME 1: 14 of each input
    # (ceil(14 x 0.99) = 14) = 1,541,400 and a job of 1,414,000 x 8.25% = 116,655
    attainment = (200_191.2325 / 0.8925 + 1_541_400 + 116_655) / 14
    assert by_decryptor[ATTAINMENT].per_unit.value == pytest.approx(attainment)  # 134,454.21
    # Accelerant: 600,191.2325 / 0.595 + 11 runs at ME 4 (11 x 110,100 + 1,111,000 x 8.25%), over 11
    assert by_decryptor[ACCELERANT].per_unit.value == pytest.approx(210_134.75, abs=0.01)
    assert by_decryptor[None].per_unit.value == pytest.approx(138_639.135, abs=0.01)
    best = cheapest(costs)
    assert best is not None and best.decryptor_type_id == ATTAINMENT


def test_an_unpriced_decryptor_leaves_its_option_unknown_and_is_never_cheapest() -> None:
    costs = [invention_costs(HOBGOBLIN, option, market(), SITE) for option in options().values()]
    parity = next(cost for cost in costs if cost.decryptor_type_id == PARITY)

    assert parity.per_attempt.value is None and parity.per_unit.value is None
    assert parity.missing == (
        Missing(what="sell_price", id=PARITY, reason="no market quote for this item in the region"),
    )
    best = cheapest(costs)
    assert best is not None and best.decryptor_type_id == ATTAINMENT


def test_without_a_cost_index_the_jobs_and_so_every_cost_are_unknown() -> None:
    costs = invention_costs(HOBGOBLIN, options()[None], market(), JobSite(solar_system_id=30000001))

    assert costs.per_attempt.value is None and costs.per_unit.value is None
    assert {(m.what, m.id) for m in costs.missing} == {("cost_index", 30000001)}
    assert cheapest([costs]) is None
