"""The transport routes: a user's transport profiles."""

from interfaces.http.transport.commands import TransportCommands
from interfaces.http.transport.queries import TransportQueries


class TransportController(TransportCommands, TransportQueries):
    """Commands (add, replace, remove a profile) and queries (your profiles)."""
