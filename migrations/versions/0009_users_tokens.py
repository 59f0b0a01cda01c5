"""Tokens with ids and expiry, admins, and when each token was last used.

The users projection's live tables gain their new columns in place (tokens issued before
tokens had ids get the id their events now upcast to), so nobody's token stops working
across the upgrade and nothing has to be replayed. ``user_token_usage`` is not a read model:
it is written by the authentication path and outlives rebuilds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from domain.users import legacy_token_id

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def _generation() -> int:
    query = "SELECT active_generation FROM projection_registry WHERE name = 'users'"
    return op.get_bind().exec_driver_sql(query).scalar_one()


def upgrade() -> None:
    generation = _generation()
    users, tokens = f"users_g{generation}", f"user_tokens_g{generation}"
    op.execute("DROP VIEW IF EXISTS users")
    op.execute("DROP VIEW IF EXISTS user_tokens")
    op.add_column(users, sa.Column("admin", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column(tokens, sa.Column("token_id", sa.Uuid, nullable=True))
    op.add_column(tokens, sa.Column("expires_at", UTC_TIME, nullable=True))
    table = sa.table(tokens, sa.column("token_hash", sa.String), sa.column("token_id", sa.Uuid))
    bind = op.get_bind()
    for (token_hash,) in bind.execute(sa.select(table.c.token_hash)).all():
        bind.execute(
            table.update().where(table.c.token_hash == token_hash).values(token_id=legacy_token_id(token_hash))
        )
    with op.batch_alter_table(tokens) as batch:  # on SQLite: the table is copied
        batch.alter_column("token_id", existing_type=sa.Uuid, nullable=False)
    op.create_index(f"uq_{tokens}_token_id", tokens, ["token_id"], unique=True)
    op.create_index(f"ix_{tokens}_user", tokens, ["user_id"])
    op.execute(f"CREATE VIEW users AS SELECT * FROM {users}")
    op.execute(f"CREATE VIEW user_tokens AS SELECT * FROM {tokens}")
    op.create_table(
        "user_token_usage",
        sa.Column("token_id", sa.Uuid, primary_key=True),
        sa.Column("last_used_at", UTC_TIME, nullable=False),
    )


def downgrade() -> None:
    generation = _generation()
    users, tokens = f"users_g{generation}", f"user_tokens_g{generation}"
    op.drop_table("user_token_usage")
    op.execute("DROP VIEW IF EXISTS users")
    op.execute("DROP VIEW IF EXISTS user_tokens")
    op.drop_index(f"ix_{tokens}_user", tokens)
    op.drop_index(f"uq_{tokens}_token_id", tokens)
    with op.batch_alter_table(tokens) as batch:
        batch.drop_column("expires_at")
        batch.drop_column("token_id")
    with op.batch_alter_table(users) as batch:
        batch.drop_column("admin")
    op.execute(f"CREATE VIEW users AS SELECT * FROM {users}")
    op.execute(f"CREATE VIEW user_tokens AS SELECT * FROM {tokens}")
