"""The notification routes: a user's webhooks and the outcome of each delivery."""

from interfaces.http.notifications.commands import NotificationCommands
from interfaces.http.notifications.queries import NotificationQueries


class NotificationController(NotificationCommands, NotificationQueries):
    """Commands (register and remove webhooks) and queries (webhooks, deliveries)."""
