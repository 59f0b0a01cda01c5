"""The crafting routes: one controller, since a command and a query may share a path (two
controllers on one path would each bring the path's OPTIONS handler)."""

from interfaces.http.crafting.commands import CraftingCommands
from interfaces.http.crafting.queries import CraftingQueries


class CraftingController(CraftingCommands, CraftingQueries):
    """Commands (If-Match and metadata resolved for those that ask) and queries of crafting."""
