"""Each user's transport profiles: one row per profile, its fields as columns, and which one
is the user's default (a new default clears the flag of the one before)."""

from __future__ import annotations

from uuid import UUID

import msgspec
from sqlalchemy import Column, Connection, String, Uuid, select

from domain.industry.transport import (
    TransportProfile,
    TransportProfileAdded,
    TransportProfileChanged,
    TransportProfileRemoved,
)
from projections.industry.batch import IndustryBatch
from projections.readmodel import ReadModelTable, struct_cells, struct_columns
from projections.runtime import handles

PROFILES = ReadModelTable(
    "transport_profiles",
    lambda: [
        Column("owner_id", Uuid, nullable=False),
        *struct_columns(TransportProfile, method=String(24), route_rule=String(16), name=String(100)),
    ],
    indexes=[("profile", ["profile_id"], True), ("owner", ["owner_id"], False)],
)


class TransportProfileHandlers:
    """The industry projection's handlers of transport profile events (only the owner changes
    their profiles, so the owner is the event's user)."""

    @handles(TransportProfileAdded, TransportProfileChanged)
    def _profile_saved(self, batch: IndustryBatch, event: TransportProfileAdded | TransportProfileChanged) -> None:
        owner, profile, profiles = event.meta.user_id, event.profile, batch.profiles
        profiles.remove(
            profile.profile_id,
        )
        if profile.is_default:
            for row in profiles.find("owner_id", owner):
                if row["is_default"]:
                    profiles.update(row, is_default=False)
        profiles.put({"owner_id": owner, **struct_cells(profile)})

    @handles(TransportProfileRemoved)
    def _profile_removed(self, batch: IndustryBatch, event: TransportProfileRemoved) -> None:
        row = batch.profiles.get(event.profile_id)
        if row is not None and row["owner_id"] == event.meta.user_id:
            batch.profiles.remove(
                event.profile_id,
            )


def list_profiles(connection: Connection, owner: UUID) -> list[TransportProfile]:
    """The owner's profiles, by name."""
    table = PROFILES.view
    columns = [column for column in table.c if column.name != "owner_id"]
    rows = connection.execute(
        select(*columns).where(table.c.owner_id == owner).order_by(table.c.name, table.c.profile_id)
    )
    return [msgspec.convert(row, TransportProfile, from_attributes=True) for row in rows]
