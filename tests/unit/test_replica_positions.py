"""What the replica's follower tells the waiting queries and the read caches: each projection's
live position there, and rows rewritten at the same position (a rebuilt generation swapped in,
dead letters applied by a retry), which must drop what caches read before. Read here from an
in-memory database standing in for the replica."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, Table, insert, update
from sqlalchemy.engine import URL

from application.settings import Settings
from projections.database import create_read_engine
from projections.replica import Replica
from projections.tracking import metadata, positions, registry


@pytest.fixture
def url() -> URL:
    return Settings(database_url="memory://").sqlalchemy_url()


@pytest.fixture
def stand_in(url: URL) -> Iterator[Engine]:
    """The replica's tracking tables: projection ``plans`` live at generation 1, position 7,
    with 2 dead letters; a rebuild filling generation 2 at position 3."""
    engine = create_read_engine(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(registry).values(name="plans", active_generation=1))
        connection.execute(insert(positions).values(name="plans", generation=1, position=7, dead_letters=2))
        connection.execute(insert(positions).values(name="plans", generation=2, position=3, dead_letters=0))
    yield engine
    engine.dispose()


@pytest.fixture
def replica(url: URL, stand_in: Engine) -> Iterator[Replica]:
    replica = Replica(url, stand_in, pool_size=2, poll_interval=0.05)
    yield replica
    replica.close()


def change(engine: Engine, table: Table, generation: int | None = None, **values: Any) -> None:
    query = update(table).where(table.c.name == "plans")
    if generation is not None:
        query = query.where(table.c.generation == generation)
    with engine.begin() as connection:
        connection.execute(query.values(**values))


def test_the_live_generations_position_is_told_to_the_replicas_signal(replica: Replica) -> None:
    assert replica.positions() == {"plans": 7}
    assert replica.signal.known_position("plans") == 7
    assert replica.signal.revision("plans") == 0


def test_a_swapped_generation_or_applied_dead_letters_count_as_rows_rewritten(
    replica: Replica, stand_in: Engine
) -> None:
    replica.positions()
    change(stand_in, registry, active_generation=2)  # the rebuild swapped in, at position 3
    assert replica.position("plans") == 3
    assert replica.signal.revision("plans") == 1

    change(stand_in, registry, active_generation=1)
    replica.positions()
    assert replica.signal.revision("plans") == 2
    change(stand_in, positions, generation=1, dead_letters=1)  # a retry applied one, at the same position
    replica.positions()
    assert replica.signal.revision("plans") == 3
    replica.positions()  # nothing changed since
    assert replica.signal.revision("plans") == 3
