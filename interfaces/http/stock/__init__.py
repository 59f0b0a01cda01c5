"""The stock routes: one controller, since a command and a query may share a path (two
controllers on one path would each bring the path's OPTIONS handler)."""

from interfaces.http.stock.commands import StockCommands
from interfaces.http.stock.queries import StockQueries


class StockController(StockCommands, StockQueries):
    """Commands (If-Match and metadata resolved for those that ask) and queries of stock."""
