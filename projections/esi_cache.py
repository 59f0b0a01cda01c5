"""The ESI response cache in the read-model database (``esi_cache``, migrations 0012 and 0016).

Not a read model: the ESI client (``application.eve.esi``) writes it and it outlives
rebuilds. One row per (character or public, route, query, page); a put replaces the row.

Rows are not kept forever: a route whose pages shrank, or a character unlinked, leaves rows
nobody asks for again. An entry is read only before its ``Expires`` or on the way to being
written again, so "not used for ``keep_sec``" is "stored and expired more than ``keep_sec``
ago", which needs no write per read. Whoever writes prunes: a put, at most once every
``PRUNE_EVERY_SEC`` per cache, deletes up to ``PRUNE_BATCH`` such rows (oldest first, through
the ``stored_at`` index), so a process that fills the cache also keeps it bounded and one that
does not write has nothing to prune. Unlinking a character drops its rows at once
(``forget_character``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from application.eve.esi import CachedAnswer
from projections.database import write_transaction

PRUNE_EVERY_SEC = 60.0
PRUNE_BATCH = 500

ESI_CACHE = Table(
    "esi_cache",
    MetaData(),
    Column("key", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("etag", String(200)),
    Column("last_modified", String(64)),
    Column("expires_at", Float, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("stored_at", Float, nullable=False),
    Column("character_id", BigInteger, nullable=True),
    Index("ix_esi_cache_character", "character_id"),
    Index("ix_esi_cache_stored_at", "stored_at"),
)


class SqlResponseCache:
    """``application.eve.esi.ResponseCache`` on SQLite or PostgreSQL, keeping entries unused
    for at most ``keep_sec`` (and a prune interval)."""

    def __init__(self, engine: Engine, keep_sec: float, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.keep_sec = keep_sec
        self.clock = clock
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._prune_lock = threading.Lock()
        self._next_prune_at = 0.0

    def get(self, key: str) -> CachedAnswer | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(ESI_CACHE).where(ESI_CACHE.c.key == key)).one_or_none()
        if row is None:
            return None
        return CachedAnswer(
            url=row.url,
            etag=row.etag,
            last_modified=row.last_modified,
            expires_at=row.expires_at,
            pages=row.pages,
            body=bytes(row.body),
            character_id=row.character_id,
        )

    def put(self, key: str, answer: CachedAnswer) -> None:
        now = self.clock()
        values = {
            "url": answer.url,
            "etag": answer.etag,
            "last_modified": answer.last_modified,
            "expires_at": answer.expires_at,
            "pages": answer.pages,
            "body": answer.body,
            "stored_at": now,
            "character_id": answer.character_id,
        }
        statement = self._insert(ESI_CACHE).values(key=key, **values)
        with write_transaction(self.engine) as connection:
            connection.execute(statement.on_conflict_do_update(index_elements=[ESI_CACHE.c.key], set_=values))
        if self._prune_due(now):
            self.prune(now - self.keep_sec)

    def forget_character(self, character_id: int) -> int:
        with write_transaction(self.engine) as connection:
            return connection.execute(delete(ESI_CACHE).where(ESI_CACHE.c.character_id == character_id)).rowcount

    def prune(self, unused_since: float, limit: int = PRUNE_BATCH) -> int:
        """Delete up to ``limit`` entries last used before ``unused_since`` (stored and expired
        before it), oldest first; how many."""
        unused = (
            select(ESI_CACHE.c.key)
            .where(ESI_CACHE.c.stored_at < unused_since, ESI_CACHE.c.expires_at < unused_since)
            .order_by(ESI_CACHE.c.stored_at)
            .limit(limit)
        )
        with write_transaction(self.engine) as connection:
            return connection.execute(delete(ESI_CACHE).where(ESI_CACHE.c.key.in_(unused))).rowcount

    def _prune_due(self, now: float) -> bool:
        """Whether this put prunes: one in ``PRUNE_EVERY_SEC``, so the pages of a walk, put
        in parallel, do not each delete."""
        with self._prune_lock:
            if now < self._next_prune_at:
                return False
            self._next_prune_at = now + PRUNE_EVERY_SEC
            return True
