"""The ESI response cache keeps itself bounded, on SQLite and PostgreSQL: answers nobody used
for ``keep_sec`` (stored and expired that long ago) are pruned by a later write, a bounded
batch at a time; a character's answers can be forgotten at once (unlinking does:
tests/integration/test_eve_sync.py), also those stored before the cache knew whose they were."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from application.eve.esi import CachedAnswer
from application.settings import Settings
from projections.database import create_read_engine, write_transaction
from projections.esi_cache import ESI_CACHE, PRUNE_EVERY_SEC, SqlResponseCache
from projections.schema import _alembic_config

KEEP_SEC = 1000.0
START = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_read_engine(Settings(database_url=database_url).sqlalchemy_url())
    yield engine
    engine.dispose()


def answer(url: str, expires_at: float, character_id: int | None = None) -> CachedAnswer:
    return CachedAnswer(url, '"etag"', None, expires_at, 1, b"[]", character_id)


def keys(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(ESI_CACHE.c.key)).scalars())


def test_answers_unused_for_longer_than_kept_are_pruned_by_a_later_write(engine: Engine) -> None:
    clock = Clock()
    cache = SqlResponseCache(engine, KEEP_SEC, clock)
    cache.put("shrunk page", answer("public /markets/10000002/orders/?page=9", START + 300))
    cache.put("long-lived", answer("public /universe/types/", START + 5000))  # still read before its Expires
    clock.now = START + 900
    cache.put("revalidated", answer("public /markets/prices/", START + 1200))

    clock.now = START + 1400  # 1100 s after the shrunk page expired, 500 after the revalidation
    cache.put("new", answer("public /industry/systems/", START + 1700))
    assert keys(engine) == {"long-lived", "revalidated", "new"}
    assert cache.get("long-lived") is not None


def test_a_prune_deletes_a_bounded_batch_oldest_first(engine: Engine) -> None:
    clock = Clock()
    cache = SqlResponseCache(engine, KEEP_SEC, clock)
    for number in range(5):
        clock.now = START + number
        cache.put(f"old {number}", answer(f"public /route/{number}", START + number))
    assert cache.prune(START + 2 * KEEP_SEC, limit=2) == 2
    assert keys(engine) == {"old 2", "old 3", "old 4"}


def test_writes_prune_at_most_once_a_minute(engine: Engine) -> None:
    clock = Clock()
    cache = SqlResponseCache(engine, KEEP_SEC, clock)
    cache.put("a", answer("public /a", START))  # the first write prunes (nothing yet)
    clock.now = START + 30
    cache.put("b", answer("public /b", START + 30))
    clock.now = START + KEEP_SEC + 10
    cache.put("c", answer("public /c", clock.now + 60))  # prunes what was unused before START + 10
    assert keys(engine) == {"b", "c"}
    clock.now += PRUNE_EVERY_SEC - 20  # b is unused for longer than kept now...
    cache.put("d", answer("public /d", clock.now + 60))
    assert keys(engine) == {"b", "c", "d"}  # ...but this cache pruned less than a minute ago
    clock.now += 20
    cache.put("e", answer("public /e", clock.now + 60))
    assert keys(engine) == {"c", "d", "e"}


def test_a_character_s_answers_are_forgotten_and_no_one_else_s(engine: Engine) -> None:
    cache = SqlResponseCache(engine, KEEP_SEC)
    cache.put("ann jobs", answer("character 2112000001 /characters/2112000001/industry/jobs/", START, 2112000001))
    cache.put("ann corp", answer("character 2112000001 /corporations/98000001/industry/jobs/", START, 2112000001))
    cache.put("bob jobs", answer("character 2112000002 /characters/2112000002/industry/jobs/", START, 2112000002))
    cache.put("prices", answer("public /markets/prices/", START))
    assert cache.forget_character(2112000001) == 2
    assert keys(engine) == {"bob jobs", "prices"}


def test_the_upgrade_reads_whose_each_stored_answer_is_from_its_url(engine: Engine) -> None:
    config = _alembic_config()
    with write_transaction(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0015")
        old = {"etag": None, "last_modified": None, "expires_at": START, "pages": 1, "body": b"[]", "stored_at": START}
        connection.execute(
            text(
                "INSERT INTO esi_cache (key, url, etag, last_modified, expires_at, pages, body, stored_at)"
                " VALUES (:key, :url, :etag, :last_modified, :expires_at, :pages, :body, :stored_at)"
            ),
            [
                {"key": "ann", "url": "character 2112000001 /characters/2112000001/assets/?page=2", **old},
                {"key": "prices", "url": "public /markets/prices/", **old},
            ],
        )
        command.upgrade(config, "head")
    with engine.connect() as connection:
        whose = dict(connection.execute(select(ESI_CACHE.c.key, ESI_CACHE.c.character_id)).all())
    assert whose == {"ann": 2112000001, "prices": None}
    assert SqlResponseCache(engine, KEEP_SEC).forget_character(2112000001) == 1
