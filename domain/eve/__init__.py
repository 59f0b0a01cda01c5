"""The connection to EVE Online: the characters a user has linked through EVE's SSO."""
