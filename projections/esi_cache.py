"""The ESI response cache in the read-model database (``esi_cache``, migration 0012).

Not a read model: the ESI client (``application.eve.esi``) writes it and it outlives
rebuilds. One row per (character or public, route, query, page); a put replaces the row.
"""

from __future__ import annotations

import time

from sqlalchemy import Column, Engine, Float, Integer, LargeBinary, MetaData, String, Table, Text, select
from sqlalchemy.dialects import postgresql, sqlite

from application.eve.esi import CachedAnswer
from projections.database import write_transaction

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
)


class SqlResponseCache:
    """``application.eve.esi.ResponseCache`` on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

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
        )

    def put(self, key: str, answer: CachedAnswer) -> None:
        values = {
            "url": answer.url,
            "etag": answer.etag,
            "last_modified": answer.last_modified,
            "expires_at": answer.expires_at,
            "pages": answer.pages,
            "body": answer.body,
            "stored_at": time.time(),
        }
        statement = self._insert(ESI_CACHE).values(key=key, **values)
        with write_transaction(self.engine) as connection:
            connection.execute(statement.on_conflict_do_update(index_elements=[ESI_CACHE.c.key], set_=values))
