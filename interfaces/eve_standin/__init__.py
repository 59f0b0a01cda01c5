"""A local stand-in for EVE Online's servers (no machine here reaches the game): its SSO and ESI."""
