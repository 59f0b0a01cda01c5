"""The ranges a value can take anywhere it is stored, as msgspec types.

Every number and string a client sends ends up in an event and then in a read-model column;
a value the column cannot hold (an id of 2**63, a NUL on PostgreSQL, a name longer than its
``VARCHAR``) would be recorded and then break the projection that applies it. So the limits
are facts of the model, stated once here and used by the request bodies (where they become
a 400 naming the field, and appear in the OpenAPI schema) and by the formats importers read.

Numbers: ids are the games' positive 64-bit ids; counts and levels that land in ``INTEGER``
columns stay within 32 bits; quantities that land in ``BIGINT`` within 63. Floats are finite
and bounded (JSON's ``1e400`` decodes to infinity). Strings are capped at their column's
length (or a sane size where the column is JSON or text) and never contain NUL.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
NO_NUL = r"^[^\x00]*$"

# ------------------------------------------------------------------ integers

GameId = Annotated[int, msgspec.Meta(ge=1, le=INT64_MAX, description="A game's id: a positive 64-bit integer")]
"""Type, recipe, station, location, region, solar system, character and game job ids."""

Quantity = Annotated[int, msgspec.Meta(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""Units of an item (BIGINT columns). Signed as the column is: that a quantity must not be
negative is a rule of the model (a 422 naming the rule), not a limit of storage."""

Count = Annotated[int, msgspec.Meta(ge=-INT32_MAX - 1, le=INT32_MAX)]
"""Runs, slots, levels, seconds per run, step numbers (INTEGER columns); signed like ``Quantity``."""

PositiveCount = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]

Seed = Annotated[int, msgspec.Meta(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""A random seed, kept as a signed 64-bit integer."""

# ------------------------------------------------------------------ floats

MAX_AMOUNT = 1e15
"""ISK and m3 figures: far above any real price or volume, far below float trouble."""

Amount = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_AMOUNT)]
"""A price, a cost, a revenue or a volume."""

SignedAmount = Annotated[float, msgspec.Meta(ge=-MAX_AMOUNT, le=MAX_AMOUNT)]
"""A figure that may be negative (a profit, a threshold)."""

Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
"""A tax, a bonus or a probability: 0 to 1."""

MAX_SECONDS = 10 * 365 * 24 * 3600.0
Seconds = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_SECONDS)]
"""A duration: at most ten years."""

WholeSeconds = Annotated[int, msgspec.Meta(ge=0, le=int(MAX_SECONDS))]
"""An industry job's duration: whole seconds, as the game reports them; at most ten years."""

MAX_MULTIPLIER = 1000.0
Multiplier = Annotated[float, msgspec.Meta(ge=0.0, le=MAX_MULTIPLIER)]
"""A crafting modifier (1.0 = unchanged)."""

# ------------------------------------------------------------------ strings


def text(max_length: int, min_length: int = 0) -> msgspec.Meta:
    """At most ``max_length`` characters and no NUL (PostgreSQL refuses NUL in text)."""
    return msgspec.Meta(min_length=min_length, max_length=max_length, pattern=NO_NUL)


Name = Annotated[str, text(255, min_length=1)]
"""An item, recipe, world or plan name (VARCHAR(255) at most)."""

OptionalText = Annotated[str, text(255)]
"""A name that may be empty (a recipe's, a group's)."""

Label = Annotated[str, text(64)]
"""A short code: a game, a strategy, a system symbol, a category (VARCHAR(64))."""

Key = Annotated[str, text(128, min_length=1)]
"""An identifier a client chooses: a container, an inventory, a manager, a recipe id, an owner."""

Note = Annotated[str, text(2000)]
"""Free text kept with a record (VARCHAR(2000))."""


# ------------------------------------------------------------------ lists

MAX_BATCH = 100_000
"""Entries of one imported list (holdings, quotes, a catalog's map): a whole game fits. A
catalog's items and recipes have their limits in ``WorkLimits`` (settings) instead."""

MAX_SMALL_LIST = 1000
"""Entries of a list a client types (grants, tags, categories, job lists)."""

# ------------------------------------------------------------------ free-form JSON

MAX_JSON_DEPTH = 32
"""Nesting of free-form JSON kept with a record (a recipe's metadata, a job's context): deep
enough for any real document, shallow enough that encoding it again can never recurse out."""


def check_depth(value: object, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise ``ValueError`` if ``value`` (plain JSON data) nests deeper than ``limit``; for a
    Struct's ``__post_init__``, where msgspec reports it as a validation error at the field."""
    level: list[object] = [value]
    for _ in range(limit + 1):
        level = [
            child
            for node in level
            if isinstance(node, dict | list | tuple)
            for child in (node.values() if isinstance(node, dict) else node)
        ]
        if not level:
            return
    raise ValueError(f"JSON nested deeper than {limit} levels")
