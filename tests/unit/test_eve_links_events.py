"""The links know each character's corporation as the sync last saw it: recorded once per change,
and kept when the character is linked again (a login says nothing of it)."""

from __future__ import annotations

from domain.eve.links import EveCharacterCorporationSeen, EveCharacterLinked, EveLinksOpened
from tests.unit.given import META, OWNER, event, given

ANN = 2112000001
SCOPES = ("esi-skills.read_skills.v1",)
LINKED = (
    event(EveLinksOpened, owner_id=OWNER),
    event(EveCharacterLinked, character_id=ANN, name="Ann", scopes=SCOPES),
)
SEEN = event(EveCharacterCorporationSeen, character_id=ANN, corporation_id=98000001)


def test_a_character_s_corporation_is_recorded_when_first_seen_and_when_it_changes() -> None:
    given(*LINKED).when(lambda links: links.corporation_seen(ANN, 98000001, META)).then(SEEN)
    moved = event(EveCharacterCorporationSeen, character_id=ANN, corporation_id=98000002)
    given(*LINKED, SEEN).when(lambda links: links.corporation_seen(ANN, 98000002, META)).then(moved)


def test_the_same_corporation_seen_again_records_nothing() -> None:
    given(*LINKED, SEEN).when(lambda links: links.corporation_seen(ANN, 98000001, META)).then_nothing()


def test_linking_again_keeps_the_corporation_and_records_nothing_when_nothing_else_changed() -> None:
    given(*LINKED, SEEN).when(lambda links: links.link(ANN, "Ann", SCOPES, META)).then_nothing()
    relinked = given(*LINKED, SEEN).when(lambda links: links.link(ANN, "Ann", (*SCOPES, "more"), META))
    links = relinked.then(event(EveCharacterLinked, character_id=ANN, scopes=("esi-skills.read_skills.v1", "more")))
    assert links.linked(ANN).corporation_id == 98000001
