"""Manufactory's domain: aggregates, events, value objects and pure calculations (no I/O)."""
