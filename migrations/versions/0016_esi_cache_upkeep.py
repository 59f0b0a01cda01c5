"""The ESI cache is kept bounded: whose each answer is, and an index to find the unused ones.

``character_id`` names the character whose token fetched an answer (null: a public route),
so unlinking a character drops its answers at once; ``stored_at`` is indexed so the prune of
entries nobody used for ``MANUFACTORY_ESI_CACHE_KEEP_SEC`` (``projections/esi_cache.py``)
finds the oldest without reading the table. Rows stored before name their character only in
``url`` (``character <id> <route>``): it is read from there.

Revision ID: 0016
Revises: 0015
Create Date: 2027-02-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OWNED_PREFIX = "character "  # application/eve/esi.py: the url of an authed answer


def upgrade() -> None:
    op.add_column("esi_cache", sa.Column("character_id", sa.BigInteger, nullable=True))
    op.create_index("ix_esi_cache_character", "esi_cache", ["character_id"])
    op.create_index("ix_esi_cache_stored_at", "esi_cache", ["stored_at"])
    cache = sa.table("esi_cache", sa.column("key", sa.String), sa.column("url", sa.Text), sa.column("character_id"))
    bind = op.get_bind()
    owned = bind.execute(sa.select(cache.c.key, cache.c.url).where(cache.c.url.startswith(OWNED_PREFIX))).all()
    for key, url in owned:
        character_id = int(url.split(" ", 2)[1])
        bind.execute(sa.update(cache).where(cache.c.key == key).values(character_id=character_id))


def downgrade() -> None:
    op.drop_index("ix_esi_cache_stored_at", "esi_cache")
    op.drop_index("ix_esi_cache_character", "esi_cache")
    op.drop_column("esi_cache", "character_id")
