"""The industry routes: one controller, since a command and a query may share a path (two
controllers on one path would each bring the path's OPTIONS handler)."""

from interfaces.http.industry.commands import IndustryCommands
from interfaces.http.industry.queries import IndustryQueries


class IndustryController(IndustryCommands, IndustryQueries):
    """Commands (If-Match and metadata resolved for those that ask) and queries of industry."""
