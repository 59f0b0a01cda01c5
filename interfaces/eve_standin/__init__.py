"""A local stand-in for EVE Online's servers (ESI and SSO), for tests and demos."""
