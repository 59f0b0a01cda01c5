"""The EVE routes: linking characters through EVE's SSO, listing and unlinking them, and the sync."""

from interfaces.http.eve.commands import EveCommands
from interfaces.http.eve.queries import EveQueries
from interfaces.http.eve.sync import EveSyncRoutes


class EveController(EveCommands, EveQueries, EveSyncRoutes):
    """Commands (the login, its callback, unlinking, a sync now) and queries (the linked
    characters, the sync's status) of EVE."""
