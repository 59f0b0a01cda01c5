"""Production economics, every expected number worked out by hand in the comments.

The Rifter (587) is the real one: blueprint 691, per run 32,000 Tritanium (34), 6,000 Pyerite
(35), 2,500 Mexallon (36), 500 Isogen (37), 6,000 s, at most 30 runs a job. Prices are round
made-up numbers so the arithmetic stays checkable: Tritanium sells at 4, Pyerite 10, Mexallon
50, Isogen 100 (buy orders at 90% of that); adjusted prices 3.5, 8, 45, 90; the Rifter sells at
450,000 and is bought at 400,000; Jita's manufacturing cost index is 5%.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.catalog.chains import ProductionGraph, StepSettings
from domain.catalog.industry import Facility
from domain.catalog.model import Activity, ActivityKind, Material, Product, Recipe
from domain.economics import (
    AdjustedPrice,
    CostIndex,
    CostRates,
    Decision,
    DepthLevel,
    EconomicsSettings,
    JobSite,
    MarketData,
    Missing,
    PriceBasis,
    PriceChoice,
    PricePoint,
    PriceQuote,
    Strategy,
    build_for,
    choose_price,
    following_plan,
    item_economics,
    make_or_buy,
    manufacturing_job_cost,
    science_job_cost,
)
from domain.economics.dependents import Dependents
from domain.errors import InvalidInput, RuleViolation
from domain.industry.plan import PlanStep

TRIT, PYE, MEX, ISO, RIFTER = 34, 35, 36, 37, 587
REGION, JITA = 10000002, 30000142
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EARLIER = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def recipe(recipe_id: int, products: dict[int, int], *materials: tuple[int, int], **extra: object) -> Recipe:
    kind = extra.pop("kind", ActivityKind.MANUFACTURING)
    time = extra.pop("time", 600)
    activity = Activity(
        kind=kind,  # type: ignore[arg-type]
        time=time,  # type: ignore[arg-type]
        materials=tuple(Material(type_id=t, quantity=q) for t, q in materials),
        products=tuple(Product(type_id=t, quantity=q) for t, q in products.items()),
    )
    return Recipe(recipe_id=recipe_id, activities=(activity,), **extra)  # type: ignore[arg-type]


RIFTER_RECIPE = recipe(691, {RIFTER: 1}, (TRIT, 32000), (PYE, 6000), (MEX, 2500), (ISO, 500), time=6000, max_runs=30)
RIFTER_GRAPH = ProductionGraph.from_recipes([RIFTER_RECIPE])
MINERAL_SELL = {TRIT: 4.0, PYE: 10.0, MEX: 50.0, ISO: 100.0}
MINERAL_ADJUSTED = {TRIT: 3.5, PYE: 8.0, MEX: 45.0, ISO: 90.0}


def quote(type_id: int, sell: float | None, buy: float | None = None, **extra: object) -> PriceQuote:
    observed = extra.pop("observed_at", NOON)
    return PriceQuote(
        region_id=REGION,
        type_id=type_id,
        observed_at=observed,  # type: ignore[arg-type]
        lowest_sell=sell,
        highest_buy=buy,
        **extra,  # type: ignore[arg-type]
    )


def market(
    sell: dict[int, float],
    adjusted: dict[int, float],
    *,
    extra: tuple[PriceQuote, ...] = (),
    index: float | None = 0.05,
    when: dict[int, datetime] | None = None,
) -> MarketData:
    times = when or {}
    quotes = [quote(t, p, p * 0.9, observed_at=times.get(t, NOON)) for t, p in sell.items()]
    return MarketData(
        REGION,
        [*quotes, *extra],
        [AdjustedPrice(type_id=t, adjusted_price=p, observed_at=NOON) for t, p in adjusted.items()],
        []
        if index is None
        else [CostIndex(solar_system_id=JITA, activity=ActivityKind.MANUFACTURING, cost_index=index, observed_at=NOON)],
    )


RIFTER_QUOTE = quote(RIFTER, 450_000.0, 400_000.0, daily_volume=1200.0)
RIFTER_MARKET = market(MINERAL_SELL, MINERAL_ADJUSTED, extra=(RIFTER_QUOTE,))
AT_JITA = EconomicsSettings(site=JobSite(solar_system_id=JITA))


# --- job cost -----------------------------------------------------------------------------------


def test_job_cost_is_eiv_times_index_and_taxes_added_not_compounded() -> None:
    # EVE Ref's published manufacturing example (docs.everef.net/api/industry-cost.html): 8 Sins,
    # EIV 6,147,769,967, index 1.29%, 2% tax, Sotiyo -5% with a -50% faction-warfare bonus, which
    # multiply to a 1 - 0.95 x 0.5 = 0.525 cost bonus. EVE Ref rounds each term to whole ISK.
    cost = manufacturing_job_cost(6_147_769_967, 0.0129, CostRates(facility_tax=0.02, structure_cost_bonus=0.525))
    assert cost.system_cost == pytest.approx(79_306_233, abs=1)  # EIV x 0.0129
    assert cost.structure_bonus == pytest.approx(-41_635_772, abs=1)  # - EIV x 0.0129 x 0.525
    assert cost.facility_tax == pytest.approx(122_955_399, abs=1)  # EIV x 0.02
    assert cost.scc_surcharge == pytest.approx(245_910_799, abs=1)  # EIV x 0.04
    assert cost.alpha_tax == 0.0  # omega clone
    assert cost.total == pytest.approx(406_536_659, abs=1)
    compounded = 6_147_769_967 * 0.0129 * 0.475 * (1 + 0.02) * (1 + 0.04)  # the known mistake
    assert abs(cost.total - compounded) > 300_000_000


def test_job_cost_term_by_term_for_the_rifter() -> None:
    # EIV = 32,000 x 3.5 + 6,000 x 8 + 2,500 x 45 + 500 x 90 = 112,000 + 48,000 + 112,500 + 45,000
    #     = 317,500 per run. NPC station: 317,500 x (0.05 + 0.0025 + 0.04) = 29,368.75.
    cost = manufacturing_job_cost(317_500, 0.05)
    assert (cost.system_cost, cost.structure_bonus, cost.facility_tax, cost.scc_surcharge, cost.alpha_tax) == (
        pytest.approx(15_875),
        0.0,
        pytest.approx(793.75),
        pytest.approx(12_700),
        0.0,
    )
    assert cost.total == pytest.approx(29_368.75)
    # An alpha clone in a Raitaru (3% off the index term) paying 1% tax:
    # 317,500 x (0.05 x 0.97 + 0.01 + 0.04 + 0.0025) = 317,500 x 0.101 = 32,067.5
    raitaru = manufacturing_job_cost(317_500, 0.05, CostRates(structure_cost_bonus=0.03, facility_tax=0.01, alpha=True))
    assert raitaru.structure_bonus == pytest.approx(-476.25)  # 15,875 x 0.03
    assert raitaru.alpha_tax == pytest.approx(793.75)  # 317,500 x 0.0025
    assert raitaru.total == pytest.approx(32_067.5)


def test_invention_and_copying_are_priced_on_two_percent_of_the_product_eiv() -> None:
    # EVE Ref's invention example: 10 runs, product EIV 16,852,252, index 11.71%, Raitaru (-3%),
    # 0.5% tax. Base = 2% = 337,045.04; index 39,467.97; bonus -1,184.04; tax 1,685.23;
    # SCC 13,481.80; total 53,450.96 (EVE Ref, whole ISK per term: 53,451).
    cost = science_job_cost(16_852_252, 0.1171, CostRates(facility_tax=0.005, structure_cost_bonus=0.03))
    assert cost.base == pytest.approx(337_045.04)
    assert cost.system_cost == pytest.approx(39_468, abs=1)
    assert cost.structure_bonus == pytest.approx(-1_184, abs=1)
    assert cost.facility_tax == pytest.approx(1_685, abs=1)
    assert cost.scc_surcharge == pytest.approx(13_482, abs=1)
    assert cost.total == pytest.approx(53_451, abs=1)


def test_rates_are_settings_and_are_checked() -> None:
    old_surcharge = manufacturing_job_cost(100_000, 0.0, CostRates(scc_surcharge=0.015, facility_tax=0.0))
    assert old_surcharge.total == pytest.approx(1_500)
    with pytest.raises(InvalidInput):
        CostRates(structure_cost_bonus=1.5)
    with pytest.raises(InvalidInput):
        CostRates(facility_tax=-0.01)


# --- item economics: the Rifter ----------------------------------------------------------------


def test_rifter_costs_profit_and_roi_at_an_npc_station() -> None:
    result = item_economics(RIFTER_GRAPH, RIFTER, RIFTER_MARKET, AT_JITA)
    # materials at ME 0: 32,000 x 4 + 6,000 x 10 + 2,500 x 50 + 500 x 100
    #                  = 128,000 + 60,000 + 125,000 + 50,000 = 363,000
    assert result.material_cost.value == pytest.approx(363_000)
    assert result.job_cost.value == pytest.approx(29_368.75)  # see the job-cost test above
    assert result.total_cost.value == pytest.approx(392_368.75)
    assert (result.sell_price.value, result.buy_price.value) == (450_000, 400_000)
    # profit at sell: 450,000 - 392,368.75 = 57,631.25; ROI 57,631.25 / 392,368.75 = 14.6880%
    # profit at buy: 400,000 - 392,368.75 = 7,631.25; ROI 7,631.25 / 392,368.75 = 1.9449%
    assert result.profit_sell.value == pytest.approx(57_631.25)
    assert result.profit_buy.value == pytest.approx(7_631.25)
    assert result.roi_sell.value == pytest.approx(14.6880, abs=1e-4)
    assert result.roi_buy.value == pytest.approx(1.9449, abs=1e-4)
    # 6,000 s; profit per hour 57,631.25 / (6,000 / 3,600) = 34,578.75
    assert (result.base_time, result.effective_time, result.chain_time) == (6000, 6000, 6000)
    assert result.profit_per_hour_sell.value == pytest.approx(34_578.75)
    assert result.daily_volume == 1200.0
    assert result.units == 1 and result.missing == () and result.decisions == {}


def test_rifter_ten_runs_at_me_10_in_a_raitaru_as_an_alpha() -> None:
    raitaru = Facility(structure_material_bonus=0.01, structure_time_bonus=0.15)
    settings = EconomicsSettings(
        site=JobSite(solar_system_id=JITA, rates=CostRates(structure_cost_bonus=0.03, facility_tax=0.01, alpha=True)),
        runs=10,
        step=StepSettings(me=10, te=20, facility=raitaru),
    )
    result = item_economics(RIFTER_GRAPH, RIFTER, RIFTER_MARKET, settings)
    # one job of 10 runs, modifier 0.9 x 0.99 = 0.891:
    # Tritanium 320,000 x 0.891 = 285,120 -> x 4 = 1,140,480; Pyerite 60,000 x 0.891 = 53,460 -> 534,600;
    # Mexallon 25,000 x 0.891 = 22,275 -> 1,113,750; Isogen 5,000 x 0.891 = 4,455 -> 445,500
    assert {line.type_id: line.quantity for line in result.materials} == {
        TRIT: 285_120,
        PYE: 53_460,
        MEX: 22_275,
        ISO: 4_455,
    }
    assert result.material_cost.value == pytest.approx(3_234_330)
    # EIV ignores ME: 317,500 x 10 = 3,175,000; x (0.05 x 0.97 + 0.01 + 0.04 + 0.0025 = 0.101) = 320,675
    assert result.job_cost.value == pytest.approx(320_675)
    assert result.total_cost.value == pytest.approx(3_555_005)
    # 10 Rifters: sell 4,500,000 - 3,555,005 = 944,995 (ROI 26.5821%); buy 444,995 (ROI 12.5174%)
    assert result.profit_sell.value == pytest.approx(944_995)
    assert result.roi_sell.value == pytest.approx(26.5821, abs=1e-4)
    assert result.profit_buy.value == pytest.approx(444_995)
    assert result.roi_buy.value == pytest.approx(12.5174, abs=1e-4)
    # time: 60,000 s base; x 0.8 (TE 20) x 0.85 (Raitaru) = 40,800 s;
    # profit per hour 944,995 / (40,800 / 3,600) = 83,381.91
    assert result.base_time == 60_000
    assert result.effective_time == pytest.approx(40_800)
    assert result.profit_per_hour_sell.value == pytest.approx(83_381.91, abs=0.01)


def test_every_figure_carries_its_oldest_price() -> None:
    stale = market(MINERAL_SELL, MINERAL_ADJUSTED, extra=(RIFTER_QUOTE,), when={PYE: EARLIER})
    result = item_economics(RIFTER_GRAPH, RIFTER, stale, AT_JITA)
    assert result.material_cost.as_of == EARLIER  # Pyerite's quote is the oldest input
    assert result.job_cost.as_of == NOON
    assert result.total_cost.as_of == EARLIER
    assert result.sell_price.as_of == NOON
    assert result.profit_sell.as_of == EARLIER and result.roi_buy.as_of == EARLIER
    assert next(line for line in result.materials if line.type_id == TRIT).cost.as_of == NOON


# --- missing prices and zero costs -------------------------------------------------------------


def test_a_missing_market_price_is_reported_never_taken_as_zero() -> None:
    without_isogen = {t: p for t, p in MINERAL_SELL.items() if t != ISO}
    result = item_economics(
        RIFTER_GRAPH, RIFTER, market(without_isogen, MINERAL_ADJUSTED, extra=(RIFTER_QUOTE,)), AT_JITA
    )
    assert result.missing == (Missing(what="sell_price", id=ISO, reason="no market quote for this item in the region"),)
    for figure in (result.material_cost, result.total_cost, result.profit_sell, result.roi_sell, result.roi_buy):
        assert figure.value is None and figure.as_of is None
    assert result.job_cost.value == pytest.approx(29_368.75)  # still known: it needs adjusted prices only
    assert result.sell_price.value == 450_000


def test_missing_adjusted_price_or_cost_index_leaves_the_job_cost_unknown() -> None:
    without_pyerite = {t: p for t, p in MINERAL_ADJUSTED.items() if t != PYE}
    result = item_economics(RIFTER_GRAPH, RIFTER, market(MINERAL_SELL, without_pyerite, extra=(RIFTER_QUOTE,)), AT_JITA)
    assert [m.what for m in result.missing] == ["adjusted_price"] and result.missing[0].id == PYE
    assert result.job_cost.value is None and result.total_cost.value is None
    assert result.material_cost.value == pytest.approx(363_000)

    no_index = item_economics(
        RIFTER_GRAPH, RIFTER, market(MINERAL_SELL, MINERAL_ADJUSTED, extra=(RIFTER_QUOTE,), index=None), AT_JITA
    )
    assert [(m.what, m.id) for m in no_index.missing] == [("cost_index", JITA)]
    assert no_index.jobs[0].cost is None and no_index.profit_sell.value is None


def test_a_product_nobody_buys_has_sell_figures_only() -> None:
    unwanted = market(MINERAL_SELL, MINERAL_ADJUSTED, extra=(quote(RIFTER, 450_000.0, None),))
    result = item_economics(RIFTER_GRAPH, RIFTER, unwanted, AT_JITA)
    assert result.buy_price.value is None and result.profit_buy.value is None and result.roi_buy.value is None
    assert result.profit_sell.value == pytest.approx(57_631.25)
    assert [(m.what, m.id, m.reason) for m in result.missing] == [("buy_price", RIFTER, "no buy orders")]


def test_zero_cost_gives_no_roi_instead_of_dividing_by_zero() -> None:
    # a gift: 1 unit of a free item (900) makes item 901; adjusted price 0, so no job cost either
    graph = ProductionGraph.from_recipes([recipe(1901, {901: 1}, (900, 1))])
    free = MarketData(
        REGION,
        [quote(900, 0.0, 0.0), quote(901, 1_000.0, 800.0)],
        [AdjustedPrice(type_id=900, adjusted_price=0.0, observed_at=NOON)],
        [CostIndex(solar_system_id=JITA, activity=ActivityKind.MANUFACTURING, cost_index=0.05, observed_at=NOON)],
    )
    result = item_economics(graph, 901, free, AT_JITA)
    assert (result.material_cost.value, result.job_cost.value, result.total_cost.value) == (0.0, 0.0, 0.0)
    assert result.profit_sell.value == 1_000.0 and result.profit_buy.value == 800.0
    assert result.roi_sell.value is None and result.roi_buy.value is None
    assert result.roi_sell.as_of is None
    assert result.profit_per_hour_sell.value == pytest.approx(1_000 * 6)  # 600 s: 6 jobs an hour


# --- price choice ------------------------------------------------------------------------------

DEPTH = (
    DepthLevel(price=4.0, volume=100_000),
    DepthLevel(price=4.5, volume=300_000),
    DepthLevel(price=6.0, volume=600_000),
)


def test_price_choice_picks_sell_buy_or_a_percentile_of_the_sell_depth() -> None:
    book = quote(TRIT, 4.0, 3.6, sell_depth=DEPTH, sell_volume=1_000_000)
    assert choose_price(book, PriceChoice(), TRIT) == PricePoint(price=4.0, observed_at=NOON)
    assert choose_price(book, PriceChoice(basis=PriceBasis.BUY), TRIT).price == 3.6  # type: ignore[union-attr]

    def percentile(p: float) -> float:
        found = choose_price(book, PriceChoice(basis=PriceBasis.PERCENTILE, percentile=p), TRIT)
        assert isinstance(found, PricePoint) and not found.approximate
        return found.price

    assert percentile(5) == pytest.approx(4.0)  # 50,000 units, all in the first level
    assert percentile(20) == pytest.approx(4.25)  # 200,000: (100,000 x 4 + 100,000 x 4.5) / 200,000
    assert percentile(50) == pytest.approx(4.7)  # (400,000 + 1,350,000 + 100,000 x 6) / 500,000
    assert percentile(100) == pytest.approx(5.35)  # (400,000 + 1,350,000 + 3,600,000) / 1,000,000


def test_percentile_without_depth_falls_back_to_the_lowest_sell_marked_approximate() -> None:
    found = choose_price(quote(TRIT, 4.0, 3.6), PriceChoice(basis=PriceBasis.PERCENTILE, percentile=20), TRIT)
    assert found == PricePoint(price=4.0, observed_at=NOON, approximate=True)


def test_missing_sides_and_bad_percentiles() -> None:
    assert choose_price(None, PriceChoice(), TRIT) == Missing(
        what="sell_price", id=TRIT, reason="no market quote for this item in the region"
    )
    assert choose_price(quote(TRIT, None, 3.6), PriceChoice(), TRIT) == Missing(
        what="sell_price", id=TRIT, reason="no sell orders"
    )
    for bad in (0, -5, 101):
        with pytest.raises(InvalidInput):
            PriceChoice(basis=PriceBasis.PERCENTILE, percentile=bad)
    with pytest.raises(InvalidInput):
        MarketData(REGION, [PriceQuote(region_id=1, type_id=TRIT, observed_at=NOON)])


def test_price_choice_per_input_and_for_the_output() -> None:
    depth_market = market(
        {t: p for t, p in MINERAL_SELL.items() if t != TRIT},
        MINERAL_ADJUSTED,
        extra=(RIFTER_QUOTE, quote(TRIT, 4.0, 3.6, sell_depth=DEPTH)),
    )
    at_buy = EconomicsSettings(site=AT_JITA.site, input_price=PriceChoice(basis=PriceBasis.BUY))
    # buy orders at 90%: 363,000 x 0.9 = 326,700 (Tritanium's book says 3.6: 32,000 x 3.6 = 115,200 = 128,000 x 0.9)
    assert item_economics(RIFTER_GRAPH, RIFTER, depth_market, at_buy).material_cost.value == pytest.approx(326_700)

    cheapest_fifth = EconomicsSettings(
        site=AT_JITA.site,
        price_overrides={
            TRIT: PriceChoice(basis=PriceBasis.PERCENTILE, percentile=20),
            RIFTER: PriceChoice(basis=PriceBasis.PERCENTILE, percentile=20),
        },
    )
    result = item_economics(RIFTER_GRAPH, RIFTER, depth_market, cheapest_fifth)
    # Tritanium at 4.25: 32,000 x 4.25 = 136,000, so 363,000 + 8,000 = 371,000
    assert result.material_cost.value == pytest.approx(371_000)
    # the Rifter's quote has no depth: its percentile price is the lowest sell, flagged
    assert result.sell_price.value == 450_000 and result.approximate == (RIFTER,)
    assert result.buy_price.value == 400_000  # the buy figure is always the highest buy


# --- make or buy -------------------------------------------------------------------------------
#
# A ship S (300) from 3 C (100), 2 D (110) and 1,000 Tritanium; C from 10 Tritanium + 5 Pyerite,
# D from 20 Pyerite (D can also be made from 15 Tritanium, recipe 1111). Market: Tritanium 4,
# Pyerite 10, C 95, D 260, S 9,000; adjusted prices Tritanium 4, Pyerite 10, C 80, D 150. The cost
# index 5.75% makes the NPC job-cost rate 0.0575 + 0.0025 + 0.04 = 0.1 of the EIV.
#   C made: 10 x 4 + 5 x 10 = 90, job 9 -> 99 a unit; bought 95         -> buy
#   D made: 20 x 10 = 200, job 20 -> 220 a unit; bought 260              -> make
#   S: EIV 3 x 80 + 2 x 150 + 1,000 x 4 = 4,540, job 454
#   cheapest 3 x 95 + 2 x 220 + 4,000 + 454 = 5,179
#   all-buy  3 x 95 + 2 x 260 + 4,000 + 454 = 5,259 (saving 80)
#   all-make 3 x 99 + 2 x 220 + 4,000 + 454 = 5,191 (saving 12)

C, D, S = 100, 110, 300
TREE = [
    recipe(1300, {S: 1}, (C, 3), (D, 2), (TRIT, 1000)),
    recipe(1100, {C: 1}, (TRIT, 10), (PYE, 5)),
    recipe(1110, {D: 1}, (PYE, 20)),
]
D_FROM_TRITANIUM = recipe(1111, {D: 1}, (TRIT, 15))
TREE_SELL = {TRIT: 4.0, PYE: 10.0, C: 95.0, D: 260.0, S: 9_000.0}
TREE_ADJUSTED = {TRIT: 4.0, PYE: 10.0, C: 80.0, D: 150.0}


def tree_market(sell: dict[int, float] = TREE_SELL) -> MarketData:
    return market(sell, TREE_ADJUSTED, index=0.0575)


def test_make_or_buy_on_a_tree_decides_each_intermediate_bottom_up() -> None:
    plan = make_or_buy(ProductionGraph.from_recipes(TREE), S, tree_market(), AT_JITA)
    assert plan.method == "tree"
    assert plan.decisions == {C: Decision.BUY, D: Decision.MAKE}
    assert plan.cost == pytest.approx(5_179)
    assert plan.all_buy_cost == pytest.approx(5_259) and plan.saving_vs_all_buy == pytest.approx(80)
    assert plan.all_make_cost == pytest.approx(5_191) and plan.saving_vs_all_make == pytest.approx(12)
    assert plan.unit_costs[C] == pytest.approx(95) and plan.unit_costs[D] == pytest.approx(220)
    assert plan.bought == {C: 3, PYE: 40, TRIT: 1000} and plan.made == {S: 1, D: 2}
    assert plan.as_of == NOON and plan.missing == ()


def test_tree_and_lp_agree_on_trees_whatever_the_prices() -> None:
    graph = ProductionGraph.from_recipes([*TREE, D_FROM_TRITANIUM])
    for c_price in (50.0, 95.0, 200.0):
        for d_price in (30.0, 100.0, 260.0):
            prices = {**TREE_SELL, C: c_price, D: d_price}
            tree = make_or_buy(graph, S, tree_market(prices), AT_JITA, method="tree")
            lp = make_or_buy(graph, S, tree_market(prices), AT_JITA, method="lp")
            assert (tree.method, lp.method) == ("tree", "lp")
            assert lp.cost == pytest.approx(tree.cost)
            assert lp.decisions == tree.decisions and lp.recipes == tree.recipes
            assert lp.all_buy_cost == pytest.approx(tree.all_buy_cost)
            assert lp.all_make_cost == pytest.approx(tree.all_make_cost)
            for item in (C, D, TRIT, PYE):
                assert lp.unit_costs[item] == pytest.approx(tree.unit_costs[item])


def test_an_alternative_recipe_wins_where_it_is_cheaper() -> None:
    plan = make_or_buy(ProductionGraph.from_recipes([*TREE, D_FROM_TRITANIUM]), S, tree_market(), AT_JITA)
    # D from 15 Tritanium: 60 + job 6 = 66 a unit; cheapest 285 + 2 x 66 + 4,000 + 454 = 4,871
    assert plan.recipes[D] == 1111 and plan.decisions[D] is Decision.MAKE
    assert plan.cost == pytest.approx(4_871)
    assert plan.all_make_cost == pytest.approx(5_191)  # the default recipe for D is 1110


def test_the_users_plan_is_kept() -> None:
    settings = EconomicsSettings(site=AT_JITA.site, plan={C: Decision.MAKE})
    plan = make_or_buy(ProductionGraph.from_recipes(TREE), S, tree_market(), settings)
    assert plan.decisions == {C: Decision.MAKE, D: Decision.MAKE}
    assert plan.cost == pytest.approx(5_191)


def test_an_unpriced_intermediate_must_be_made_and_all_buy_cannot_be_priced() -> None:
    without_c = {t: p for t, p in TREE_SELL.items() if t != C}
    plan = make_or_buy(ProductionGraph.from_recipes(TREE), S, tree_market(without_c), AT_JITA)
    assert plan.decisions[C] is Decision.MAKE
    assert plan.cost == pytest.approx(5_191)  # 3 x 99 + 2 x 220 + 4,454
    assert plan.all_buy_cost is None and plan.saving_vs_all_buy is None
    assert [(m.what, m.id) for m in plan.missing] == [("sell_price", C)]


# A byproduct and alternatives, where only the LP is right. Product P (500) takes 1 A (501) and
# 1 B (502). Recipe 1501 turns 10 Tritanium into 1 A and 1 B; 1502 (A's usual recipe) makes A
# from 12 Tritanium, 1503 (B's) makes B from 9. A sells at 60, B at 45; adjusted prices
# Tritanium 4, A 30, B 30; job-cost rate 0.1.
#   1501: 40 + job 4 = 44 for both      1502: 48 + 4.8 = 52.8      1503: 36 + 3.6 = 39.6
#   P's job: EIV 30 + 30 = 60 -> 6
#   cheapest: one run of 1501: 44 + 6 = 50
#   all-make with the usual recipes: 52.8 + 39.6 + 6 = 98.4 (saving 48.4)
#   all-buy: 60 + 45 + 6 = 111 (saving 61)
# Deciding item by item would charge 1501's whole cost to A (44 < 52.8) and again to B, where
# 1503 looks cheaper (39.6 < 44): 44 + 39.6 + 6 = 89.6, not 50.

P, A, B = 500, 501, 502
BYPRODUCTS = [
    recipe(1500, {P: 1}, (A, 1), (B, 1)),
    recipe(1501, {A: 1, B: 1}, (TRIT, 10)),
    recipe(1502, {A: 1}, (TRIT, 12), primary=True),
    recipe(1503, {B: 1}, (TRIT, 9), primary=True),
]


def byproduct_market() -> MarketData:
    return market({TRIT: 4.0, A: 60.0, B: 45.0, P: 200.0}, {TRIT: 4.0, A: 30.0, B: 30.0}, index=0.0575)


def test_byproducts_need_the_linear_program() -> None:
    graph = ProductionGraph.from_recipes(BYPRODUCTS)
    plan = make_or_buy(graph, P, byproduct_market(), AT_JITA)
    assert plan.method == "lp"
    assert plan.cost == pytest.approx(50)
    assert plan.recipes == {P: 1500, A: 1501, B: 1501}
    assert plan.decisions == {A: Decision.MAKE, B: Decision.MAKE}
    assert plan.made == pytest.approx({P: 1, A: 1, B: 1}) and plan.bought == pytest.approx({TRIT: 10})
    assert plan.all_make_cost == pytest.approx(98.4) and plan.saving_vs_all_make == pytest.approx(48.4)
    assert plan.all_buy_cost == pytest.approx(111) and plan.saving_vs_all_buy == pytest.approx(61)
    assert plan.surplus == {}
    with pytest.raises(RuleViolation, match="only the LP"):
        make_or_buy(graph, P, byproduct_market(), AT_JITA, method="tree")


def test_unused_byproducts_are_reported_as_surplus() -> None:
    # without B in the product, 1501 still wins for A (44 < 52.8 < 60) and its B is waste
    graph = ProductionGraph.from_recipes([recipe(1500, {P: 1}, (A, 1)), *BYPRODUCTS[1:]])
    plan = make_or_buy(graph, P, byproduct_market(), AT_JITA)
    # P's job: EIV 30 -> 3; 44 + 3 = 47
    assert plan.cost == pytest.approx(47) and plan.surplus == pytest.approx({B: 1})


# --- item economics with make-or-buy -----------------------------------------------------------


def test_item_economics_prices_the_cheapest_plan_on_the_bill_of_materials() -> None:
    graph = ProductionGraph.from_recipes(TREE)
    cheapest = EconomicsSettings(site=AT_JITA.site, strategy=Strategy.CHEAPEST)
    result = item_economics(graph, S, tree_market(), cheapest)
    # buy 3 C (285), make 2 D from 40 Pyerite (400), 1,000 Tritanium (4,000): 4,685
    # jobs: S 454, D 2 runs x EIV 200 x 0.1 = 40: 494; total 5,179 = the plan's cost
    assert result.decisions == {C: Decision.BUY, D: Decision.MAKE}
    assert result.material_cost.value == pytest.approx(4_685)
    assert result.job_cost.value == pytest.approx(494)
    assert result.total_cost.value == pytest.approx(5_179)
    assert result.plan is not None and result.plan.cost == pytest.approx(5_179)
    assert result.profit_sell.value == pytest.approx(9_000 - 5_179)  # 3,821; ROI 73.7787%
    assert result.roi_sell.value == pytest.approx(73.7787, abs=1e-4)
    assert result.chain_time == 600 * 3  # S once, D twice

    # make everything: C 3 runs (30 Tritanium, 15 Pyerite), D 2 runs (40 Pyerite), S (1,000 Tritanium)
    # materials 1,030 x 4 + 55 x 10 = 4,670; jobs 454 + 27 + 40 = 521; total 5,191 = all-make
    everything = item_economics(graph, S, tree_market(), EconomicsSettings(site=AT_JITA.site))
    assert everything.total_cost.value == pytest.approx(5_191)
    assert everything.decisions == {C: Decision.MAKE, D: Decision.MAKE}
    # buy every input: 285 + 520 + 4,000 + job 454 = 5,259 = all-buy
    bought = item_economics(graph, S, tree_market(), EconomicsSettings(site=AT_JITA.site, strategy=Strategy.BUY))
    assert bought.total_cost.value == pytest.approx(5_259)
    assert [line.type_id for line in bought.materials if line.intermediate] == [C, D]
    # a user's plan beats the strategy
    mixed = EconomicsSettings(site=AT_JITA.site, plan={C: Decision.BUY})
    assert item_economics(graph, S, tree_market(), mixed).total_cost.value == pytest.approx(5_179)


def test_settings_are_checked() -> None:
    with pytest.raises(InvalidInput):
        EconomicsSettings(site=AT_JITA.site, runs=0)
    with pytest.raises(InvalidInput):
        EconomicsSettings(site=AT_JITA.site, step=StepSettings(me=11))
    with pytest.raises(RuleViolation):
        item_economics(RIFTER_GRAPH, TRIT, RIFTER_MARKET, AT_JITA)


# --- reverse index, plans and builds -------------------------------------------------------------


def test_dependents_reach_every_product_whose_chain_uses_an_item() -> None:
    dependents = Dependents(ProductionGraph.from_recipes([*TREE, D_FROM_TRITANIUM, RIFTER_RECIPE]))
    assert dependents.of([PYE]) == {C, D, S, RIFTER}  # D through its usual recipe 1110
    assert dependents.of([C]) == {C, S}  # an item's own row, and its users'
    assert dependents.of([ISO]) == {RIFTER} and dependents.of([999]) == set()


def test_a_plan_makes_what_its_steps_make_with_their_levels_and_tax() -> None:
    steps = [
        PlanStep(
            step_id=1,
            parent_step_id=None,
            product_type_id=S,
            blueprint_type_id=1300,
            activity=ActivityKind.MANUFACTURING,
            me_level=2,
            te_level=4,
            facility_tax=0.01,
        ),
        PlanStep(
            step_id=2,
            parent_step_id=1,
            product_type_id=D,
            blueprint_type_id=1111,
            activity=ActivityKind.MANUFACTURING,
            me_level=10,
            te_level=20,
        ),
    ]
    settings = following_plan(AT_JITA, steps)
    assert settings.strategy is Strategy.BUY and settings.plan == {S: Decision.MAKE, D: Decision.MAKE}
    assert settings.recipes == {S: 1300, D: 1111}
    assert (settings.step_for(S).me, settings.step_for(D).te) == (2, 20)
    assert settings.site_for(S).rates.facility_tax == 0.01 and settings.site_for(D).solar_system_id == JITA
    graph = ProductionGraph.from_recipes([*TREE, D_FROM_TRITANIUM])
    result = item_economics(graph, S, tree_market(), settings)
    assert result.decisions == {C: Decision.BUY, D: Decision.MAKE}  # C: no step makes it


def test_a_build_serves_every_region() -> None:
    graph = ProductionGraph.from_recipes(TREE)
    build = build_for(graph, S, tree_market(), AT_JITA)
    dearer = tree_market({**TREE_SELL, TRIT: 5.0})
    assert item_economics(graph, S, dearer, AT_JITA, build) == item_economics(graph, S, dearer, AT_JITA)
