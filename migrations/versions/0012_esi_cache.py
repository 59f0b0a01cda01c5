"""The ESI response cache: what the game's API last answered for each route and page.

``esi_cache`` is not a read model: it is written by the ESI client (``application.eve.esi``)
and outlives rebuilds. It lives in the read-model database rather than a file under ``var/``
so that every server and CLI process of one install shares it, on PostgreSQL as on SQLite:
ESI asks clients to keep what it answered until ``Expires`` and to revalidate with the
``ETag``, and a second process polling early would spend the install's error and rate budget.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "esi_cache",
        sa.Column("key", sa.String(64), primary_key=True),  # sha256 of whose, route, query and page
        sa.Column("url", sa.Text, nullable=False),  # what the key stands for, for a reader of the table
        sa.Column("etag", sa.String(200)),
        sa.Column("last_modified", sa.String(64)),
        sa.Column("expires_at", sa.Float, nullable=False),  # Unix seconds, on this machine's clock
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("esi_cache")
