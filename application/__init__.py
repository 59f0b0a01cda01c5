"""Command handling: the event store Application, services per capability, background runners."""
