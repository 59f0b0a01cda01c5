"""Economics rows and make-or-buy of an invented item, on the sample catalog's real Hobgoblin II,
every expected number worked out by hand.

Hobgoblin II (2456), one unit a run: one each of Morphite (11399), Particle Accelerator Unit
(11688), Guidance Systems (9834), Hobgoblin I (2454), Robotics (9848) and R.A.M.- Robotics
(11481), and one run of a Hobgoblin II Blueprint (2457) copy. The copy is invented from a
single-run Hobgoblin I Blueprint (2455) copy with a Graviton Physics (20419) and an Electronic
Engineering (20418) datacore, base chance 0.34, 10 runs a copy; the Hobgoblin I is made of 509
Tritanium, 7 Pyerite, 4 Isogen and 2 Nocxium.

The market is ``tests/unit/test_invention.py``'s (where each option's cost is worked out term by
term) with minerals and the Hobgoblin II added: datacores 60,000 + 40,000; Attainment 100,000,
Accelerant 500,000, the other decryptors unpriced; the Hobgoblin II's bought inputs 11,000 +
21,000 + 16,000 + 55,000 + 1,100 (and the Hobgoblin I 6,000); Tritanium 5, Pyerite 12, Isogen
120, Nocxium 600; the Hobgoblin II sells at 150,000. EIVs: Hobgoblin II 101,000 a run, Hobgoblin
I 3,506. Jita at an NPC station: manufacturing 4% + 0.25% tax + 4% SCC = 8.25%, invention 5%
(9.25%) and copying 2% (6.25%) on 2% of the product's EIV.

At skills V the chance without a decryptor is 0.34 × 35/24 = 0.4958333; with Attainment (× 1.8)
0.8925, 14 runs a copy at ME 1 / TE 8. Per attempt: the invention job 2,020 × 9.25% = 186.85,
copying the Tech I copy 70.12 × 6.25% = 4.3825, so jobs 191.2325. Costs per unit over a copy
(``invention_costs``): none 138,639.14, Attainment 134,454.25, Accelerant 210,134.75: the row
invents with Attainment.
"""

from __future__ import annotations

import pytest

from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from domain.catalog.chains import CatalogSnapshot, ProductionGraph, StepSettings
from domain.catalog.invention import inventions
from domain.economics import Decision, EconomicsSettings, JobSite, MarketData, Strategy, item_economics, make_or_buy
from domain.economics.dependents import Dependents
from domain.economics.invention import InventionChoice, choose_invention
from domain.economics.region import RegionMarket
from domain.errors import NotFound
from projections.economics_service import BASE, Options, at_copy_levels, buildable, compute, invention_choices
from tests.unit.test_invention import ADJUSTED, ATTAINMENT, INDICES, JITA, NOON, REGION, SELL
from tests.unit.test_invention import market as invention_market

CATALOG = read_catalog(SAMPLE_CATALOG)
GRAPH = ProductionGraph.from_recipes(CATALOG.recipes)
SNAPSHOT = CatalogSnapshot(
    GRAPH,
    {item.type_id: item.name for item in CATALOG.items},
    {},
    inventions(CATALOG.recipes),
    {item.type_id: item.decryptor for item in CATALOG.items if item.decryptor is not None},
)
HOBGOBLIN_II, HOBGOBLIN_I, HOBGOBLIN_I_BLUEPRINT, HOBGOBLIN_II_BLUEPRINT = 2456, 2454, 2455, 2457
RIFTER, WOLF = 587, 11371
MINERALS = {34: 5.0, 35: 12.0, 37: 120.0, 38: 600.0}
SITE = JobSite(solar_system_id=JITA)

# Attainment per copy run: datacores and decryptor 200,000 / 0.8925 / 14 = 16,006.4026, jobs
# 191.2325 / 0.8925 / 14 = 15.3047
CONSUMED_PER_RUN = 200_000 / 0.8925 / 14
JOBS_PER_RUN = 191.2325 / 0.8925 / 14


def market(copy_price: float | None = None) -> MarketData:
    sell = SELL | MINERALS | {HOBGOBLIN_II: 150_000.0}
    if copy_price is not None:
        sell |= {HOBGOBLIN_II_BLUEPRINT: copy_price}
    return invention_market(sell)


def region(copy_price: float | None = None) -> RegionMarket:
    return RegionMarket(data=market(copy_price), job_site=SITE)


def test_the_row_invents_with_the_decryptor_cheapest_per_unit() -> None:
    choice = choose_invention(SNAPSHOT.inventions[HOBGOBLIN_II], SNAPSHOT.decryptors, market(), SITE)

    assert (choice.decryptor_type_id, choice.runs_per_copy) == (ATTAINMENT, 14)
    assert choice.probability == pytest.approx(0.8925)  # 0.4958333 x 1.8
    assert (choice.me, choice.te, choice.blueprint_type_id) == (1, 8, HOBGOBLIN_II_BLUEPRINT)
    assert choice.consumed_per_run.value == pytest.approx(CONSUMED_PER_RUN)  # 16,006.4026
    assert choice.jobs_per_run.value == pytest.approx(JOBS_PER_RUN)  # 15.3047
    assert choice.cost_per_run.value == pytest.approx(16_021.7073, abs=1e-4)
    assert choice.cost_per_run.as_of == NOON and choice.missing == ()


def test_the_hobgoblin_ii_row_adds_copy_and_invention_to_manufacturing() -> None:
    row = compute(SNAPSHOT, HOBGOBLIN_II, region(), BASE, {})

    # built at the Attainment copy's ME 1 / TE 8: one run takes max(1, ceil(0.99)) = 1 of each input
    assert (row.me, row.te, row.runs, row.units) == (1, 8, 1, 1)
    # bought: 11,000 + 21,000 + 16,000 + 55,000 + 1,100 = 104,100; the Hobgoblin I made of
    # 509 x 5 + 7 x 12 + 4 x 120 + 2 x 600 = 4,309; the copy run's datacores and decryptor 16,006.4026
    assert row.material_cost.value == pytest.approx(104_100 + 4_309 + CONSUMED_PER_RUN)  # 124,415.4026
    # manufacturing 101,000 x 8.25% = 8,332.5; the Hobgoblin I 3,506 x 8.25% = 289.245;
    # invention and copying 15.3047 a copy run
    assert row.job_cost.value == pytest.approx(8_332.5 + 289.245 + JOBS_PER_RUN)  # 8,637.0497
    assert row.total_cost.value == pytest.approx(133_052.4523, abs=1e-4)
    assert row.profit_sell.value == pytest.approx(150_000 - 133_052.4523, abs=1e-4)
    (line,) = row.invention
    assert (line.type_id, line.blueprint_type_id, line.decision, line.runs) == (
        HOBGOBLIN_II,
        HOBGOBLIN_II_BLUEPRINT,
        Decision.MAKE,
        1,
    )
    assert (line.decryptor_type_id, line.runs_per_copy, line.me, line.te) == (ATTAINMENT, 14, 1, 8)
    assert line.probability == pytest.approx(0.8925)
    # (200,000 + 191.2325) / 0.8925 / 14 per run, one unit a run
    assert line.cost_per_unit.value == pytest.approx(16_021.7073, abs=1e-4)
    assert line.material_cost.value == pytest.approx(CONSUMED_PER_RUN)
    assert line.job_cost.value == pytest.approx(JOBS_PER_RUN)
    assert [(m.what, m.id) for m in row.missing] == [("buy_price", HOBGOBLIN_II)]  # no buy orders here
    assert row.material_cost.as_of == NOON


def test_ten_runs_take_ten_copy_runs() -> None:
    row = compute(SNAPSHOT, HOBGOBLIN_II, region(), Options(strategy="make", runs=10), {})

    # 10 runs at ME 1: ceil(9.9) = 10 of each input; Hobgoblin I 10 made at ME 0
    assert row.material_cost.value == pytest.approx(10 * (104_100 + 4_309 + CONSUMED_PER_RUN))
    assert row.job_cost.value == pytest.approx(10 * (8_332.5 + 289.245 + JOBS_PER_RUN))
    assert row.invention[0].runs == 10


def test_asked_levels_beat_the_copys() -> None:
    row = compute(SNAPSHOT, HOBGOBLIN_II, region(), Options(strategy="make", me=0, te=0), {})

    assert (row.me, row.te) == (0, 0)
    assert row.invention[0].decryptor_type_id == ATTAINMENT  # the invention is still counted


def test_rows_of_items_not_invented_take_no_copy() -> None:
    rifter = compute(SNAPSHOT, RIFTER, region(), BASE, {})
    assert rifter.invention == () and (rifter.me, rifter.te) == (0, 0)
    hobgoblin_i = compute(SNAPSHOT, HOBGOBLIN_I, region(), BASE, {})
    # 4,309 of minerals and a job of 289.245: the row as it was before invention was counted
    assert (hobgoblin_i.material_cost.value, hobgoblin_i.job_cost.value) == pytest.approx((4_309, 289.245))
    assert hobgoblin_i.invention == ()


def test_an_unpriced_datacore_leaves_the_row_unknown_and_says_so() -> None:
    sell = SELL | MINERALS | {HOBGOBLIN_II: 150_000.0}
    del sell[20419]
    row = compute(SNAPSHOT, HOBGOBLIN_II, RegionMarket(data=invention_market(sell), job_site=SITE), BASE, {})

    assert row.material_cost.value is None and row.total_cost.value is None and row.profit_sell.value is None
    assert ("sell_price", 20419) in {(m.what, m.id) for m in row.missing}
    assert row.invention[0].decryptor_type_id is None  # no option priced: none, its missing prices said


def test_blueprint_copies_have_no_rows() -> None:
    with pytest.raises(NotFound) as refused:
        buildable(SNAPSHOT, HOBGOBLIN_II_BLUEPRINT)
    assert refused.value.field == "type_id"
    dependents = Dependents(GRAPH, SNAPSHOT.inventions, SNAPSHOT.decryptors)
    assert HOBGOBLIN_II_BLUEPRINT not in dependents.products
    assert HOBGOBLIN_I_BLUEPRINT not in dependents.products
    assert {HOBGOBLIN_II, HOBGOBLIN_I, RIFTER, WOLF} <= dependents.products


def test_what_invention_is_priced_on_reaches_the_invented_items_row() -> None:
    dependents = Dependents(GRAPH, SNAPSHOT.inventions, SNAPSHOT.decryptors)

    assert dependents.of([20419]) == {HOBGOBLIN_II}  # a datacore
    assert dependents.of([ATTAINMENT]) >= {HOBGOBLIN_II, WOLF}  # any decryptor may become the cheapest
    assert dependents.of([HOBGOBLIN_II_BLUEPRINT]) == {HOBGOBLIN_II}  # a copy bought instead
    assert dependents.of([38]) >= {HOBGOBLIN_I, HOBGOBLIN_II}  # Nocxium: the Hobgoblin I, and the copying job


# ----------------------------------------------------------------- make or buy the copy


def cheapest(copy_price: float | None) -> tuple[EconomicsSettings, dict[int, InventionChoice]]:
    settings = EconomicsSettings(site=SITE, strategy=Strategy.CHEAPEST)
    choices = invention_choices(SNAPSHOT, HOBGOBLIN_II, region(copy_price), settings)
    return at_copy_levels(settings, choices), choices


def test_make_or_buy_buys_the_copy_when_it_is_cheaper() -> None:
    settings, choices = cheapest(100_000)
    plan = make_or_buy(GRAPH, HOBGOBLIN_II, market(100_000), settings, inventions=choices)

    # a copy of 10 runs at 100,000 is 10,000 a run, against 16,021.7073 to invent one
    assert plan.decisions[HOBGOBLIN_II_BLUEPRINT] is Decision.BUY
    assert plan.unit_costs[HOBGOBLIN_II_BLUEPRINT] == pytest.approx(10_000)
    assert plan.prices[HOBGOBLIN_II_BLUEPRINT] == pytest.approx(10_000)
    # the Hobgoblin I: 4,309 + 289.245 made against 6,000 bought
    assert plan.decisions[HOBGOBLIN_I] is Decision.MAKE
    assert plan.cost == pytest.approx(104_100 + 4_309 + 289.245 + 8_332.5 + 10_000)

    row = item_economics(GRAPH, HOBGOBLIN_II, market(100_000), settings, inventions=choices)
    (line,) = row.copies
    assert (line.decision, line.decryptor_type_id, line.runs_per_copy) == (Decision.BUY, None, 10)
    assert (line.material_cost.value, line.job_cost.value) == pytest.approx((10_000, 0))
    assert row.total_cost.value == pytest.approx(104_100 + 4_309 + 10_000 + 8_332.5 + 289.245)


def test_make_or_buy_invents_when_the_copy_costs_more_or_has_no_price() -> None:
    for price in (200_000, None):  # 20,000 a run against 16,021.7073; or nobody sells one
        settings, choices = cheapest(price)
        plan = make_or_buy(GRAPH, HOBGOBLIN_II, market(price), settings, inventions=choices)

        assert plan.decisions[HOBGOBLIN_II_BLUEPRINT] is Decision.MAKE
        assert plan.unit_costs[HOBGOBLIN_II_BLUEPRINT] == pytest.approx(16_021.7073, abs=1e-4)
        assert plan.cost == pytest.approx(104_100 + 4_309 + 289.245 + 8_332.5 + 16_021.7073, abs=1e-4)
        row = item_economics(GRAPH, HOBGOBLIN_II, market(price), settings, inventions=choices)
        assert row.copies[0].decision is Decision.MAKE
        assert row.total_cost.value == pytest.approx(133_052.4523, abs=1e-4)


def test_without_inventions_the_copy_is_taken_as_held() -> None:
    settings = EconomicsSettings(site=SITE, strategy=Strategy.CHEAPEST)
    plan = make_or_buy(GRAPH, HOBGOBLIN_II, market(100_000), settings)

    assert HOBGOBLIN_II_BLUEPRINT not in plan.decisions
    assert item_economics(GRAPH, HOBGOBLIN_II, market(100_000), settings).copies == ()


def test_the_market_is_the_invention_tests() -> None:
    assert ADJUSTED[11399] == 10_000 and INDICES["invention"] == 0.05 and REGION == 10000002


def test_reactions_keep_their_rules_and_take_no_copy() -> None:
    """Fernite Carbide (16673), 10,000 a run from 5 Hydrogen Fuel Blocks, 100 Fernite Alloy and
    100 Ceramic Powder (each reacted, 200 a run, from 5 fuel blocks and 100 of two moon
    materials): ME never applies, so asked ME 10 reacts exactly what ME 0 does, and no copy."""
    fernite_carbide = 16673
    asked = compute(SNAPSHOT, fernite_carbide, region(), Options(strategy="make", me=10), {})
    base = compute(SNAPSHOT, fernite_carbide, region(), BASE, {})
    assert asked.invention == () and base.invention == ()
    bills = [
        item_economics(GRAPH, fernite_carbide, market(), EconomicsSettings(site=SITE, step=step)).materials
        for step in (StepSettings(me=0), StepSettings(me=10))
    ]
    # one run: 100 Fernite Alloy and 100 Ceramic Powder take one reaction run each (200 a run),
    # so 5 + 5 + 5 = 15 fuel blocks and 100 of each moon material
    assert bills[0] == bills[1]
    assert {line.type_id: line.quantity for line in bills[0]} == {
        4246: 15,
        16635: 100,
        16636: 100,
        16639: 100,
        16642: 100,
    }


def test_the_copy_is_bought_only_where_the_users_plan_says_so() -> None:
    """``strategy=buy`` buys the product's materials; the copy stays invented unless the plan
    names its blueprint as bought (then at 100,000 a copy of 10 runs: 10,000 a run)."""
    choices = invention_choices(SNAPSHOT, HOBGOBLIN_II, region(100_000), EconomicsSettings(site=SITE))
    for plan, decision, copy_cost in (
        ({}, Decision.MAKE, CONSUMED_PER_RUN + JOBS_PER_RUN),
        ({HOBGOBLIN_II_BLUEPRINT: Decision.BUY}, Decision.BUY, 10_000),
    ):
        settings = at_copy_levels(EconomicsSettings(site=SITE, strategy=Strategy.BUY, plan=plan), choices)
        row = item_economics(GRAPH, HOBGOBLIN_II, market(100_000), settings, inventions=choices)
        assert row.copies[0].decision is decision
        # everything bought: 104,100 + the Hobgoblin I at 6,000, the manufacturing job 8,332.5
        assert row.total_cost.value == pytest.approx(104_100 + 6_000 + 8_332.5 + copy_cost)
