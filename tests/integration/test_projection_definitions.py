"""A projection's definition (its tables and version) decides its generation at start-up: a
database whose registry holds no fingerprint (its tables made by the migrations of old) or
another one is rebuilt into a new generation with the same rows, once, however many processes
start at the same time."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import update

from application.settings import Settings
from application.system import Manufactory
from projections.database import write_transaction
from projections.manufacturing import ManufacturingProjection
from projections.registry import all_projections
from projections.tracking import registry
from tests.integration.test_projection_parity import every_row, record_every_kind_of_event, without_economics_updater


def generations(system: Manufactory) -> dict[str, int]:
    return {status.name: status.generation for status in system.projections.status()}


def recorded(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Events of every projection in a fresh database; returns every read model's rows."""
    with Manufactory.open(settings) as system, without_economics_updater(system) as client:
        record_every_kind_of_event(system, client)
        assert set(generations(system).values()) == {1}
        return every_row(system)


def test_a_database_without_fingerprints_is_rebuilt_at_start_up_with_the_same_rows(settings: Settings) -> None:
    rows = recorded(settings)
    with Manufactory.open(settings, migrate_schema=False) as old:  # as the migrations of old left it
        with write_transaction(old.read_engine) as connection:
            connection.execute(update(registry).values(fingerprint=None))
    with Manufactory.open(settings) as system:
        assert generations(system) == {projection.name: 2 for projection in all_projections()}
        assert every_row(system) == rows
    with Manufactory.open(settings) as again:  # the fingerprints are recorded: nothing to rebuild
        assert generations(again) == {projection.name: 2 for projection in all_projections()}


def test_a_changed_definition_is_rebuilt_once_however_many_processes_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = recorded(settings)
    monkeypatch.setattr(ManufacturingProjection, "version", ManufacturingProjection.version + 1)
    # three processes starting at once (the schema is migrated: Alembic itself is not thread-safe)
    systems = [Manufactory.open(settings, migrate_schema=False) for _ in range(3)]
    try:
        starts = [threading.Thread(target=system.projections.set_up) for system in systems]
        for start in starts:
            start.start()
        for start in starts:
            start.join()
        for system in systems:
            assert generations(system) == {
                projection.name: 2 if projection.name == "manufacturing" else 1 for projection in all_projections()
            }
        assert every_row(systems[0]) == rows
    finally:
        for system in systems:
            system.close()
