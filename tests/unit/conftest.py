"""Unit tests run in memory: the ``system`` (and so ``client``, ``alice``, ...) of the top
conftest opens on ``memory://`` here, never on a database server."""

from __future__ import annotations

import pytest

from application.settings import MEMORY_URL, Settings


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url=MEMORY_URL, consistency_timeout_sec=5.0, projection_poll_sec=0.05)
