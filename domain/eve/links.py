"""The EVE characters a user has linked through EVE's SSO, and the state of each link.

A link is not the industry roster's ``Character`` gaining a field: the roster holds what a
character can build (skills typed in by hand or, later, synced), a link holds the right to ask
the game about it. They live apart: a roster character needs no link (a player typing skills
in), a link exists before its first skills sync, unlinking must erase the credentials without
touching plans that name the character, and the roster's history should not carry every
re-authorization. So each user has one ``EveLinks`` aggregate (like the roster: one per user,
its id derived from the user's), and the sync will register roster characters from it.

A link also knows the character's corporation, as the sync last saw it in the game (ESI's
public character route): the corporation's own sync runs with a member's token, and the
corporation's statuses are shown while a linked character belongs to it. Recorded only when it
changes (a character joins another corporation), so a sync that finds it as before adds nothing.

No event carries a secret: the tokens live encrypted outside the event store
(``application/eve/vault.py``). A refresh records an event only when it changes what is known
(the scopes granted): one every 20 minutes per character while syncing would be ~26,000
events a year per character, replayed on every load, for no fact.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal
from uuid import UUID

import msgspec

from domain.aggregate import Aggregate
from domain.errors import InvalidInput, NotFound
from domain.events import CommandMeta, Event

_LINKS_NAMESPACE = UUID("5b0e5d3a-7c41-4d8e-9a61-2f3c8e7b1d20")
TokenState = Literal["ok", "reauthorize"]


def links_id(owner_id: UUID) -> UUID:
    return uuid.uuid5(_LINKS_NAMESPACE, str(owner_id))


class LinkedCharacter(msgspec.Struct, frozen=True, kw_only=True):
    character_id: int
    name: str
    scopes: tuple[str, ...]
    token_state: TokenState = "ok"
    # Why the character needs re-authorization (the SSO's answer), when it does.
    reason: str | None = None
    # Its corporation as the sync last saw it in the game; None until then.
    corporation_id: int | None = None
    # The SSO's ``owner`` claim when it was linked: it changes when the character changes hands,
    # so signing in with the character is refused to a buyer. None: linked before it was kept.
    owner_hash: str | None = None


class EveLinks(Aggregate):
    characters: dict[int, LinkedCharacter]

    @classmethod
    def open(cls, owner_id: UUID, meta: CommandMeta) -> EveLinks:
        return cls._create(EveLinksOpened, links_id(owner_id), meta=meta, owner_id=owner_id)

    def link(
        self,
        character_id: int,
        name: str,
        scopes: tuple[str, ...],
        meta: CommandMeta,
        owner_hash: str | None = None,
    ) -> None:
        """Link a character, or link it again (new scopes, a new owner, or after it needed
        re-authorization)."""
        if character_id < 1:
            raise InvalidInput("the SSO named no valid character id", "sub")
        scopes = tuple(sorted(set(scopes)))
        known = self.characters.get(character_id)
        corporation_id = known.corporation_id if known else None  # a login says nothing of it
        relinked = LinkedCharacter(
            character_id=character_id, name=name, scopes=scopes, corporation_id=corporation_id, owner_hash=owner_hash
        )
        if known != relinked:
            self._record(
                EveCharacterLinked,
                meta=meta,
                character_id=character_id,
                name=name,
                scopes=scopes,
                owner_hash=owner_hash,
            )

    def tokens_refreshed(self, character_id: int, scopes: tuple[str, ...], meta: CommandMeta) -> None:
        """A refresh succeeded: recorded only when it granted other scopes than known."""
        scopes = tuple(sorted(set(scopes)))
        if self.linked(character_id).scopes != scopes:
            self._record(EveTokensRefreshed, meta=meta, character_id=character_id, scopes=scopes)

    def corporation_seen(self, character_id: int, corporation_id: int, meta: CommandMeta) -> None:
        """The game says the character belongs to this corporation: recorded when that is news."""
        if self.linked(character_id).corporation_id != corporation_id:
            self._record(
                EveCharacterCorporationSeen, meta=meta, character_id=character_id, corporation_id=corporation_id
            )

    def needs_reauthorization(self, character_id: int, reason: str, meta: CommandMeta) -> None:
        if self.linked(character_id).token_state != "reauthorize":
            self._record(EveReauthorizationNeeded, meta=meta, character_id=character_id, reason=reason)

    def unlink(self, character_id: int, meta: CommandMeta) -> None:
        self.linked(character_id)
        self._record(EveCharacterUnlinked, meta=meta, character_id=character_id)

    def linked(self, character_id: int) -> LinkedCharacter:
        try:
            return self.characters[character_id]
        except KeyError:
            raise NotFound(f"character {character_id} is not linked", "character_id") from None

    def state(self) -> tuple[LinkedCharacter, ...]:
        return tuple(self.characters[c] for c in sorted(self.characters))


class EveLinksOpened(Event, frozen=True):
    owner_id: UUID

    def apply(self, aggregate: Any) -> EveLinks:
        links = EveLinks(self.originator_id, self.owner_id, self.timestamp)
        links.characters = {}
        return links


class EveCharacterLinked(Event, frozen=True):
    character_id: int
    name: str
    scopes: tuple[str, ...]
    owner_hash: str | None = None  # recorded since console sign-in with EVE; None before

    def apply(self, aggregate: EveLinks) -> EveLinks:
        known = aggregate.characters.get(self.character_id)
        aggregate.characters[self.character_id] = LinkedCharacter(
            character_id=self.character_id,
            name=self.name,
            scopes=self.scopes,
            corporation_id=known.corporation_id if known else None,
            owner_hash=self.owner_hash,
        )
        return aggregate


class EveTokensRefreshed(Event, frozen=True):
    character_id: int
    scopes: tuple[str, ...]

    def apply(self, aggregate: EveLinks) -> EveLinks:
        linked = aggregate.characters[self.character_id]
        aggregate.characters[self.character_id] = msgspec.structs.replace(linked, scopes=self.scopes)
        return aggregate


class EveCharacterCorporationSeen(Event, frozen=True):
    character_id: int
    corporation_id: int

    def apply(self, aggregate: EveLinks) -> EveLinks:
        linked = aggregate.characters[self.character_id]
        aggregate.characters[self.character_id] = msgspec.structs.replace(linked, corporation_id=self.corporation_id)
        return aggregate


class EveReauthorizationNeeded(Event, frozen=True):
    character_id: int
    reason: str

    def apply(self, aggregate: EveLinks) -> EveLinks:
        linked = aggregate.characters[self.character_id]
        aggregate.characters[self.character_id] = msgspec.structs.replace(
            linked, token_state="reauthorize", reason=self.reason
        )
        return aggregate


class EveCharacterUnlinked(Event, frozen=True):
    character_id: int

    def apply(self, aggregate: EveLinks) -> EveLinks:
        aggregate.characters.pop(self.character_id, None)
        return aggregate
