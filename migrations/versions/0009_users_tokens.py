"""When each token was last used.

``user_token_usage`` is not a read model: it is written by the authentication path and
outlives rebuilds. The users projection's tables (admins, token ids and expiry) are defined by
``projections.users``, whose generations the runtime creates and rebuilds itself.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_token_usage",
        sa.Column("token_id", sa.Uuid, primary_key=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_token_usage")
