"""Command routes of transport: add, replace and remove a transport profile."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

import anyio.to_thread
from litestar import Controller, delete, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.transport import TransportService
from domain.events import CommandMeta
from interfaces.http.context import COMMAND_DEPENDENCIES
from interfaces.http.transport.schemas import ProfileIn, ProfileRemoved, ProfileSaved

ProfileId = Annotated[UUID, PathParameter(description="The transport profile's id")]


class TransportCommands(Controller):
    dependencies = COMMAND_DEPENDENCIES

    @post("/v1/transport/profiles", tags=["commands"], status_code=201)
    async def add_profile(
        self,
        transport: NamedDependency[TransportService],
        data: JSONBody[ProfileIn],
        meta: NamedDependency[CommandMeta],
    ) -> ProfileSaved:
        """Add a transport profile: a method (freighter, jump_freighter, dst, blockade_runner:
        your ships, which need ``maxVolume``, their hold in m³, and are paid ``ratePerM3PerJump``;
        courier_contract: a flat ``ratePerM3``, a ``maxVolume`` only if the contract has a
        limit), a ``collateralRate`` of the goods' value, the ``routeRule`` its route keeps to
        (shortest, or secure: high-sec only). ``isDefault`` makes it the profile plans naming
        none haul with (the one default before stops being it). A refused field is a 422 naming it."""
        profile, position = await anyio.to_thread.run_sync(transport.add, data.profile(uuid.uuid4()), meta)
        return ProfileSaved(profile=profile, position=position)

    @put("/v1/transport/profiles/{profile_id:uuid}", tags=["commands"])
    async def replace_profile(
        self,
        transport: NamedDependency[TransportService],
        profile_id: ProfileId,
        data: JSONBody[ProfileIn],
        meta: NamedDependency[CommandMeta],
    ) -> ProfileSaved:
        """Replace every field of one of your profiles (as when adding one); ``isDefault: false``
        on your default leaves you with none."""
        profile, position = await anyio.to_thread.run_sync(transport.change, data.profile(profile_id), meta)
        return ProfileSaved(profile=profile, position=position)

    @delete("/v1/transport/profiles/{profile_id:uuid}", tags=["commands"], status_code=200)
    async def remove_profile(
        self, transport: NamedDependency[TransportService], profile_id: ProfileId, meta: NamedDependency[CommandMeta]
    ) -> ProfileRemoved:
        """Remove one of your profiles. Plans naming it haul with your default profile instead
        (each such haul says so in its ``missing``)."""
        position = await anyio.to_thread.run_sync(transport.remove, profile_id, meta)
        return ProfileRemoved(profile_id=profile_id, status="removed", position=position)
