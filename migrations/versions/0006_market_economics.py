"""Market data and production economics.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from migrations.retired import downgrade, upgrade  # noqa: F401  (read models: see migrations.retired)

revision = "0006"
down_revision = "0005"
