"""Each user's transport profiles: one row per profile, its fields as columns, and which one
is the user's default (a new default clears the flag of the one before)."""

from __future__ import annotations

from uuid import UUID

import msgspec
from sqlalchemy import Column, Connection, String, Uuid, delete, select, update

from domain.industry.transport import (
    TransportProfile,
    TransportProfileAdded,
    TransportProfileChanged,
    TransportProfileRemoved,
)
from projections.readmodel import BatchWriter, ReadModelTable, struct_cells, struct_columns
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
    def _profile_saved(self, writer: BatchWriter, event: TransportProfileAdded | TransportProfileChanged) -> None:
        owner, profile = event.meta.user_id, event.profile
        table = writer.tables["transport_profiles"]
        writer.execute(delete(table).where(table.c.profile_id == profile.profile_id))
        if profile.is_default:
            writer.execute(update(table).where(table.c.owner_id == owner).values(is_default=False))
        writer.insert("transport_profiles", {"owner_id": owner, **struct_cells(profile)})

    @handles(TransportProfileRemoved)
    def _profile_removed(self, writer: BatchWriter, event: TransportProfileRemoved) -> None:
        table = writer.tables["transport_profiles"]
        writer.execute(
            delete(table).where(table.c.owner_id == event.meta.user_id, table.c.profile_id == event.profile_id)
        )


def list_profiles(connection: Connection, owner: UUID) -> list[TransportProfile]:
    """The owner's profiles, by name."""
    table = PROFILES.view
    columns = [column for column in table.c if column.name != "owner_id"]
    rows = connection.execute(
        select(*columns).where(table.c.owner_id == owner).order_by(table.c.name, table.c.profile_id)
    )
    return [msgspec.convert(row, TransportProfile, from_attributes=True) for row in rows]
