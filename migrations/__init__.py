"""Alembic migrations of the read-model database (run by ``manufactory migrate`` and at start-up)."""
