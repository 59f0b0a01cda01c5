"""EVE SSO: logins under way and the linked characters' tokens.

Neither is a read model nor an event: ``eve_logins`` holds a login's state (its SHA-256) and
PKCE verifier (encrypted) until the SSO sends the browser back, once, before it expires;
``eve_tokens`` holds each linked character's refresh and access tokens, encrypted
(``application/eve/vault.py``). Unlinking deletes the row: the tokens are gone, not hidden.

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eve_logins",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("verifier", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "eve_tokens",
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("character_id", sa.BigInteger, primary_key=True),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("access_token", sa.Text, nullable=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("eve_tokens")
    op.drop_table("eve_logins")
