"""Idempotency keys: the answer to each request a client sent with an ``Idempotency-Key``,
kept for the retention window so a retry is answered, not executed again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        # sha256 of method, path, query and body: the same key for another request is refused.
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),  # Unix seconds
        # While the request runs: until when it holds the key (0 once released after a 5xx).
        sa.Column("lease_until", sa.Float, nullable=False),
        # The log head when the request started: a lost answer's events are searched after it.
        sa.Column("started_at_position", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Integer),  # null while running
        sa.Column("headers", sa.JSON),
        sa.Column("body", sa.LargeBinary),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
