"""Items each user buys rather than builds (raw materials in their chains).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from migrations.retired import downgrade, upgrade  # noqa: F401  (read models: see migrations.retired)

revision = "0003"
down_revision = "0002"
