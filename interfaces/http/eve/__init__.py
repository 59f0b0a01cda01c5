"""The EVE routes: linking characters through EVE's SSO, listing and unlinking them."""

from interfaces.http.eve.commands import EveCommands
from interfaces.http.eve.queries import EveQueries


class EveController(EveCommands, EveQueries):
    """Commands (the login, its callback, unlinking) and queries (the linked characters) of EVE."""
