"""Modifiers a production manager grants to the jobs it starts: a building's level, a station's
bonus, a player's skill. Stored with the manager, so a restored world grants the same."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from domain.crafting import IDENTITY, CraftRecipe, Modifiers, combine_all
from domain.errors import InvalidInput


class ModifierGrant(msgspec.Struct, frozen=True, kw_only=True):
    """``modifiers`` for every job, or only for recipes of ``categories`` and/or jobs of ``owners``."""

    modifiers: Modifiers
    categories: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()

    def applies(self, owner: str, recipe: CraftRecipe) -> bool:
        return (not self.categories or recipe.category in self.categories) and (not self.owners or owner in self.owners)


def checked(modifiers: Modifiers, field: str) -> Modifiers:
    """``modifiers``, or ``InvalidInput`` naming the bad multiplier under ``field``."""
    try:
        return modifiers.check()
    except InvalidInput as error:
        raise InvalidInput(error.detail, f"{field}.{error.field}") from None


def checked_grants(grants: Iterable[ModifierGrant]) -> tuple[ModifierGrant, ...]:
    """``grants``, or ``InvalidInput`` naming the first bad multiplier (``grants[i].modifiers.x``)."""
    grants = tuple(grants)
    for index, grant in enumerate(grants):
        checked(grant.modifiers, f"grants[{index}].modifiers")
    return grants


class GrantedModifiers:
    """A manager's ``ModifierSource``: its matching grants, stacked multiplicatively.

    Grants are checked by the command that creates the manager (``checked_grants``), not here:
    replay builds this too, and a grant stored before today's bounds must still load (the
    job start's ``resolve`` then refuses what it would make out of bounds)."""

    def __init__(self, grants: Iterable[ModifierGrant]) -> None:
        self.grants = tuple(grants)

    def get_modifiers(self, owner: str, recipe: CraftRecipe) -> Modifiers:
        granted = [grant.modifiers for grant in self.grants if grant.applies(owner, recipe)]
        return combine_all(granted) if granted else IDENTITY
