"""The me routes: one controller, since a command and a query may share a path (two
controllers on one path would each bring the path's OPTIONS handler)."""

from interfaces.http.me.commands import MeCommands
from interfaces.http.me.queries import MeQueries


class MeController(MeCommands, MeQueries):
    """Commands (If-Match and metadata resolved for those that ask) and queries of me."""
