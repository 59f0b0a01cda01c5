"""The manufacturing routes: one controller, since a command and a query may share a path (two
controllers on one path would each bring the path's OPTIONS handler)."""

from interfaces.http.manufacturing.commands import ManufacturingCommands
from interfaces.http.manufacturing.queries import ManufacturingQueries


class ManufacturingController(ManufacturingCommands, ManufacturingQueries):
    """Commands (If-Match and metadata resolved for those that ask) and queries of manufacturing."""
