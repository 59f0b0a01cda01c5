"""The ESI routes the game connection reads, with their payloads as typed Structs.

Field names and which fields are required follow ESI's published OpenAPI schemas (the
``required`` lists of each route's response). Decoding tolerates what the game sends as it
evolves: unknown fields are ignored (no Struct here forbids them) and every field the schema
leaves optional defaults to None. Ids are plain ints: an id of an item the catalog does not
know is kept, never refused here. Statuses and flags stay strings, so a value CCP adds later
does not fail a whole sync.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from application.eve.esi import Bearer, EsiAnswer, EsiClient


class CharacterInfo(msgspec.Struct, frozen=True, kw_only=True):
    """``/characters/{id}/`` (public): the fields the sync reads. The schema's other required
    ones (birthday, bloodline, gender, race) are left undeclared, so they are not required here."""

    name: str
    corporation_id: int
    alliance_id: int | None = None


class CharacterRoles(msgspec.Struct, frozen=True, kw_only=True):
    """``/characters/{id}/roles/`` (scope ``esi-characters.read_corporation_roles.v1``): the
    character's roles in its corporation (``Director``, ``Factory_Manager``...); every list is
    optional in the schema and left out when empty."""

    roles: list[str] = []
    roles_at_hq: list[str] = []
    roles_at_base: list[str] = []
    roles_at_other: list[str] = []


class IndustryJob(msgspec.Struct, frozen=True, kw_only=True):
    """``/characters/{id}/industry/jobs/`` and ``/corporations/{id}/industry/jobs/``. Jobs
    past ``end_date`` are still reported ``active`` until delivered."""

    job_id: int
    installer_id: int
    facility_id: int
    activity_id: int
    blueprint_id: int
    blueprint_type_id: int
    blueprint_location_id: int
    output_location_id: int
    runs: int
    duration: int  # seconds
    status: str  # active, cancelled, delivered, paused, ready, reverted
    start_date: datetime
    end_date: datetime
    station_id: int | None = None  # the character route's
    location_id: int | None = None  # the corporation route's
    cost: float | None = None
    licensed_runs: int | None = None
    probability: float | None = None
    product_type_id: int | None = None
    pause_date: datetime | None = None
    completed_date: datetime | None = None
    completed_character_id: int | None = None
    successful_runs: int | None = None  # invention: how many runs succeeded


class Asset(msgspec.Struct, frozen=True, kw_only=True):
    """``/characters/{id}/assets/`` and ``/corporations/{id}/assets/``: an item inside a
    container has the container's ``item_id`` as its ``location_id``. In a corporation's, an
    item in a hangar division (``CorpSAG1..7``) is located in the corporation's office there
    (type 27, flagged ``OfficeFolder``), whose own location is the station or structure
    (esi/esi-docs, docs/asset_location_id.md)."""

    item_id: int
    type_id: int
    location_id: int
    location_flag: str
    location_type: str  # station, solar_system, item, other
    quantity: int
    is_singleton: bool
    is_blueprint_copy: bool | None = None


class AssetName(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /characters/{id}/assets/names/`` and ``/corporations/{id}/assets/names/``:
    the name a player gave an item (a container, a ship); ESI answers ``None`` for one never
    named."""

    item_id: int
    name: str


class Structure(msgspec.Struct, frozen=True, kw_only=True):
    """``/universe/structures/{id}/`` (scope ``esi-universe.read_structures.v1``): answered
    only to a character with docking access; any other gets a 403."""

    name: str
    owner_id: int
    solar_system_id: int
    type_id: int | None = None


class Skill(msgspec.Struct, frozen=True, kw_only=True):
    skill_id: int
    trained_skill_level: int
    active_skill_level: int  # below the trained level on an alpha clone: the one that counts
    skillpoints_in_skill: int


class Skills(msgspec.Struct, frozen=True, kw_only=True):
    """``/characters/{id}/skills/``."""

    skills: list[Skill]
    total_sp: int
    unallocated_sp: int | None = None


class Blueprint(msgspec.Struct, frozen=True, kw_only=True):
    """``/characters/{id}/blueprints/`` and ``/corporations/{id}/blueprints/``."""

    item_id: int
    type_id: int
    location_id: int
    location_flag: str
    quantity: int  # -1 an original, -2 a copy, above 0 a stack of originals
    material_efficiency: int
    time_efficiency: int
    runs: int  # -1 for an original


class MarketOrder(msgspec.Struct, frozen=True, kw_only=True):
    """``/markets/{region_id}/orders/``."""

    order_id: int
    type_id: int
    location_id: int
    system_id: int
    is_buy_order: bool
    price: float
    volume_remain: int
    volume_total: int
    min_volume: int
    range: str
    issued: datetime
    duration: int  # days


class MarketPrice(msgspec.Struct, frozen=True, kw_only=True):
    """``/markets/prices/``: the adjusted price is what job costs are based on."""

    type_id: int
    adjusted_price: float | None = None
    average_price: float | None = None


class CostIndex(msgspec.Struct, frozen=True, kw_only=True):
    activity: str  # manufacturing, researching_time_efficiency, ..., invention, reaction
    cost_index: float


class IndustrySystem(msgspec.Struct, frozen=True, kw_only=True):
    """``/industry/systems/``."""

    solar_system_id: int
    cost_indices: list[CostIndex]


MAX_NAMED_ITEMS = 1000  # item ids per asset-names request (ESI's maxItems)


class EsiRoutes:
    """The routes by name, each through the one client."""

    def __init__(self, client: EsiClient) -> None:
        self.client = client

    def character(self, character_id: int) -> EsiAnswer[CharacterInfo]:
        return self.client.get(f"/characters/{character_id}/", CharacterInfo)

    def character_roles(self, bearer: Bearer) -> EsiAnswer[CharacterRoles]:
        return self.client.get(f"/characters/{bearer.character_id}/roles/", CharacterRoles, bearer=bearer)

    def character_jobs(self, bearer: Bearer) -> EsiAnswer[list[IndustryJob]]:
        path = f"/characters/{bearer.character_id}/industry/jobs/"
        return self.client.get_pages(path, IndustryJob, params={"include_completed": "true"}, bearer=bearer)

    def corporation_jobs(self, corporation_id: int, bearer: Bearer) -> EsiAnswer[list[IndustryJob]]:
        path = f"/corporations/{corporation_id}/industry/jobs/"
        return self.client.get_pages(path, IndustryJob, params={"include_completed": "true"}, bearer=bearer)

    def character_assets(self, bearer: Bearer) -> EsiAnswer[list[Asset]]:
        return self.client.get_pages(f"/characters/{bearer.character_id}/assets/", Asset, bearer=bearer)

    def corporation_assets(self, corporation_id: int, bearer: Bearer) -> EsiAnswer[list[Asset]]:
        return self.client.get_pages(f"/corporations/{corporation_id}/assets/", Asset, bearer=bearer)

    def character_asset_names(self, bearer: Bearer, item_ids: list[int]) -> EsiAnswer[list[AssetName]]:
        """Names of at most ``MAX_NAMED_ITEMS`` of the character's own items."""
        path = f"/characters/{bearer.character_id}/assets/names/"
        return self.client.post(path, item_ids, list[AssetName], bearer=bearer)

    def corporation_asset_names(
        self, corporation_id: int, bearer: Bearer, item_ids: list[int]
    ) -> EsiAnswer[list[AssetName]]:
        """Names of at most ``MAX_NAMED_ITEMS`` of the corporation's items (a Director's token)."""
        path = f"/corporations/{corporation_id}/assets/names/"
        return self.client.post(path, item_ids, list[AssetName], bearer=bearer)

    def structure(self, structure_id: int, bearer: Bearer) -> EsiAnswer[Structure]:
        return self.client.get(f"/universe/structures/{structure_id}/", Structure, bearer=bearer)

    def character_skills(self, bearer: Bearer) -> EsiAnswer[Skills]:
        return self.client.get(f"/characters/{bearer.character_id}/skills/", Skills, bearer=bearer)

    def character_blueprints(self, bearer: Bearer) -> EsiAnswer[list[Blueprint]]:
        return self.client.get_pages(f"/characters/{bearer.character_id}/blueprints/", Blueprint, bearer=bearer)

    def corporation_blueprints(self, corporation_id: int, bearer: Bearer) -> EsiAnswer[list[Blueprint]]:
        return self.client.get_pages(f"/corporations/{corporation_id}/blueprints/", Blueprint, bearer=bearer)

    def market_orders(self, region_id: int) -> EsiAnswer[list[MarketOrder]]:
        return self.client.get_pages(f"/markets/{region_id}/orders/", MarketOrder, params={"order_type": "all"})

    def market_prices(self) -> EsiAnswer[list[MarketPrice]]:
        return self.client.get_pages("/markets/prices/", MarketPrice)

    def industry_systems(self) -> EsiAnswer[list[IndustrySystem]]:
        return self.client.get_pages("/industry/systems/", IndustrySystem)
