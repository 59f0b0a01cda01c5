"""Shopping lists: the delta to buy, its volume and cost, a run's purchases, and the formats
a client pastes or opens; every quantity worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import msgspec
import pytest

from domain.catalog.chains import ProductionGraph, StepSettings
from domain.economics.market import MarketData, Missing, PriceQuote
from domain.errors import RuleViolation
from domain.industry.generation import SkippedItem, generate
from domain.industry.jobs import JobMaterial
from domain.industry.shopping import RunJobNeeds, ShoppingLine, run_purchases, shopping_list
from interfaces.http.shopping import CSV_COLUMNS, as_csv, as_multibuy
from tests.unit.test_chains import recipe
from tests.unit.test_plan_generation import GRAPH, plan_steps

TRIT, PYE, MEX, WIDGET = 34, 35, 36, 500
NAMES = {TRIT: "Tritanium", PYE: "Pyerite", MEX: "Mexallon"}
VOLUMES: dict[int, float | None] = {TRIT: 0.01, PYE: 0.01, MEX: 0.01}
MONDAY, TUESDAY = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
FORGE = 10000002


def market(*quotes: tuple[int, float, datetime]) -> MarketData:
    return MarketData(
        FORGE, [PriceQuote(region_id=FORGE, type_id=t, lowest_sell=p, observed_at=at) for t, p, at in quotes]
    )


def test_what_is_held_is_subtracted_and_an_item_held_in_full_is_not_listed() -> None:
    found = shopping_list({TRIT: 32_000, PYE: 6_000, MEX: 2_500}, NAMES, VOLUMES, held={TRIT: 12_000, PYE: 9_000})
    assert [(line.type_id, line.required, line.held, line.to_buy) for line in found.lines] == [
        (TRIT, 32_000, 12_000, 20_000),
        (MEX, 2_500, 0, 2_500),  # Pyerite: 9,000 held for 6,000 needed, nothing to buy (never -3,000)
    ]
    assert (found.totals.items, found.totals.units, found.totals.volume) == (2, 22_500, 225.0)


def test_without_a_location_everything_required_is_bought() -> None:
    found = shopping_list({TRIT: 32_000}, NAMES, VOLUMES)
    assert [(line.held, line.to_buy, line.volume) for line in found.lines] == [(0, 32_000, 320.0)]


def test_materials_rounded_per_job_are_bought_to_the_unit() -> None:
    # base 7 at ME 10 is 6.3 a run; at most 2 runs a job, so 3 runs are jobs of 2 and 1:
    # ceil(12.6) + ceil(6.3) = 13 + 7 = 20 (one job of 3 would need 19, rounding per run 21)
    graph = ProductionGraph.from_recipes([recipe(1500, WIDGET, 1, (TRIT, 7), max_runs=2)])
    required = graph.bill_of_materials(WIDGET, 3, default=StepSettings(me=10)).raw
    found = shopping_list(required, NAMES, VOLUMES, held={TRIT: 5})
    assert [(line.required, line.to_buy) for line in found.lines] == [(20, 15)]


def test_each_line_is_priced_at_the_lowest_sell_as_of_the_oldest_order_book() -> None:
    found = shopping_list(
        {TRIT: 1_000, PYE: 300}, NAMES, VOLUMES, market=market((TRIT, 4.5, TUESDAY), (PYE, 9.25, MONDAY))
    )
    assert [(line.unit_price, line.cost) for line in found.lines] == [(4.5, 4_500.0), (9.25, 2_775.0)]
    assert (found.totals.cost, found.totals.prices_as_of, found.missing) == (7_275.0, MONDAY, ())


def test_a_missing_price_is_listed_and_makes_the_total_unknown_never_0() -> None:
    found = shopping_list({TRIT: 1_000, MEX: 10}, NAMES, VOLUMES, market=market((TRIT, 4.0, MONDAY)))
    assert [(line.type_id, line.cost) for line in found.lines] == [(TRIT, 4_000.0), (MEX, None)]
    assert found.totals.cost is None
    assert found.missing == (Missing(what="sell_price", id=MEX, reason="no market quote for this item in the region"),)


def test_an_unknown_volume_or_name_is_listed_and_the_volume_total_is_unknown() -> None:
    found = shopping_list({TRIT: 100, 999: 2}, NAMES, VOLUMES)
    assert [(line.name, line.volume) for line in found.lines] == [("Tritanium", 1.0), (None, None)]
    assert found.totals.volume is None and found.totals.cost is None  # no market asked: no cost
    assert [(m.what, m.id) for m in found.missing] == [("name", 999), ("volume", 999)]


def test_an_item_held_in_full_needs_no_price() -> None:
    found = shopping_list({TRIT: 100, MEX: 10}, NAMES, VOLUMES, held={MEX: 10}, market=market((TRIT, 4.0, MONDAY)))
    assert (found.totals.cost, found.missing) == (400.0, ())


# ------------------------------------------------------------------ a run's purchases


def _needs(generated_jobs: list[tuple[bool, tuple[JobMaterial, ...]]]) -> list[RunJobNeeds]:
    return [RunJobNeeds(planned=planned, materials=materials) for planned, materials in generated_jobs]


def mixed_run() -> tuple[list[tuple[int, int, tuple[JobMaterial, ...]]], tuple[SkippedItem, ...]]:
    """test_plan_generation's plan for 7 ships, with the C step under the ship buying its
    reagent B: the two C steps merge into one job whose B is "mixed" (1,400 bought for the
    14 C the ship takes, 4,200 made by the B job for the 42 C the modules take)."""
    steps = plan_steps()
    del steps[6]  # the B step under step 2 (C for the ship)
    run = generate(steps, GRAPH, 7)
    return [(job.spec.product_type_id, job.spec.runs, job.spec.materials) for job in run.jobs], run.skipped


def test_a_run_generated_buys_what_it_skipped_the_mixed_share_included() -> None:
    jobs, skipped = mixed_run()
    c_job = next(materials for product, _, materials in jobs if product == 100)
    assert {(m.type_id, m.quantity, m.source) for m in c_job} == {(200, 5_600, "mixed"), (TRIT, 560, "buy")}
    purchases = run_purchases(_needs([(True, materials) for _, _, materials in jobs]), skipped)
    # Tritanium: B 94 runs x 100 + C 560 + ships 500 + 200; Pyerite: modules 21 x 10
    assert purchases == {TRIT: 9_400 + 560 + 500 + 200, PYE: 210, 200: 1_400}
    assert purchases == {item.type_id: item.quantity for item in skipped}


def test_a_started_job_takes_its_needs_with_it_and_what_the_run_makes_is_never_bought() -> None:
    jobs, skipped = mixed_run()
    started = {(100, 56), (300, 5)}  # the C job and the ship job of 5 runs
    needs = _needs([((product, runs) not in started, materials) for product, runs, materials in jobs])
    assert run_purchases(needs, skipped) == {TRIT: 9_400 + 200, PYE: 210}


def test_the_bought_part_of_a_mixed_material_is_shared_in_proportion_to_what_each_job_consumes() -> None:
    # 250 bought: 50 by a job that buys all it takes, so 200 by the two mixed jobs (300 and
    # 100 consumed): 150 and 50. The first started: 50 + 50 still to buy.
    needs = [
        RunJobNeeds(planned=False, materials=(JobMaterial(type_id=TRIT, quantity=300, source="mixed"),)),
        RunJobNeeds(planned=True, materials=(JobMaterial(type_id=TRIT, quantity=100, source="mixed"),)),
        RunJobNeeds(planned=True, materials=(JobMaterial(type_id=TRIT, quantity=50, source="buy"),)),
    ]
    assert run_purchases(needs, [SkippedItem(type_id=TRIT, quantity=250, reason="no_recipe")]) == {TRIT: 100}


# ------------------------------------------------------------------ formats

LINES = shopping_list(
    {TRIT: 32_000_000, PYE: 6_000, MEX: 2_500, 600: 3, 601: 1},
    {**NAMES, 600: 'Plate, "Heavy"', 601: "Ünïcode Ore"},
    {**VOLUMES, 600: 25_000.5},
    market=market((TRIT, 4.0, MONDAY), (PYE, 10.5, MONDAY), (600, 123_456_789_012.25, MONDAY)),
).lines


def as_json(lines: tuple[ShoppingLine, ...]) -> list[dict[str, object]]:
    return msgspec.json.decode(msgspec.json.encode(lines))


def test_multibuy_is_one_name_tab_units_per_line_and_parses_back_to_the_lines() -> None:
    text = as_multibuy(LINES)
    assert text.splitlines()[0] == "Tritanium\t32000000"  # no thousands separator
    parsed = [line.split("\t") for line in text.splitlines()]
    assert [(name, int(units)) for name, units in parsed] == [(line["name"], line["toBuy"]) for line in as_json(LINES)]


def test_multibuy_refuses_an_item_it_cannot_name_rather_than_leave_it_out() -> None:
    unnamed = shopping_list({TRIT: 10, 999: 1, 998: 1}, {**NAMES, 998: "Tab\tName"}, VOLUMES).lines
    with pytest.raises(RuleViolation, match="items 998, 999") as refused:
        as_multibuy(unnamed)
    assert refused.value.field == "format"


def test_csv_has_a_header_and_parses_back_to_the_lines_names_with_commas_and_quotes_included() -> None:
    text = as_csv(LINES)
    assert '"Plate, ""Heavy"""' in text and text.endswith("\r\n")  # RFC 4180 quoting, CRLF
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    kinds = {"typeId": int, "required": int, "held": int, "toBuy": int, "volume": float, "unitPrice": float}
    kinds |= {"cost": float, "name": str}
    parsed = [
        {c: kinds[c](cell) if cell else None for c, cell in zip(CSV_COLUMNS, row, strict=True)} for row in rows[1:]
    ]
    assert parsed == as_json(LINES)  # an unknown volume or price is an empty cell


def test_csv_writes_plain_numbers_never_exponents() -> None:
    big = shopping_list({TRIT: 4_000_000_000}, NAMES, VOLUMES, market=market((TRIT, 8_000_000.0, MONDAY))).lines
    assert as_csv(big).splitlines()[1] == "34,Tritanium,4000000000,0,4000000000,40000000.0,8000000.0,32000000000000000"
