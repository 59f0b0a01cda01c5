"""Each user's characters: their skills and the job slots those give per activity."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import JSON, BigInteger, Column, ColumnElement, Connection, Integer, String, Uuid, select

from domain.industry.characters import Character, CharacterRegistered, CharacterRemoved
from projections.industry.batch import IndustryBatch
from projections.readmodel import ReadModelTable
from projections.runtime import handles

CHARACTERS = ReadModelTable(
    "industry_characters",
    lambda: [
        Column("owner_id", Uuid, primary_key=True),
        Column("character_id", BigInteger, primary_key=True),
        Column("name", String(100), nullable=False),
        Column("skills", JSON, nullable=False),
        Column("manufacturing_slots", Integer, nullable=False),
        Column("reaction_slots", Integer, nullable=False),
        Column("science_slots", Integer, nullable=False),
    ],
)


class CharacterHandlers:
    """The industry projection's handlers of character events (only the owner changes their
    roster, so the owner is the event's user)."""

    @handles(CharacterRegistered)
    def _character_registered(self, batch: IndustryBatch, event: CharacterRegistered) -> None:
        character, owner = event.character, event.meta.user_id
        batch.characters.put(
            {
                "owner_id": owner,
                "character_id": character.character_id,
                "name": character.name,
                "skills": msgspec.to_builtins(character.skills, str_keys=True),
                "manufacturing_slots": character.slots("manufacturing"),
                "reaction_slots": character.slots("reactions"),
                "science_slots": character.slots("science"),
            },
        )

    @handles(CharacterRemoved)
    def _character_removed(self, batch: IndustryBatch, event: CharacterRemoved) -> None:
        batch.characters.remove(event.meta.user_id, event.character_id)


def list_characters(connection: Connection, owner: UUID, limit: int | None = None, offset: int = 0) -> list[Character]:
    table = CHARACTERS.view
    rows = connection.execute(
        select(table.c.character_id, table.c.name, table.c.skills)
        .where(table.c.owner_id == owner)
        .order_by(table.c.character_id)
        .limit(limit)
        .offset(offset)
    )
    return [_character(cid, name, skills) for cid, name, skills in rows]


def find_character(connection: Connection, owner: UUID, character_id: int) -> Character | None:
    table = CHARACTERS.view
    row = connection.execute(
        select(table.c.character_id, table.c.name, table.c.skills).where(
            table.c.owner_id == owner, table.c.character_id == character_id
        )
    ).first()
    return _character(*row) if row is not None else None


def _character(character_id: int, name: str, skills: dict[str, Any]) -> Character:
    """A stored character; JSON spells the other skills' type ids as strings, read back as the
    ints they are (``strict=False``)."""
    return msgspec.convert({"characterId": character_id, "name": name, "skills": skills}, Character, strict=False)


def character_name(owner_id: ColumnElement[Any], character_id: ColumnElement[Any]) -> Any:
    """A scalar subquery: the name of the owner's character of this id (None when it is not in
    their roster: a corporation mate's job)."""
    table = CHARACTERS.view
    return (
        select(table.c.name).where(table.c.owner_id == owner_id, table.c.character_id == character_id).scalar_subquery()
    )
