"""A batch of industry events folded in memory: each table's rows the batch reads or writes
(``projections.keyed_rows``), written once at its end. A job's status change moves its run's
counts and a plan's deletion unlinks its runs' jobs: one batch holds all the tables."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, Table

from projections.keyed_rows import KeyedRows


class IndustryBatch:
    def __init__(self, connection: Connection, tables: Mapping[str, Table]) -> None:
        self.plans = KeyedRows(connection, tables["industry_plans"], ("plan_id",))
        self.runs = KeyedRows(connection, tables["industry_plan_runs"], ("run_id",), ("plan_id",))
        self.jobs = KeyedRows(connection, tables["industry_jobs"], ("job_id",), ("plan_run_id", "esi_job_id"))
        self.game_jobs = KeyedRows(
            connection, tables["industry_game_jobs"], ("owner_id", "holder_kind", "holder_id", "job_id"), ("job_id",)
        )
        self.characters = KeyedRows(connection, tables["industry_characters"], ("owner_id", "character_id"))
        self.profiles = KeyedRows(connection, tables["transport_profiles"], ("profile_id",), ("owner_id",))

    def write(self) -> None:
        for rows in (self.plans, self.runs, self.jobs, self.game_jobs, self.characters, self.profiles):
            rows.write()
