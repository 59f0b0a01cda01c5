"""A manufacturing coordinator's runtime configuration: a value object with its rules.

Fields and defaults follow the coordinator spec (max pipelines 3, max workers 5, collect
ABUNDANT/HIGH, acquire MODERATE/LIMITED), in its order; errors name a field by its Python name
(the HTTP layer knows the spec's camelCase names). Updates are partial: only the fields
given change, and the result must satisfy every rule or nothing changes.

``min_balance`` and ``mode`` are the two keys of the spec's ``containers.config`` seed the
coordinators already keep there. The spec gives them no rules, so these are ours:
``min_balance`` is the credits the coordinator keeps in reserve (a whole number, 0 to the
int64 maximum; default 0, the seed's value) and ``mode`` how it schedules its work:
``parallel_task_based`` (the seed's value and the default: pipelines side by side, up to
``max_pipelines``) or ``sequential_task_based`` (one pipeline at a time).
"""

from __future__ import annotations

import enum
import re
from typing import Any

import msgspec

from domain.errors import InvalidInput, RuleViolation
from domain.manufacturing.supply import SupplyLevel

MAX_PIPELINES_LIMIT = 100
MAX_WORKERS_LIMIT = 1000
MIN_PURCHASE_PRICE_LIMIT = 10**12
MIN_BALANCE_LIMIT = 2**63 - 1  # credits; the int64 a coordinator holds them in
STRATEGY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class CoordinatorMode(enum.Enum):
    PARALLEL_TASK_BASED = "parallel_task_based"
    SEQUENTIAL_TASK_BASED = "sequential_task_based"

    @classmethod
    def parse(cls, value: Any, field: str) -> CoordinatorMode:
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(mode.value for mode in cls)
            raise InvalidInput(f"unknown mode {value!r}; valid modes: {valid}", field) from None


class ManufacturingConfig(msgspec.Struct, frozen=True, kw_only=True):
    max_pipelines: int = 3
    max_workers: int = 5
    collect_min_start_supply: SupplyLevel = SupplyLevel.ABUNDANT
    collect_min_execute_supply: SupplyLevel = SupplyLevel.HIGH
    acquire_min_start_supply: SupplyLevel = SupplyLevel.MODERATE
    acquire_min_execute_supply: SupplyLevel = SupplyLevel.LIMITED
    min_purchase_price: int = 0
    strategy: str = "prefer-fabricate"
    min_balance: int = 0  # events recorded before these two fields replay with the defaults
    mode: CoordinatorMode = CoordinatorMode.PARALLEL_TASK_BASED

    def with_changes(self, changes: dict[str, Any]) -> ManufacturingConfig:
        """A new config with ``changes`` (raw field values) applied and validated as a whole."""
        parsed = {name: _parse_field(name, value) for name, value in changes.items()}
        updated = msgspec.structs.replace(self, **parsed)
        updated.validate()
        return updated

    def validate(self) -> None:
        _check_range("max_pipelines", self.max_pipelines, 1, MAX_PIPELINES_LIMIT)
        _check_range("max_workers", self.max_workers, 1, MAX_WORKERS_LIMIT)
        _check_range("min_purchase_price", self.min_purchase_price, 0, MIN_PURCHASE_PRICE_LIMIT)
        _check_range("min_balance", self.min_balance, 0, MIN_BALANCE_LIMIT)
        for task in ("collect", "acquire"):
            start: SupplyLevel = getattr(self, f"{task}_min_start_supply")
            execute: SupplyLevel = getattr(self, f"{task}_min_execute_supply")
            if not start.meets_or_exceeds(execute):
                raise RuleViolation(
                    f"{task} start supply {start.value} is below its execute supply {execute.value}; "
                    "a task must not start on less supply than it needs to execute",
                    f"{task}_min_start_supply",
                )

    def differences(self, other: ManufacturingConfig) -> dict[str, tuple[Any, Any]]:
        """Field name -> (this value, other value) for every field that differs."""
        changed = {}
        for name in self.__struct_fields__:
            old, new = getattr(self, name), getattr(other, name)
            if old != new:
                changed[name] = (_plain(old), _plain(new))
        return changed


def _parse_field(name: str, value: Any) -> Any:
    if name not in ManufacturingConfig.__struct_fields__:
        raise InvalidInput(f"unknown configuration field {name!r}", name)
    if name.endswith("_supply"):
        if isinstance(value, SupplyLevel):
            return value
        if not isinstance(value, str):
            raise InvalidInput("a supply level must be a string", name)
        return SupplyLevel.parse(value, name)
    if name == "mode":
        if isinstance(value, CoordinatorMode):
            return value
        if not isinstance(value, str):
            raise InvalidInput("mode must be a string", name)
        return CoordinatorMode.parse(value, name)
    if name == "strategy":
        if not isinstance(value, str) or not STRATEGY_PATTERN.match(value):
            raise InvalidInput(
                "strategy must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                name,
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("must be a whole number", name)
    return value


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise RuleViolation(f"must be between {low} and {high}, got {value}", name)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value
