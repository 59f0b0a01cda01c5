"""The game connection for EVE Online: ESI (its API) and SSO (its login)."""
