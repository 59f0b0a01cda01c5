"""Correctness: a container's config keeps ``min_balance`` and ``mode``; production_economics
keeps the base row of every item and the plan row beside it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from migrations.retired import downgrade, upgrade  # noqa: F401  (read models: see migrations.retired)

revision = "0010"
down_revision = "0009"
