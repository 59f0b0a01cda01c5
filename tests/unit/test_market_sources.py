"""Market files in the layouts ESI answers, read into quotes, adjusted prices and cost indices.

The fixtures in ``fixtures/market`` are small made-up answers with ESI's field names: ten orders
of The Forge (10000002) at Jita 4-4 (60003760) and a Perimeter structure, as one array, as two
pages back to back and as JSON lines; /markets/prices/, /industry/systems/ and four days of the
Rifter's market history.
"""

from __future__ import annotations

import gzip
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import application.market_sources as sources
from application.market_sources import (
    load_market,
    read_adjusted_prices,
    read_cost_indices,
    read_daily_volume,
    read_orders,
)
from domain.catalog.chains import ProductionGraph
from domain.catalog.model import Activity, ActivityKind, Material, Product, Recipe
from domain.economics import (
    DepthLevel,
    EconomicsSettings,
    JobSite,
    PriceBasis,
    PriceChoice,
    PriceQuote,
    item_economics,
)
from domain.errors import InvalidInput

MARKET = Path(__file__).parents[1] / "fixtures" / "market"
ORDERS = MARKET / "orders_10000002.json"
FORGE, JITA, JITA_44 = 10000002, 30000142, 60003760
TRIT, PYE, MEX, RIFTER = 34, 35, 36, 587
WHEN = datetime(2026, 2, 27, 11, 0, tzinfo=UTC)


def by_type(quotes: list[PriceQuote]) -> dict[int, PriceQuote]:
    return {quote.type_id: quote for quote in quotes}


def test_orders_aggregate_into_one_quote_per_item() -> None:
    quotes = by_type(read_orders(ORDERS, FORGE, observed_at=WHEN))
    assert set(quotes) == {TRIT, RIFTER, PYE}  # Mexallon's only order has nothing left
    tritanium = quotes[TRIT]
    assert (tritanium.region_id, tritanium.observed_at) == (FORGE, WHEN)
    assert (tritanium.lowest_sell, tritanium.highest_buy) == (4.0, 3.6)
    assert (tritanium.sell_volume, tritanium.buy_volume) == (100_000 + 120_000 + 180_000 + 600_000, 3_000_000)
    assert tritanium.sell_depth == (  # the two 4.50 orders are one level
        DepthLevel(price=4.0, volume=100_000),
        DepthLevel(price=4.5, volume=300_000),
        DepthLevel(price=6.0, volume=600_000),
    )
    assert (quotes[PYE].lowest_sell, quotes[PYE].highest_buy, quotes[PYE].sell_depth) == (None, 9.1, ())
    assert (quotes[RIFTER].lowest_sell, quotes[RIFTER].highest_buy) == (450_000.0, 400_000.0)


def test_orders_can_be_kept_to_some_locations_and_without_depth() -> None:
    quotes = by_type(read_orders(ORDERS, FORGE, observed_at=WHEN, location_ids=[JITA_44], depth=False))
    tritanium = quotes[TRIT]
    assert (tritanium.sell_volume, tritanium.buy_volume, tritanium.highest_buy) == (400_000, 1_000_000, 3.6)
    assert tritanium.sell_depth == ()


def test_one_array_pages_back_to_back_json_lines_and_gzip_read_alike(tmp_path: Path) -> None:
    expected = read_orders(ORDERS, FORGE, observed_at=WHEN)
    zipped = tmp_path / "orders.json.gz"
    with ORDERS.open("rb") as plain, gzip.open(zipped, "wb") as packed:
        shutil.copyfileobj(plain, packed)
    for layout in (MARKET / "orders_10000002_pages.json", MARKET / "orders_10000002.jsonl", zipped):
        assert read_orders(layout, FORGE, observed_at=WHEN) == expected, layout.name


def test_records_split_across_reads_are_put_back_together(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    expected = read_orders(ORDERS, FORGE, observed_at=WHEN)
    monkeypatch.setattr(sources, "_CHUNK", 7)  # every record spans several reads
    assert read_orders(ORDERS, FORGE, observed_at=WHEN) == expected
    accented = tmp_path / "systems.json"  # some read cuts the two bytes of Ä apart
    accented.write_text('[{"solar_system_id": 1, "name": "Ämarr", "cost_indices": []}]', encoding="utf-8")
    for size in range(1, 9):
        monkeypatch.setattr(sources, "_CHUNK", size)
        assert [system.solar_system_id for system in sources._records(accented, sources._System)] == [1]


def test_several_page_files_make_one_book_observed_at_the_oldest_file(tmp_path: Path) -> None:
    first, second = tmp_path / "page1.json", tmp_path / "page2.json"
    pages = (MARKET / "orders_10000002_pages.json").read_text().splitlines()
    first.write_text(pages[0])
    second.write_text(pages[1])
    older = datetime(2026, 2, 27, 10, 0, tzinfo=UTC).timestamp()
    os.utime(first, (older, older))
    quotes = read_orders([first, second], FORGE)
    assert {quote.observed_at for quote in quotes} == {datetime(2026, 2, 27, 10, 0, tzinfo=UTC)}
    assert by_type(quotes) == by_type(read_orders([first, second], FORGE, observed_at=quotes[0].observed_at))


def test_adjusted_prices_skip_items_without_one() -> None:
    prices = {price.type_id: price for price in read_adjusted_prices(MARKET / "prices.json", observed_at=WHEN)}
    assert set(prices) == {34, 35, 36, 37, RIFTER}  # the blueprint (691) has an average price only
    assert (prices[TRIT].adjusted_price, prices[TRIT].average_price, prices[TRIT].observed_at) == (3.52, 3.97, WHEN)


def test_cost_indices_per_system_and_activity() -> None:
    indices = read_cost_indices(MARKET / "industry_systems.json", observed_at=WHEN)
    found = {(index.solar_system_id, index.activity): index.cost_index for index in indices}
    assert found == {
        (JITA, ActivityKind.MANUFACTURING): 0.0512,
        (JITA, ActivityKind.RESEARCH_TIME): 0.0311,
        (JITA, ActivityKind.RESEARCH_MATERIAL): 0.0287,
        (JITA, ActivityKind.COPYING): 0.0301,
        (JITA, ActivityKind.INVENTION): 0.0455,
        (JITA, ActivityKind.REACTION): 0.0014,
        (30002187, ActivityKind.MANUFACTURING): 0.0021,
    }  # "duplicating", a retired activity, is skipped


def test_daily_volume_is_the_average_of_the_last_days() -> None:
    history = MARKET / "history_10000002_587.json"
    assert read_daily_volume(history) == pytest.approx((90 + 110 + 120 + 130) / 4)
    assert read_daily_volume(history, days=2) == pytest.approx((120 + 130) / 2)  # by date, not file order


def test_malformed_files_name_the_record(tmp_path: Path) -> None:
    no_type = tmp_path / "orders.json"
    no_type.write_text(
        '[{"type_id": 34, "is_buy_order": false, "price": 4.0, "volume_remain": 1},\n'
        ' {"is_buy_order": true, "price": 3.0, "volume_remain": 5}]'
    )
    with pytest.raises(InvalidInput, match=r"orders.json record 2: .*type_id"):
        read_orders(no_type, FORGE, observed_at=WHEN)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"type_id": 34, "adjusted_price": 3.5}, {"type_id": 35, "adjusted_price": ')
    with pytest.raises(InvalidInput, match=r"broken.json record 2"):
        read_adjusted_prices(broken, observed_at=WHEN)
    not_objects = tmp_path / "numbers.json"
    not_objects.write_text("[1, 2, 3]")
    with pytest.raises(InvalidInput, match="expected an object"):
        read_adjusted_prices(not_objects, observed_at=WHEN)
    with pytest.raises(InvalidInput, match="absent.json"):
        read_adjusted_prices(tmp_path / "absent.json", observed_at=WHEN)


def test_a_loaded_market_feeds_item_economics() -> None:
    market = load_market(
        FORGE,
        orders=ORDERS,
        prices=MARKET / "prices.json",
        systems=MARKET / "industry_systems.json",
        observed_at=WHEN,
        daily_volumes={RIFTER: read_daily_volume(MARKET / "history_10000002_587.json") or 0.0},
    )
    graph = ProductionGraph.from_recipes(
        [
            Recipe(
                recipe_id=691,
                activities=(
                    Activity(
                        kind=ActivityKind.MANUFACTURING,
                        time=6000,
                        materials=(Material(type_id=TRIT, quantity=32000),),  # the Rifter's Tritanium only
                        products=(Product(type_id=RIFTER, quantity=1),),
                    ),
                ),
            )
        ]
    )
    settings = EconomicsSettings(
        site=JobSite(solar_system_id=JITA), input_price=PriceChoice(basis=PriceBasis.PERCENTILE, percentile=20)
    )
    result = item_economics(graph, RIFTER, market, settings)
    # 20% of the 1,000,000 listed: 100,000 at 4 + 100,000 at 4.5 -> 4.25; 32,000 x 4.25 = 136,000
    assert result.material_cost.value == pytest.approx(136_000)
    # EIV 32,000 x 3.52 = 112,640; x (0.0512 + 0.0025 + 0.04 = 0.0937) = 10,554.368
    assert result.job_cost.value == pytest.approx(10_554.368)
    assert result.sell_price.value == 450_000 and result.daily_volume == pytest.approx(112.5)
    assert result.total_cost.as_of == WHEN and result.missing == ()
