"""The transport profile use cases: add, change and remove a user's profiles, and read them
for run generation (from the event store: a run is costed with the profiles as saved, never
with a read model behind them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from application.command_runner import save_atomically
from application.event_store import EventStore
from domain.aggregate import Aggregate
from domain.errors import NotFound
from domain.events import CommandMeta
from domain.industry.transport import TransportProfile, TransportProfiles, transport_profiles_id

R = TypeVar("R")


class TransportService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def add(self, profile: TransportProfile, meta: CommandMeta) -> tuple[TransportProfile, int]:
        """Save a new profile under the id it carries (the caller's fresh one)."""
        return self._decide(meta, lambda profiles: profiles.add(profile, meta), create=True)

    def change(self, profile: TransportProfile, meta: CommandMeta) -> tuple[TransportProfile, int]:
        return self._decide(meta, lambda profiles: profiles.change(profile, meta))

    def remove(self, profile_id: UUID, meta: CommandMeta) -> int:
        return self._decide(meta, lambda profiles: profiles.remove(profile_id, meta))[1]

    def profiles(self, owner: UUID) -> TransportProfiles | None:
        """The owner's profiles as saved (None: they never saved one)."""
        try:
            return self.store.load(transport_profiles_id(owner), TransportProfiles)
        except NotFound:
            return None

    def _decide(
        self, meta: CommandMeta, decide: Callable[[TransportProfiles], R], create: bool = False
    ) -> tuple[R, int]:
        owner = meta.user_id

        def on_profiles() -> tuple[list[Aggregate], R]:
            profiles = self.profiles(owner)
            if profiles is None:
                if not create:
                    raise NotFound("transport profile not found", "profile_id")
                profiles = TransportProfiles.open(owner, meta)
            return [profiles], decide(profiles)

        return save_atomically(self.store, [transport_profiles_id(owner)], on_profiles)
