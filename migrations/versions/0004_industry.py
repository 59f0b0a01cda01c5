"""Industry: production plans, plan runs, the job queue and characters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from migrations.retired import downgrade, upgrade  # noqa: F401  (read models: see migrations.retired)

revision = "0004"
down_revision = "0003"
