"""A user's game characters, their industry skills and the job slots those give.

EVE gives each character 1 + Mass Production + Advanced Mass Production manufacturing slots,
1 + Mass Reactions + Advanced Mass Reactions reaction slots, and 1 + Laboratory Operation +
Advanced Laboratory Operation science slots (EVE University wiki, "Industry" skills).

A recipe's activity names the skills (and levels) it requires; the game refuses a job whose
installer has any of them below its level, an untrained skill counting as level 0
(``MISSING_SKILL`` in the game client's ``industry/job.py``; see ``domain/catalog/industry.py``).
So a character keeps every skill it has, not only the named industry ones: the others (science,
ship construction, ...) by type id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Annotated, Any
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.catalog.industry import Skills
from domain.catalog.model import Skill
from domain.errors import InvalidInput, NotFound
from domain.events import CommandMeta, Event
from domain.industry.slots import SlotGroup
from domain.limits import MAX_SMALL_LIST, Count, GameId
from domain.work_limits import DEFAULT_LIMITS, WorkLimits, ensure_within

_ROSTER_NAMESPACE = UUID("9d3a4c55-0f61-4b0e-9b0e-7a51c2e8d4f1")


def roster_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_ROSTER_NAMESPACE, str(owner_id))


# The game's type ids of the skills ``CharacterSkills`` names.
SKILL_IDS = {
    "industry": 3380,
    "advanced_industry": 3388,
    "mass_production": 3387,
    "advanced_mass_production": 24625,
    "reactions": 45746,
    "mass_reactions": 45748,
    "advanced_mass_reactions": 45749,
    "laboratory_operation": 3406,
    "advanced_laboratory_operation": 24624,
}
_NAMED = {type_id: name for name, type_id in SKILL_IDS.items()}


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
    # every other skill, by type id: those recipes require (science, ship construction, ...)
    others: Annotated[dict[GameId, Count], msgspec.Meta(max_length=MAX_SMALL_LIST)] = msgspec.field(
        default_factory=dict
    )

    @classmethod
    def from_levels(cls, levels: Mapping[int, int]) -> CharacterSkills:
        """Skills as the game lists them (type id -> level), each kept within 0-5."""
        named: dict[str, int] = {}
        others: dict[int, int] = {}
        for type_id, level in levels.items():
            level = min(5, max(0, level))
            if type_id in _NAMED:
                named[_NAMED[type_id]] = level
            elif level:
                others[type_id] = level
        return cls(**named, others=others)

    def validated(self) -> CharacterSkills:
        for name in SKILL_IDS:
            if not 0 <= getattr(self, name) <= 5:
                raise InvalidInput("skill levels are 0-5", f"skills.{name}")
        for type_id, level in self.others.items():
            if type_id in _NAMED:
                raise InvalidInput(f"skill {type_id} is {_NAMED[type_id]}: give it by that name", "skills.others")
            if not 0 <= level <= 5:
                raise InvalidInput("skill levels are 0-5", f"skills.others.{type_id}")
        return self

    def level(self, skill_type_id: int) -> int:
        """The level of a skill by its type id (0: untrained)."""
        name = _NAMED.get(skill_type_id)
        return getattr(self, name) if name is not None else self.others.get(skill_type_id, 0)

    def missing(self, required: Iterable[Skill]) -> tuple[MissingSkill, ...]:
        """The required skills below their level (the game's ``MISSING_SKILL``): none means the
        character may run the activity."""
        return tuple(
            MissingSkill(type_id=skill.type_id, level=skill.level, trained=self.level(skill.type_id))
            for skill in required
            if self.level(skill.type_id) < skill.level
        )

    @property
    def for_time(self) -> Skills:
        """What job time reads: Industry, Advanced Industry, Reactions, and every other skill
        for the 1% per level each required science skill saves."""
        return Skills(
            industry=self.industry,
            advanced_industry=self.advanced_industry,
            reactions=self.reactions,
            science=dict(self.others),
        )


class MissingSkill(msgspec.Struct, frozen=True, kw_only=True):
    """A skill a recipe requires at ``level`` that the character has only at ``trained``."""

    type_id: int
    level: int
    trained: int


class Character(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    character_id: int
    name: str
    skills: CharacterSkills = msgspec.field(default_factory=CharacterSkills)

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
            raise InvalidInput("characterId must be a positive game character id", "character_id")
        name = character.name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("name must be 1-100 characters", "name")
        character = msgspec.structs.replace(character, name=name, skills=character.skills.validated())
        if character.character_id not in self.characters:
            ensure_within(
                "characters in your roster", len(self.characters) + 1, limits.characters_per_roster, "character_id"
            )
        if self.characters.get(character.character_id) != character:
            self._record(CharacterRegistered, meta=meta, character=character)

    def remove(self, character_id: int, meta: CommandMeta) -> None:
        if character_id not in self.characters:
            raise NotFound(f"character {character_id} not found", "character_id")
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
