"""How much work one command may cause: bounds checked before the work is done.

Field limits (string lengths, integer ranges, list lengths) live in the request schemas. They
are not enough: a valid-looking number can still multiply into unbounded work. A quantity of
100,000,000 on a plan whose blueprint allows one run per job is 100,000,000 jobs; a catalog
whose items share their inputs expands into a plan tree exponentially larger than the catalog.
So every command that materialises something from a request's numbers first works out, by
arithmetic, how much it would materialise, and refuses above these limits with a
``WorkLimitExceeded`` (HTTP 422) naming the field and the limit, with nothing recorded.

``WorkLimits`` are settings (``MANUFACTORY_MAX_<NAME>``, e.g. ``MANUFACTORY_MAX_JOBS_PER_RUN``);
the defaults leave room for the real game (the EVE SDE is ~50,000 items and ~5,000 blueprints;
a capital ship's full chain is a few hundred steps).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from domain.errors import RuleViolation
from domain.limits import MAX_MULTIPLIER, MAX_SECONDS


class WorkLimitExceeded(RuleViolation):
    """A command would do more work, or keep more, than its limit allows; nothing was changed."""

    def __init__(self, what: str, amount: int | None, limit: int, field: str, hint: str = "") -> None:
        found = f"{amount:,}" if amount is not None else f"more than {limit:,}"
        detail = f"{what}: {found}, and the limit is {limit:,}" + (f"; {hint}" if hint else "")
        super().__init__(detail, field)
        self.limit = limit
        self.amount = amount


class WorkLimits(msgspec.Struct, frozen=True, kw_only=True):
    # Jobs one plan run may queue (one generate, by hand or by auto-production).
    jobs_per_run: int = 10_000
    # Runs a plan may record in its life: each is an event in the plan's history, which every
    # load of the plan replays (deleting a run adds one). A run every 30 minutes for 5 years.
    runs_per_plan: int = 100_000
    # Steps in one plan's tree (shared intermediates appear once under each user).
    steps_per_plan: int = 2_000
    # Items and recipes in one catalog import (the whole import, across its chunks): the one
    # limit on them, a file's or a request's (the catalog's schema sets none).
    catalog_items: int = 200_000
    catalog_recipes: int = 50_000
    # Characters in one user's roster.
    characters_per_roster: int = 1_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkLimits:
        """Each limit from ``MANUFACTORY_MAX_<NAME>`` where set (a positive whole number)."""
        changes: dict[str, int] = {}
        for name in cls.__struct_fields__:
            raw = env.get(f"MANUFACTORY_MAX_{name.upper()}")
            if raw is not None:
                value = int(raw)
                if value < 1:
                    raise ValueError(f"MANUFACTORY_MAX_{name.upper()} must be at least 1, got {raw}")
                changes[name] = value
        return cls(**changes)


def ensure_within(what: str, amount: int, limit: int, field: str, hint: str = "") -> int:
    """``amount``, or ``WorkLimitExceeded`` when it is above ``limit``."""
    if amount > limit:
        raise WorkLimitExceeded(what, amount, limit, field, hint)
    return amount


DEFAULT_LIMITS = WorkLimits()
# Nodes of one production-chain tree answer (shared inputs repeat under each user): a query's
# answer size, fixed rather than a setting.
MAX_CHAIN_TREE_NODES = 20_000

# The crafting engine's numbers. Checked at the commands that bring them in (a recipe, a
# modifier, a grant, items) and again where the engine multiplies them (a job's start), so
# every value that passes keeps the arithmetic finite, every end time a real time, and every
# stored count within what JSON and the databases hold.
CRAFTING_MAX_MULTIPLIER = MAX_MULTIPLIER  # each modifier (input cost, output yield, time), stacked or not
CRAFTING_MAX_DURATION = MAX_SECONDS  # ten years in seconds: a recipe's duration, and a job's
CRAFTING_MAX_QUANTITY = 1_000_000_000  # units of one item in a recipe, as written or after modifiers
CRAFTING_MAX_STACK = 10**15  # units of one item in one inventory
CRAFTING_MAX_RECIPES_PER_IMPORT = 10_000
CRAFTING_MAX_RECIPES_PER_WORLD = 100_000
