"""Market supply levels, ordered SCARCE < LIMITED < MODERATE < HIGH < ABUNDANT."""

from __future__ import annotations

import enum

from domain.errors import InvalidInput


class SupplyLevel(enum.Enum):
    SCARCE = "SCARCE"
    LIMITED = "LIMITED"
    MODERATE = "MODERATE"
    HIGH = "HIGH"
    ABUNDANT = "ABUNDANT"

    @property
    def order(self) -> int:
        return _ORDER[self]

    def meets_or_exceeds(self, minimum: SupplyLevel) -> bool:
        return self.order >= minimum.order

    @classmethod
    def parse(cls, text: str, field: str) -> SupplyLevel:
        """Accept any letter case; an unknown level is an error that lists the valid ones."""
        try:
            return cls(text.strip().upper())
        except ValueError:
            valid = ", ".join(level.value for level in cls)
            raise InvalidInput(f"unknown supply level {text!r}; valid levels: {valid}", field) from None


_ORDER = {level: position for position, level in enumerate(SupplyLevel, start=1)}
