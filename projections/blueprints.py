"""Each user's blueprint library, one row per blueprint (its columns are ``OwnedBlueprint``'s)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import Column, Connection, Select, String, Uuid, and_, bindparam, delete, select

from domain.industry.blueprints import BlueprintsChanged, OwnedBlueprint
from projections.readmodel import BatchWriter, ReadModelTable, struct_cells, struct_columns
from projections.runtime import Projection, handles

BLUEPRINTS = ReadModelTable(
    "industry_blueprints",
    lambda: [
        Column("owner_id", Uuid, nullable=False),
        *struct_columns(OwnedBlueprint, kind=String(3), holder_kind=String(11), source=String(6)),
    ],
    indexes=[("owner_item", ["owner_id", "blueprint_id"], True), ("owner_type", ["owner_id", "type_id"], False)],
)


class BlueprintsProjection(Projection):
    name = "blueprints"
    tables = (BLUEPRINTS,)

    @handles(BlueprintsChanged)
    def _changed(self, writer: BatchWriter, event: BlueprintsChanged) -> None:
        owner = event.meta.user_id  # only the owner (or a sync on their behalf) changes their library
        table = writer.tables["industry_blueprints"]
        gone = [*event.removed, *(b.blueprint_id for b in event.added), *(b.blueprint_id for b in event.changed)]
        if gone:
            writer.execute(
                delete(table).where(and_(table.c.owner_id == bindparam("o"), table.c.blueprint_id == bindparam("b"))),
                [{"o": owner, "b": item} for item in gone],
            )
        writer.insert(
            "industry_blueprints",
            *({"owner_id": owner, **struct_cells(b)} for b in (*event.added, *event.changed)),
        )


def list_blueprints(
    connection: Connection, owner: UUID, type_id: int | None = None, limit: int | None = None, offset: int = 0
) -> list[OwnedBlueprint]:
    """The owner's blueprints (of one type), by type then best first (ME, TE, originals before
    copies), then by id: a stable order to page through."""
    table = BLUEPRINTS.view
    query = _blueprints_query(owner)
    if type_id is not None:
        query = query.where(table.c.type_id == type_id)
    return _owned(connection, query.limit(limit).offset(offset))


def blueprints_of_types(connection: Connection, owner: UUID, type_ids: Collection[int]) -> list[OwnedBlueprint]:
    """The owner's blueprints of these types (a plan's recipes), in ``list_blueprints``' order:
    what run generation builds with, without the rest of the library."""
    wanted = sorted(set(type_ids))
    if not wanted:
        return []
    return _owned(connection, _blueprints_query(owner).where(BLUEPRINTS.view.c.type_id.in_(wanted)))


def _blueprints_query(owner: UUID) -> Select[Any]:
    """The owner's blueprints by type then best first (ME, TE, originals before copies), then by id."""
    table = BLUEPRINTS.view
    return (
        select(*(table.c[name] for name in OwnedBlueprint.__struct_fields__))
        .where(table.c.owner_id == owner)
        .order_by(
            table.c.type_id,
            table.c.material_efficiency.desc(),
            table.c.time_efficiency.desc(),
            table.c.kind.desc(),  # "bpo" after "bpc" in text order: descending puts originals first
            table.c.blueprint_id,
        )
    )


def _owned(connection: Connection, query: Select[Any]) -> list[OwnedBlueprint]:
    return [msgspec.convert(row, OwnedBlueprint, from_attributes=True) for row in connection.execute(query)]


def owned_blueprint_types(connection: Connection, owner: UUID, type_ids: Collection[int]) -> set[int]:
    """Which of ``type_ids`` (blueprints, i.e. recipes) the owner's library holds at least one of."""
    if not type_ids:
        return set()
    table = BLUEPRINTS.view
    query = select(table.c.type_id).where(table.c.owner_id == owner, table.c.type_id.in_(sorted(type_ids))).distinct()
    return set(connection.execute(query).scalars())
