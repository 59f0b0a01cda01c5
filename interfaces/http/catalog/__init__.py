"""The catalog routes: one controller, since a command and a query may share a path (two
controllers on one path would each bring the path's OPTIONS handler)."""

from interfaces.http.catalog.commands import CatalogCommands
from interfaces.http.catalog.queries import CatalogQueries


class CatalogController(CatalogCommands, CatalogQueries):
    """Commands (If-Match and metadata resolved for those that ask) and queries of catalog."""
