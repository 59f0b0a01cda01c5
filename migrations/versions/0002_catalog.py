"""Catalog: items, recipes and their links, versions, production dependencies and chains.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from migrations.retired import downgrade, upgrade  # noqa: F401  (read models: see migrations.retired)

revision = "0002"
down_revision = "0001"
