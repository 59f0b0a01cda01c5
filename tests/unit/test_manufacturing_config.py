"""The coordinator's configuration as a value object: defaults, partial updates, rules."""

from __future__ import annotations

import itertools

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.manufacturing.config import ManufacturingConfig
from domain.manufacturing.supply import SupplyLevel

LEVELS = ["SCARCE", "LIMITED", "MODERATE", "HIGH", "ABUNDANT"]


def test_defaults_are_the_specs() -> None:
    config = ManufacturingConfig()
    assert (config.max_pipelines, config.max_workers) == (3, 5)
    assert config.collect_min_start_supply is SupplyLevel.ABUNDANT
    assert config.collect_min_execute_supply is SupplyLevel.HIGH
    assert config.acquire_min_start_supply is SupplyLevel.MODERATE
    assert config.acquire_min_execute_supply is SupplyLevel.LIMITED


@pytest.mark.parametrize(("level", "minimum"), list(itertools.product(LEVELS, LEVELS)))
def test_meets_or_exceeds_follows_the_supply_order(level: str, minimum: str) -> None:
    expected = LEVELS.index(level) >= LEVELS.index(minimum)
    assert SupplyLevel(level).meets_or_exceeds(SupplyLevel(minimum)) is expected


@pytest.mark.parametrize("text", ["high", "High", " HIGH "])
def test_supply_levels_are_read_in_any_case(text: str) -> None:
    assert SupplyLevel.parse(text, "field") is SupplyLevel.HIGH


def test_an_unknown_supply_level_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidInput) as raised:
        SupplyLevel.parse("PLENTY", "collectMinStartSupply")
    assert raised.value.field == "collectMinStartSupply"
    assert "SCARCE, LIMITED, MODERATE, HIGH, ABUNDANT" in raised.value.detail


def test_a_partial_update_changes_only_the_given_fields() -> None:
    before = ManufacturingConfig()
    after = before.with_changes({"max_pipelines": 5, "collect_min_start_supply": "high"})
    assert after.max_pipelines == 5
    assert after.collect_min_start_supply is SupplyLevel.HIGH
    assert before.differences(after) == {"max_pipelines": (3, 5), "collect_min_start_supply": ("ABUNDANT", "HIGH")}
    assert before.max_pipelines == 3, "the value object is immutable"


def test_start_below_execute_supply_breaks_a_rule() -> None:
    with pytest.raises(RuleViolation) as raised:
        ManufacturingConfig().with_changes({"acquire_min_start_supply": "SCARCE"})
    assert raised.value.field == "acquire_min_start_supply"


def test_start_and_execute_may_change_together() -> None:
    config = ManufacturingConfig().with_changes(
        {"collect_min_start_supply": "LIMITED", "collect_min_execute_supply": "SCARCE"}
    )
    assert config.collect_min_execute_supply is SupplyLevel.SCARCE


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("max_pipelines", 0, RuleViolation),
        ("max_pipelines", -3, RuleViolation),
        ("max_pipelines", 101, RuleViolation),
        ("max_workers", 0, RuleViolation),
        ("max_workers", 1001, RuleViolation),
        ("min_purchase_price", -1, RuleViolation),
        ("max_workers", True, InvalidInput),
        ("max_workers", "5", InvalidInput),
        ("strategy", "", InvalidInput),
        ("strategy", "has spaces", InvalidInput),
    ],
)
def test_counts_and_names_must_be_sane(field: str, value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        ManufacturingConfig().with_changes({field: value})
