"""The workflow routes of the production-system seed: jobs ordered, listed and updated. One
controller, since a command and a query may share a path (two controllers on one path would
each bring the path's OPTIONS handler)."""

from interfaces.http.workflow.commands import WorkflowCommands
from interfaces.http.workflow.queries import WorkflowQueries


class WorkflowController(WorkflowCommands, WorkflowQueries):
    """Commands (If-Match and metadata resolved for those that ask) and queries of the workflow."""
