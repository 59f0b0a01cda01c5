"""Efficiency modifiers and the recipe as a job runs it once they are applied.

Rounding favours the world over the player, as the original did: consumed inputs round up
(never below 1, so no recipe becomes free), outputs round down (no duplication from yields),
and the duration rounds to the nearest millisecond (so it is a clean number in every record).
Products such as ``10 * 0.7`` are computed in binary floating point as ``7.000000000000001``;
``_snap`` treats anything within 1e-9 (relative) of a whole number as that number first, so
a 30% reduction of 10 costs 7, not 8.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Protocol

import msgspec

from domain.crafting.errors import InvalidModifiers, JobTooLarge
from domain.crafting.recipes import CraftRecipe, ItemRequirement, ItemYield
from domain.work_limits import CRAFTING_MAX_DURATION, CRAFTING_MAX_MULTIPLIER, CRAFTING_MAX_QUANTITY

DURATION_RESOLUTION = 1000  # effective durations are whole milliseconds
_SNAP = 1e-9


class Modifiers(msgspec.Struct, frozen=True, gc=False):
    """Multipliers for input cost, output yield and duration (1.0 = unchanged), with their provenance.

    Frozen and hashable so a resolved set can key the manager's cache of resolved recipes.
    """

    input_cost: float = 1.0
    output_yield: float = 1.0
    time_speed: float = 1.0
    source: str = ""
    tags: tuple[str, ...] = ()

    def combine(self, other: Modifiers) -> Modifiers:
        """Stack two modifiers multiplicatively (0.9 then 0.8 costs 0.72); sources join with '+'."""
        return Modifiers(
            self.input_cost * other.input_cost,
            self.output_yield * other.output_yield,
            self.time_speed * other.time_speed,
            "+".join(source for source in (self.source, other.source) if source),
            self.tags + other.tags,
        )

    def check(self) -> Modifiers:
        """Return self, or raise ``InvalidModifiers`` for a multiplier that is negative, not
        finite or above ``CRAFTING_MAX_MULTIPLIER``."""
        for name in ("input_cost", "output_yield", "time_speed"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= CRAFTING_MAX_MULTIPLIER):
                raise InvalidModifiers(
                    f"modifier {name} must be a finite number from 0 to {CRAFTING_MAX_MULTIPLIER:g}, got {value!r}",
                    name,
                )
        return self


IDENTITY = Modifiers()


class ModifierSource(Protocol):
    """Anything that adjusts production: a building level, a skill, a buff, a research.

    Asked once per job start (its answer is snapshotted into the job), outside the manager's
    lock, so it may be slow or consult other systems without stalling updates.
    """

    def get_modifiers(self, owner: str, recipe: CraftRecipe) -> Modifiers:
        """The modifiers this source grants ``owner`` for ``recipe`` (``IDENTITY`` for none)."""
        ...


def combine_all(modifiers: Iterable[Modifiers]) -> Modifiers:
    """Stack any number of modifiers; none gives ``IDENTITY``."""
    result = IDENTITY
    for modifier in modifiers:
        result = modifier if result is IDENTITY else result.combine(modifier)
    return result


def _snap(value: float) -> float:
    nearest = round(value)
    return float(nearest) if abs(value - nearest) <= _SNAP * max(1.0, abs(value)) else value


def effective_input(quantity: int, input_cost: float) -> int:
    """A consumed input's quantity after modifiers: rounded up, at least 1."""
    return max(1, math.ceil(_snap(quantity * input_cost)))


def effective_output(quantity: int, output_yield: float) -> int:
    """An output's quantity after modifiers: rounded down, at least 0."""
    return max(0, math.floor(_snap(quantity * output_yield)))


def effective_duration(duration: float, time_speed: float) -> float:
    """The duration after modifiers, rounded to the nearest millisecond (halves up)."""
    return math.floor(_snap(duration * time_speed * DURATION_RESOLUTION) + 0.5) / DURATION_RESOLUTION


class ResolvedRecipe(msgspec.Struct, frozen=True, gc=False):
    """A recipe with modifiers applied, frozen into a job at start.

    Later changes to the recipe, the registry or the modifier sources never reach a running
    job (no removing a buff mid-production, no surprise for the player). Tools keep their
    quantity; an output may resolve to 0 (it is kept, so the record shows what the yield did).
    """

    recipe_id: str
    modifiers: Modifiers
    inputs: tuple[ItemRequirement, ...]
    outputs: tuple[ItemYield, ...]
    duration: float


def resolve(recipe: CraftRecipe, modifiers: Modifiers = IDENTITY) -> ResolvedRecipe:
    """Apply ``modifiers`` to ``recipe`` with the engine's rounding rules.

    The one place a job's numbers are multiplied, so the one place they are bounded: the
    (stacked) modifiers by ``check``, the products by ``CRAFTING_MAX_DURATION`` and
    ``CRAFTING_MAX_QUANTITY`` before any rounding (``JobTooLarge``). A recipe stored before
    these bounds existed can then refuse a start, never overflow one.
    """
    modifiers.check()
    cost, gain = modifiers.input_cost, modifiers.output_yield
    _ensure_at_most(recipe.duration * modifiers.time_speed, CRAFTING_MAX_DURATION, recipe, "time_speed", "seconds")
    inputs = tuple(
        ItemRequirement(req.item, _bounded(effective_input, req.quantity, cost, recipe, "input_cost"), True)
        if req.consume
        else req
        for req in recipe.inputs
    )
    outputs = tuple(
        out
        if gain == 1.0
        else msgspec.structs.replace(
            out, quantity=_bounded(effective_output, out.quantity, gain, recipe, "output_yield")
        )
        for out in recipe.outputs
    )
    return ResolvedRecipe(
        recipe.id, modifiers, inputs, outputs, effective_duration(recipe.duration, modifiers.time_speed)
    )


def _bounded(
    effective: Callable[[int, float], int], quantity: int, factor: float, recipe: CraftRecipe, field: str
) -> int:
    _ensure_at_most(quantity * factor, CRAFTING_MAX_QUANTITY, recipe, field, "units")
    return effective(quantity, factor)


def _ensure_at_most(value: float, limit: float, recipe: CraftRecipe, field: str, unit: str) -> None:
    if not value <= limit:  # also catches inf and nan
        raise JobTooLarge(
            f"recipe {recipe.id!r} with these modifiers would need {value:g} {unit}; at most {limit:g}", field
        )
