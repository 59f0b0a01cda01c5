"""The market routes: one controller, since a command and a query may share a path (two
controllers on one path would each bring the path's OPTIONS handler)."""

from interfaces.http.market.commands import MarketCommands
from interfaces.http.market.queries import MarketQueries


class MarketController(MarketCommands, MarketQueries):
    """Commands (If-Match and metadata resolved for those that ask) and queries of market."""
