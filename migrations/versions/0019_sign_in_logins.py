"""A pending EVE login may belong to nobody yet: a sign-in to the console, whose user the
character the SSO vouches for will say (application/eve/links.py).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("eve_logins") as table:  # SQLite alters a column by copying the table
        table.alter_column("user_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM eve_logins WHERE user_id IS NULL"))
    with op.batch_alter_table("eve_logins") as table:
        table.alter_column("user_id", existing_type=sa.Uuid(), nullable=False)
