"""``MANUFACTORY_READ_DATABASE_URL`` names a PostgreSQL streaming replica of a PostgreSQL primary;
anything else is refused before the system opens anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.settings import Settings
from application.system import Manufactory

REPLICA = "postgresql://reader@replica.example/manufactory"


def test_the_replica_is_read_from_the_environment_as_a_postgresql_url() -> None:
    settings = Settings.from_env(
        {
            "MANUFACTORY_DATABASE_URL": "postgresql://app@primary.example/manufactory",
            "MANUFACTORY_READ_DATABASE_URL": REPLICA,
        }
    )
    url = settings.replica_sqlalchemy_url()
    assert url is not None and (url.drivername, url.host) == ("postgresql+psycopg", "replica.example")
    assert Settings.from_env({}).replica_sqlalchemy_url() is None  # unset: queries read the primary


@pytest.mark.parametrize("primary", ["sqlite:///{tmp}/manufactory.sqlite", "memory://"])
def test_a_replica_without_a_postgresql_primary_is_refused_before_anything_opens(primary: str, tmp_path: Path) -> None:
    settings = Settings(database_url=primary.format(tmp=tmp_path), read_database_url=REPLICA)
    with pytest.raises(ValueError, match="MANUFACTORY_READ_DATABASE_URL needs a PostgreSQL primary"):
        Manufactory(settings)
    assert list(tmp_path.iterdir()) == []  # no database file was made


def test_a_replica_that_is_not_postgresql_is_refused() -> None:
    settings = Settings(database_url="postgresql://app@primary.example/manufactory", read_database_url="sqlite:///r.db")
    with pytest.raises(ValueError, match="MANUFACTORY_READ_DATABASE_URL must be postgresql://"):
        Manufactory(settings)
