"""A user's game characters, their industry skills and the job slots those give.

EVE gives each character 1 + Mass Production + Advanced Mass Production manufacturing slots,
1 + Mass Reactions + Advanced Mass Reactions reaction slots, and 1 + Laboratory Operation +
Advanced Laboratory Operation science slots (EVE University wiki, "Industry" skills).
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.catalog.industry import Skills
from domain.errors import InvalidInput, NotFound
from domain.events import CommandMeta, Event
from domain.industry.slots import SlotGroup
from domain.limits import Count
from domain.work_limits import DEFAULT_LIMITS, WorkLimits, ensure_within

_ROSTER_NAMESPACE = UUID("9d3a4c55-0f61-4b0e-9b0e-7a51c2e8d4f1")


def roster_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_ROSTER_NAMESPACE, str(owner_id))


class CharacterSkills(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True):
    industry: Count = 0  # 0-5, checked by ``validated`` (a range of the game, not of storage)
    advanced_industry: Count = 0
    mass_production: Count = 0
    advanced_mass_production: Count = 0
    reactions: Count = 0
    mass_reactions: Count = 0
    advanced_mass_reactions: Count = 0
    laboratory_operation: Count = 0
    advanced_laboratory_operation: Count = 0

    def validated(self) -> CharacterSkills:
        for name in self.__struct_fields__:
            if not 0 <= getattr(self, name) <= 5:
                raise InvalidInput("skill levels are 0-5", f"skills.{name}")
        return self

    @property
    def for_time(self) -> Skills:
        return Skills(industry=self.industry, advanced_industry=self.advanced_industry, reactions=self.reactions)


class Character(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    character_id: int
    name: str
    skills: CharacterSkills = CharacterSkills()

    def slots(self, group: SlotGroup) -> int:
        s = self.skills
        if group == "manufacturing":
            return 1 + s.mass_production + s.advanced_mass_production
        if group == "reactions":
            return 1 + s.mass_reactions + s.advanced_mass_reactions
        return 1 + s.laboratory_operation + s.advanced_laboratory_operation


class Roster(Aggregate):
    characters: dict[int, Character]

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> Roster:
        return cls._create(
            RosterOpened,
            roster_id(owner_id),
            meta=meta,
            owner_id=owner_id,
        )

    def register(self, character: Character, meta: CommandMeta, limits: WorkLimits = DEFAULT_LIMITS) -> None:
        """Add or replace a character; a roster holds at most ``characters_per_roster`` (every
        run's generation spreads its jobs over all of them)."""
        if character.character_id < 1:
            raise InvalidInput("characterId must be a positive game character id", "characterId")
        name = character.name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("name must be 1-100 characters", "name")
        character = msgspec.structs.replace(character, name=name, skills=character.skills.validated())
        if character.character_id not in self.characters:
            ensure_within(
                "characters in your roster", len(self.characters) + 1, limits.characters_per_roster, "characterId"
            )
        if self.characters.get(character.character_id) != character:
            self._record(CharacterRegistered, meta=meta, character=character)

    def remove(self, character_id: int, meta: CommandMeta) -> None:
        if character_id not in self.characters:
            raise NotFound(f"character {character_id} not found", "characterId")
        self._record(CharacterRemoved, meta=meta, character_id=character_id)

    def state(self) -> tuple[Character, ...]:
        return tuple(self.characters[c] for c in sorted(self.characters))


class RosterOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> Roster:
        roster = Roster(self.originator_id, self.owner_id, self.timestamp)
        roster.characters = {}
        return roster


class CharacterRegistered(Event, frozen=True):
    character: Character

    def apply(self, aggregate: Roster) -> Roster:
        aggregate.characters[self.character.character_id] = self.character
        return aggregate


class CharacterRemoved(Event, frozen=True):
    character_id: int

    def apply(self, aggregate: Roster) -> Roster:
        aggregate.characters.pop(self.character_id, None)
        return aggregate
