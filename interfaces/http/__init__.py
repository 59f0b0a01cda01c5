"""The HTTP API: command routes and query routes in separate modules, wired in ``app``."""
