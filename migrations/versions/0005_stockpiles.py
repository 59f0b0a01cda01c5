"""Stockpiles: assets, stockpile markers and the plans they may link to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from migrations.retired import downgrade, upgrade  # noqa: F401  (read models: see migrations.retired)

revision = "0005"
down_revision = "0004"
