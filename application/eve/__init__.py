"""The game connection's application side: EVE's SSO, linked characters and their tokens."""
