"""The blueprint library's routes: one controller, since a command and a query share a path
(two controllers on one path would each bring the path's OPTIONS handler)."""

from interfaces.http.blueprints.commands import BlueprintCommands
from interfaces.http.blueprints.queries import BlueprintQueries


class BlueprintController(BlueprintCommands, BlueprintQueries):
    """Commands (metadata resolved for those that ask) and queries of the blueprint library."""
