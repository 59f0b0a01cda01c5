"""Query routes of EVE: the caller's linked characters."""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread
from litestar import Controller, get
from litestar.di import NamedDependency

from application.eve.links import EveLinkService
from application.eve.sync import EveSync
from interfaces.http.eve.schemas import LinkedCharacterList, LinkedCharacterOut


class EveQueries(Controller):
    @get("/v1/eve/characters", tags=["queries"])
    async def get_linked_characters(
        self, eve: NamedDependency[EveLinkService], eve_sync: NamedDependency[EveSync], user_id: NamedDependency[UUID]
    ) -> LinkedCharacterList:
        """Your linked EVE characters: scopes granted, token state (``reauthorize``: log in
        again), last sync. Read from the event store (the links aggregate), so always current."""
        characters = await anyio.to_thread.run_sync(eve.characters, user_id)
        synced = await anyio.to_thread.run_sync(eve_sync.last_syncs, user_id)
        return LinkedCharacterList(
            characters=[LinkedCharacterOut.of(c, synced.get(c.character_id)) for c in characters]
        )
