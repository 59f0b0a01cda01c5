"""Commands on the blueprint library: what a sync of the game reports, and what is added or
removed by hand."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import msgspec

from application.command_runner import save_atomically
from application.eve.esi import EsiAnswer
from application.eve.esi_routes import Blueprint
from application.event_store import EventStore
from domain.aggregate import Aggregate
from domain.errors import NotFound
from domain.events import CommandMeta
from domain.industry.blueprints import BlueprintEntry, BlueprintLibrary, Holder, OwnedBlueprint, library_id


class BlueprintsSynced(msgspec.Struct, frozen=True, kw_only=True):
    """What one sync of a holder's blueprints did."""

    holder: Holder
    reported: int  # blueprints the game reported
    changed: int  # added, changed or removed in the library (0: no event recorded)
    position: int


def reported_blueprints(holder: Holder, reported: Sequence[Blueprint]) -> list[OwnedBlueprint]:
    """The library's blueprints of what ESI reports: ``quantity`` -1 is an original, -2 a copy,
    and above 0 a stack of originals; ``runs`` -1 is an original's."""
    return [
        OwnedBlueprint(
            blueprint_id=blueprint.item_id,
            type_id=blueprint.type_id,
            kind="bpc" if blueprint.quantity == -2 else "bpo",
            material_efficiency=blueprint.material_efficiency,
            time_efficiency=blueprint.time_efficiency,
            runs=blueprint.runs if blueprint.quantity == -2 else None,
            quantity=max(blueprint.quantity, 1),
            location_id=blueprint.location_id,
            holder_kind=holder.kind,
            holder_id=holder.id,
            source="esi",
        )
        for blueprint in reported
    ]


class BlueprintLibraryService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def _load_or_open(self, owner: UUID, meta: CommandMeta) -> BlueprintLibrary:
        """The user's library, opened on first use (a concurrent first use collides and retries)."""
        try:
            return self.store.load(library_id(owner), BlueprintLibrary)
        except NotFound:
            return BlueprintLibrary.open(owner, meta)

    def replace_reported(
        self, owner: UUID, holder: Holder, blueprints: Sequence[OwnedBlueprint], meta: CommandMeta
    ) -> tuple[int, int]:
        """Make the holder's blueprints from the game equal ``blueprints``; (changes, position)."""

        def decide() -> tuple[list[Aggregate], int]:
            library = self._load_or_open(owner, meta)
            library.ensure_owned_by(owner)
            changes = library.replace_reported(holder, blueprints, meta)
            return ([library] if changes else []), changes  # a library opened for nothing is not saved

        return save_atomically(self.store, [library_id(owner)], decide)

    def sync_blueprints(
        self, owner: UUID, holder: Holder, answer: EsiAnswer[list[Blueprint]], meta: CommandMeta
    ) -> BlueprintsSynced:
        """What the sync of a character's (or corporation's) blueprints calls with ESI's answer.
        The answer is compared even when ESI says nothing changed: the library, not the
        response cache, is what must end up equal to the game."""
        changed, position = self.replace_reported(owner, holder, reported_blueprints(holder, answer.data), meta)
        return BlueprintsSynced(holder=holder, reported=len(answer.data), changed=changed, position=position)

    def add(self, entry: BlueprintEntry, meta: CommandMeta) -> tuple[OwnedBlueprint, int]:
        """Add a blueprint the game cannot report; it gets a negative id of its own."""
        entry.validated()  # bad input is a 400 before anything is loaded

        def decide() -> tuple[list[Aggregate], OwnedBlueprint]:
            library = self._load_or_open(meta.user_id, meta)
            return [library], library.add_by_hand(entry, meta)

        return save_atomically(self.store, [library_id(meta.user_id)], decide)

    def remove(self, blueprint_id: int, meta: CommandMeta) -> int:
        """Remove a blueprint added by hand (one the game reports goes when it stops reporting it)."""

        def decide() -> tuple[list[Aggregate], None]:
            try:
                library = self.store.load(library_id(meta.user_id), BlueprintLibrary)
            except NotFound:
                raise NotFound(f"blueprint {blueprint_id} not found", "blueprint_id") from None
            library.remove_by_hand(blueprint_id, meta)
            return [library], None

        return save_atomically(self.store, [library_id(meta.user_id)], decide)[1]
