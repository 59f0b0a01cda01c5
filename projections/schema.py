"""Bringing the read-model database schema up to date with the Alembic migrations."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import migrations
from projections.database import write_transaction


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return config


@functools.cache
def _head() -> str | None:
    """The newest migration's revision, read once per process: loading the migration scripts
    took most of the 40 ms every system opened paid to learn there was nothing to do."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def migrate(engine: Engine) -> None:
    with engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == _head():
            return  # up to date (revisions only move towards the head)
    config = _alembic_config()
    with write_transaction(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
