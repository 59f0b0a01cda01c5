"""The game connection for EVE Online: its SSO (login, linked characters and their tokens) and ESI (its API)."""
