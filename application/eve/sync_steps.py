"""What the EVE sync fetches and which existing service each answer feeds: one step per
"what". A step has no logic of its own beyond turning ESI's shapes into the service's inputs:
matching jobs is the job sync's (``JobService.sync``), a location's snapshot is the asset
aggregate's, the roster decides whether skills changed, a market batch whether it was recorded
before. So a second run over the same answer records no event.

Character steps get the character's bearer token; corporation steps the token of a linked
member allowed to read the corporation (the sync picks one: a role in the game and a scope at
login); region steps are public. The steps the sync runs are lists (``EveSync.character_steps``,
``EveSync.corporation_steps``): the blueprint library adds its own there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, Protocol
from uuid import UUID

import msgspec

from application.blueprints import BlueprintLibraryService
from application.eve.esi import Bearer, CallStats, EsiAnswer, EsiError
from application.eve.esi_routes import MAX_NAMED_ITEMS, Asset, AssetName, Blueprint, EsiRoutes, IndustryJob
from application.eve.sync_status import SyncStatus
from application.game_jobs import GameJobService, reported_jobs
from application.jobs import JobService, SyncResult
from application.market import MarketImport, MarketService
from application.market_sources import adjusted_from_prices, indices_from_systems, quotes_from_orders
from application.notifications.service import NotificationService
from application.stock import StockService
from domain.events import CommandMeta
from domain.industry.blueprints import Holder
from domain.industry.characters import Character, CharacterSkills
from domain.industry.game_sync import GameJob, ready_to_deliver
from domain.stock.assets import DIVISIONS, UNOWNED, Holding, Spot
from domain.stock.names import StructureName


class StepOutcome(msgspec.Struct, frozen=True, kw_only=True):
    changes: int  # what the services changed (0: no event was recorded)
    stats: CallStats
    expires_at: float  # Unix seconds: ESI's answer is fresh until then, so nothing is due before
    detail: str | None = None  # JSON kept in the status for the next run and for GET /v1/eve/sync


class StepContext(msgspec.Struct, frozen=True, kw_only=True):
    """What an authed step is given: whose sync, the token it reads with, its last status."""

    owner_id: UUID
    bearer: Bearer
    scopes: tuple[str, ...]  # what the bearer's login granted
    previous: SyncStatus  # this step's status before the run
    now: datetime
    others: Sequence[SyncStatus] = ()  # the same step's statuses of the user's other characters and corporations

    @property
    def subject(self) -> str:
        """Whose data the answer is, as the events' cause names it."""
        return f"{self.previous.subject} {self.previous.subject_id}"

    def meta(self, answer: EsiAnswer[Any], route: str) -> CommandMeta:
        """The cause of the events a step records: the sync, and the ESI answer it read."""
        return CommandMeta(
            user_id=self.owner_id,
            correlation_id=f"eve-sync-{uuid.uuid4()}",
            causation_id=f"ESI {route} for {self.subject}, Last-Modified {answer.last_modified}",
        )

    @property
    def unchanged_since_success(self) -> bool:
        """The last run succeeded: an answer unchanged since then has nothing new to feed."""
        return self.previous.last_success_at is not None and self.previous.last_error is None


class CharacterContext(StepContext, frozen=True, kw_only=True):
    """What a character step is given."""

    character_id: int
    name: str


class CorporationContext(StepContext, frozen=True, kw_only=True):
    """What a corporation step is given: the bearer is the member the sync found allowed to
    read it; ``members`` are the user's linked characters in it (id to name)."""

    corporation_id: int
    members: Mapping[int, str]

    @property
    def subject(self) -> str:
        return f"corporation {self.corporation_id} (read as character {self.bearer.character_id})"


class CharacterStep(Protocol):
    """One "what" of a character's sync: its name (``--what``, the status rows) and how
    often it runs (ESI's ``Expires`` can only make that later)."""

    what: str
    interval_sec: float

    def __call__(self, routes: EsiRoutes, context: CharacterContext) -> StepOutcome: ...


class CorporationStep(Protocol):
    """One "what" of a corporation's sync. ESI answers it only to a member holding one of
    ``roles`` in the game whose token carries ``scope``: the sync reads with such a member's
    token and, when none of the user's linked members is one, says so instead of asking."""

    what: str
    interval_sec: float
    roles: tuple[str, ...]
    scope: str

    def __call__(self, routes: EsiRoutes, context: CorporationContext) -> StepOutcome: ...


class _JobsFeed:
    """What both jobs steps feed: the holder's game jobs (the board and the slots), the job
    sync (planned jobs matched, delivered ones completed) and the ``job_ready`` notices."""

    what = "jobs"

    def __init__(
        self, jobs: JobService, game_jobs: GameJobService, notifications: NotificationService, interval_sec: float
    ) -> None:
        self._jobs = jobs
        self._game_jobs = game_jobs
        self._notifications = notifications
        self.interval_sec = interval_sec


class JobsStep(_JobsFeed):
    """Industry jobs into the character's game jobs (what the board and the slots show: only
    what changed is recorded) and into the job sync, every run even when ESI's answer is
    unchanged: jobs planned since the last run may match a game job already running (the job
    sync changes nothing when nothing matches). The jobs ready to deliver are derived and kept
    in the detail."""

    def __call__(self, routes: EsiRoutes, context: CharacterContext) -> StepOutcome:
        answer = routes.character_jobs(context.bearer)
        game_jobs = reported_jobs(answer.data)
        meta = context.meta(answer, "industry jobs")
        holder = Holder(kind="character", id=context.character_id)
        reported, _ = self._game_jobs.report(holder, game_jobs, context.now, meta)
        result, _ = self._jobs.sync(context.character_id, game_jobs, meta)
        ready = ready_to_deliver(game_jobs, context.now)
        announce_ready(self._notifications, ready, context.character_id, context.name, meta)
        return jobs_outcome(answer, reported, [result], ready)


class CorporationJobsStep(_JobsFeed):
    """The corporation's industry jobs into its game jobs and the same job sync, each member's
    jobs matched as that character's (``installer_id``; a job planned for nobody in particular
    fits anyone's). Its members' jobs ready to deliver are announced as their own jobs are."""

    roles: tuple[str, ...] = ("Factory_Manager", "Director")  # ESI's x-required-roles; a Director passes all
    scope = "esi-industry.read_corporation_jobs.v1"

    def __call__(self, routes: EsiRoutes, context: CorporationContext) -> StepOutcome:
        answer = routes.corporation_jobs(context.corporation_id, context.bearer)
        meta = context.meta(answer, "industry jobs")
        game_jobs = reported_jobs(answer.data)
        holder = Holder(kind="corporation", id=context.corporation_id)
        reported, _ = self._game_jobs.report(holder, game_jobs, context.now, meta)
        by_installer = jobs_by_installer(game_jobs)
        results = [self._jobs.sync(installer, game_jobs, meta)[0] for installer, game_jobs in by_installer.items()]
        for member, name in context.members.items():
            mine = ready_to_deliver(by_installer.get(member, []), context.now)
            announce_ready(self._notifications, mine, member, name, meta)
        ready = ready_to_deliver([job for jobs in by_installer.values() for job in jobs], context.now)
        return jobs_outcome(answer, reported, results, ready)


def jobs_by_installer(jobs: Iterable[GameJob]) -> dict[int, list[GameJob]]:
    """A corporation's jobs per member who installed them, as the job sync takes them."""
    by_installer: dict[int, list[GameJob]] = {}
    for job in jobs:
        if job.installer_id is not None:
            by_installer.setdefault(job.installer_id, []).append(job)
    return by_installer


def announce_ready(
    notifications: NotificationService, job_ids: Iterable[int], character_id: int, name: str, meta: CommandMeta
) -> None:
    """``job_ready`` for each game job of the character ready to deliver, announced once per
    game job (the notice's key)."""
    for job_id in job_ids:
        notifications.announce(
            "job_ready",
            str(job_id),
            f"{name}'s job {job_id} is ready to deliver",
            {"characterId": character_id, "jobId": job_id},
            meta,
        )


def jobs_outcome(
    answer: EsiAnswer[list[IndustryJob]], reported: int, results: Sequence[SyncResult], ready: list[int]
) -> StepOutcome:
    """What the game jobs recorded (``reported`` changes) and the job sync did (one result per
    character matched), kept in the detail with the jobs ready to deliver."""
    done = {
        name: [str(job) for result in results for job in getattr(result, name)]
        for name in ("started", "linked", "completed", "cancelled")
    }
    detail = {"ready": ready, **done, "unmatched": sorted(job for result in results for job in result.unmatched)}
    changes = reported + sum(len(jobs) for jobs in done.values())
    return StepOutcome(changes=changes, stats=answer.stats, expires_at=answer.expires_at, detail=_json(detail))


class _AssetsFeed:
    """What both assets steps feed: one snapshot per station or structure, and the names of
    the containers and structures there.

    An item inside a container (or a ship) is counted where its outermost container is, held
    by its owner, in that container (the outermost item's id) and, for a corporation hangar,
    its division (the outermost item's ``CorpSAG1..7`` flag). The user's assets are one set
    for all their characters and corporations, and a snapshot replaces every owner's holdings
    at its location, so a location's snapshot is this answer plus the other owners' last ones
    (kept in their statuses' detail: ``StepContext.others``; a detail kept before owners
    existed counts as unowned until that owner's next sync); a location this owner held
    things at before and holds nothing at now is snapshotted too.

    Names are asked when the assets answer changed: the containers' (``POST .../assets/names/``,
    at most ``MAX_NAMED_ITEMS`` ids a call, only singleton items: a stack has no name) and the
    structures' (``/universe/structures/{id}/``, when the token carries its scope). A structure
    the character may not dock at answers 403 and stays an id without a name; that 403 spends
    ESI's error budget once per such structure per changed answer, at most hourly."""

    what = "assets"

    def __init__(self, stock: StockService, interval_sec: float) -> None:
        self._stock = stock
        self.interval_sec = interval_sec

    def _feed(
        self,
        routes: EsiRoutes,
        context: StepContext,
        answer: EsiAnswer[list[Asset]],
        owner: Spot,
        names: Callable[[list[int]], EsiAnswer[list[AssetName]]],
        owner_names: Callable[[], dict[int, str]] = dict,
    ) -> StepOutcome:
        if answer.unchanged and context.unchanged_since_success:
            previous = context.previous.detail
            return StepOutcome(changes=0, stats=answer.stats, expires_at=answer.expires_at, detail=previous)
        held = holdings_by_location(answer.data, owner)
        meta = context.meta(answer, "assets")
        changes = self._snapshot(held, context, meta, _observed(answer))
        containers = container_names(answer.data, held, names, answer.stats)
        structures = structure_names(routes, context, held, answer.stats)
        owners = owner_names()
        if containers or structures or owners:
            changes += self._stock.name_places(containers, structures, meta, owners)
        return StepOutcome(
            changes=changes, stats=answer.stats, expires_at=answer.expires_at, detail=_encode_holdings(held)
        )

    def _snapshot(self, held: HeldBySpot, context: StepContext, meta: CommandMeta, observed: datetime) -> int:
        """One snapshot per location this owner holds things at now or held things at before:
        its holdings there plus every other owner's last known ones."""
        before = _decode_holdings(context.previous.detail)
        others = [_decode_holdings(status.detail) for status in context.others]
        changes = 0
        for location in sorted(set(held) | set(before)):
            totals: dict[Spot, dict[int, int]] = {}
            for found in (held, *others):
                for spot, types in found.get(location, {}).items():
                    into = totals.setdefault(spot, {})
                    for type_id, quantity in types.items():
                        into[type_id] = into.get(type_id, 0) + quantity
            snapshot = [
                Holding(type_id=t, location_id=location, quantity=q, **spot._asdict())
                for spot, types in totals.items()
                for t, q in sorted(types.items())
            ]
            changes += self._stock.replace_assets(snapshot, location, meta, observed)[0]
        return changes


class AssetsStep(_AssetsFeed):
    """The character's assets, held by the character."""

    def __call__(self, routes: EsiRoutes, context: CharacterContext) -> StepOutcome:
        answer = routes.character_assets(context.bearer)
        names = partial(routes.character_asset_names, context.bearer)
        return self._feed(routes, context, answer, Spot("character", context.character_id), names)


class CorporationAssetsStep(_AssetsFeed):
    """The corporation's assets, held by the corporation, each in its hangar division; and
    the corporation's name (``/corporations/{id}/``), which names it as their owner."""

    roles: tuple[str, ...] = ("Director",)  # ESI's x-required-roles
    scope = "esi-assets.read_corporation_assets.v1"

    def __call__(self, routes: EsiRoutes, context: CorporationContext) -> StepOutcome:
        answer = routes.corporation_assets(context.corporation_id, context.bearer)
        names = partial(routes.corporation_asset_names, context.corporation_id, context.bearer)

        def corporation_name() -> dict[int, str]:
            """The holder's own name (public), for the markers and deficits it owns."""
            info = routes.corporation(context.corporation_id)
            answer.stats.add(info.stats)
            return {context.corporation_id: info.data.name}

        spot = Spot("corporation", context.corporation_id)
        return self._feed(routes, context, answer, spot, names, corporation_name)


HeldBySpot = dict[int, dict[Spot, dict[int, int]]]  # location -> spot -> type -> units
OFFICE_FLAG = "OfficeFolder"  # a corporation's office: its hangars' items are located in it
UNNAMED = "None"  # what the asset-names routes answer for an item no player named
# Ids below this are the game's static places (systems, stations, asset safety...); Upwell
# structures are items, with ids from 10^12 (developers.eveonline.com/docs/guides/id-ranges).
FIRST_ITEM_ID = 1_000_000_000_000
STRUCTURES_SCOPE = "esi-universe.read_structures.v1"


def division_of(location_flag: str) -> int | None:
    """A corporation hangar's division from the game's flag (``CorpSAG1``..``CorpSAG7``)."""
    if location_flag.startswith("CorpSAG") and location_flag[7:].isdigit():
        division = int(location_flag[7:])
        return division if division in DIVISIONS else None
    return None


def holdings_by_location(assets: Iterable[Asset], owner: Spot = UNOWNED) -> HeldBySpot:
    """Quantities per (outermost location, spot, type): an item whose location is another item
    is followed up to the item that is not inside one (in a station, a structure, in space)
    or that is in a corporation's office (whose location is the office's: the office is the
    hangars of the station or structure, not a container, and is not itself held); that
    outermost item is its container, and its flag names the division. ``owner`` gives the
    spot's owner (type and id)."""
    by_item = {asset.item_id: asset for asset in assets}
    held: HeldBySpot = {}
    for asset in by_item.values():
        if asset.location_flag == OFFICE_FLAG:
            continue
        where, seen = asset, {asset.item_id}
        location = asset.location_id
        while where.location_type == "item" and where.location_id in by_item and where.location_id not in seen:
            parent = by_item[where.location_id]
            if parent.location_flag == OFFICE_FLAG:
                location = parent.location_id
                break
            where = parent
            location = where.location_id
            seen.add(where.item_id)
        division = division_of(where.location_flag) if owner.owner_type == "corporation" else None
        container = where.item_id if where is not asset and owner != UNOWNED else None
        spot = owner._replace(container_id=container, division_number=division)
        types = held.setdefault(location, {}).setdefault(spot, {})
        types[asset.type_id] = types.get(asset.type_id, 0) + asset.quantity
    return held


def container_names(
    assets: Iterable[Asset],
    held: HeldBySpot,
    names: Callable[[list[int]], EsiAnswer[list[AssetName]]],
    stats: CallStats,
) -> dict[int, str]:
    """The names players gave the containers holdings are in (singleton items only), asked
    ``MAX_NAMED_ITEMS`` at a time; a batch ESI refuses (404: an item moved away since the
    assets answer) is left unnamed until the next."""
    singletons = {asset.item_id for asset in assets if asset.is_singleton}
    containers = {spot.container_id for spots in held.values() for spot in spots}
    wanted = sorted(item for item in containers if item is not None and item in singletons)
    named: dict[int, str] = {}
    for start in range(0, len(wanted), MAX_NAMED_ITEMS):
        try:
            answer = names(wanted[start : start + MAX_NAMED_ITEMS])
        except EsiError as error:
            if error.status != 404:
                raise
            continue
        stats.add(answer.stats)
        named.update((found.item_id, found.name) for found in answer.data if found.name and found.name != UNNAMED)
    return named


def structure_names(routes: EsiRoutes, context: StepContext, held: HeldBySpot, stats: CallStats) -> list[StructureName]:
    """The structures among the locations held at, named as ESI answers the context's
    character; one it may not dock at (403) or that is no structure (404: a customs office,
    an item the answer does not list) stays unnamed. Nothing is asked without the scope."""
    if STRUCTURES_SCOPE not in context.scopes:
        return []
    found = []
    for location in sorted(location for location in held if location >= FIRST_ITEM_ID):
        try:
            answer = routes.structure(location, context.bearer)
        except EsiError as error:
            if error.status not in (403, 404):
                raise
            continue
        stats.add(answer.stats)
        found.append(StructureName(location, answer.data.name, answer.data.solar_system_id))
    return found


class SkillsStep:
    """Skills into the roster, at their active level (an alpha clone uses less than it has
    trained); the roster records nothing when the character is unchanged."""

    what = "skills"

    def __init__(self, jobs: JobService, interval_sec: float) -> None:
        self._jobs = jobs
        self.interval_sec = interval_sec

    def __call__(self, routes: EsiRoutes, context: CharacterContext) -> StepOutcome:
        answer = routes.character_skills(context.bearer)
        if answer.unchanged and context.unchanged_since_success:
            return StepOutcome(changes=0, stats=answer.stats, expires_at=answer.expires_at)
        levels = {skill.skill_id: skill.active_skill_level for skill in answer.data.skills}
        character = Character(
            character_id=context.character_id, name=context.name, skills=CharacterSkills.from_levels(levels)
        )
        result = self._jobs.register_character(character, context.meta(answer, "skills"))
        return StepOutcome(changes=int(result.changed), stats=answer.stats, expires_at=answer.expires_at)


class BlueprintsStep:
    """The character's blueprints into the blueprint library, which replaces what it last
    reported for this character and records nothing when that is unchanged."""

    what = "blueprints"

    def __init__(self, blueprints: BlueprintLibraryService, interval_sec: float) -> None:
        self._blueprints = blueprints
        self.interval_sec = interval_sec

    def __call__(self, routes: EsiRoutes, context: CharacterContext) -> StepOutcome:
        answer = routes.character_blueprints(context.bearer)
        holder = Holder(kind="character", id=context.character_id)
        return sync_library(self._blueprints, holder, answer, context)


class CorporationBlueprintsStep:
    """The corporation's blueprints into the library as the corporation's (its reported set
    replaced, as a character's is)."""

    what = "blueprints"
    roles: tuple[str, ...] = ("Director",)  # ESI's x-required-roles
    scope = "esi-corporations.read_blueprints.v1"

    def __init__(self, blueprints: BlueprintLibraryService, interval_sec: float) -> None:
        self._blueprints = blueprints
        self.interval_sec = interval_sec

    def __call__(self, routes: EsiRoutes, context: CorporationContext) -> StepOutcome:
        answer = routes.corporation_blueprints(context.corporation_id, context.bearer)
        holder = Holder(kind="corporation", id=context.corporation_id)
        return sync_library(self._blueprints, holder, answer, context)


def sync_library(
    blueprints: BlueprintLibraryService, holder: Holder, answer: EsiAnswer[list[Blueprint]], context: StepContext
) -> StepOutcome:
    """A holder's reported blueprints into the library; an answer unchanged since the last
    success is not fed again."""
    if answer.unchanged and context.unchanged_since_success:
        return StepOutcome(changes=0, stats=answer.stats, expires_at=answer.expires_at)
    synced = blueprints.sync_blueprints(context.owner_id, holder, answer, context.meta(answer, "blueprints"))
    return StepOutcome(changes=synced.changed, stats=answer.stats, expires_at=answer.expires_at)


class MarketStep:
    """A region's orders, with the adjusted prices and the industry cost indices, into the shared
    public market data (``MarketService.record_fetched``): ESI's public answers are the same for
    every user, so they are stored once for everyone, not once per user who follows the region. A
    batch's id comes from its content, so the same answers are recorded once, whoever's sync
    fetched them."""

    what = "market"

    def __init__(self, market: MarketService, interval_sec: float) -> None:
        self._market = market
        self.interval_sec = interval_sec

    def __call__(self, routes: EsiRoutes, owner_id: UUID, region_id: int, previous: SyncStatus) -> StepOutcome:
        orders = routes.market_orders(region_id)
        prices = routes.market_prices()
        systems = routes.industry_systems()
        stats = CallStats()
        for cost in (orders.stats, prices.stats, systems.stats):
            stats.add(cost)
        expires_at = min(orders.expires_at, prices.expires_at, systems.expires_at)
        unchanged = orders.unchanged and prices.unchanged and systems.unchanged
        if unchanged and previous.last_success_at is not None and previous.last_error is None:
            return StepOutcome(changes=0, stats=stats, expires_at=expires_at)
        data = MarketImport(
            quotes=quotes_from_orders(orders.data, region_id, _observed(orders)),
            adjusted=adjusted_from_prices(prices.data, _observed(prices)),
            indices=indices_from_systems(systems.data, _observed(systems)),
        )
        meta = CommandMeta(
            user_id=owner_id,
            correlation_id=f"eve-sync-{uuid.uuid4()}",
            causation_id=f"ESI market of region {region_id}, Last-Modified {orders.last_modified}",
        )
        recorded = self._market.record_fetched(region_id, data, "esi", meta, _observed(orders))
        return StepOutcome(changes=sum(batch.changed for batch in recorded), stats=stats, expires_at=expires_at)


def _observed(answer: EsiAnswer[Any]) -> datetime:
    """When ESI generated the answer (its ``Last-Modified``); else now."""
    try:
        return parsedate_to_datetime(answer.last_modified or "").astimezone(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def _encode_holdings(held: HeldBySpot) -> str:
    """A character's holdings for its status's detail: per location, rows of
    [type, units, ownerType, ownerId, containerId, divisionNumber]."""
    rows = {
        str(location): [[t, q, *spot] for spot, types in spots.items() for t, q in sorted(types.items())]
        for location, spots in held.items()
    }
    return _json(rows)


def _decode_holdings(detail: str | None) -> HeldBySpot:
    """A detail of ``_encode_holdings``, or of before owners existed (``{location: {type:
    units}}``, read as unowned)."""
    if not detail:
        return {}
    decoded = msgspec.json.decode(
        detail, type=dict[int, dict[int, int] | list[tuple[int, int, str | None, int | None, int | None, int | None]]]
    )
    held: HeldBySpot = {}
    for location, found in decoded.items():
        spots = held.setdefault(location, {})
        if isinstance(found, dict):
            spots[UNOWNED] = dict(found)
            continue
        for type_id, quantity, owner_type, owner_id, container_id, division in found:
            types = spots.setdefault(Spot(owner_type, owner_id, container_id, division), {})
            types[type_id] = types.get(type_id, 0) + quantity
    return held


def _json(value: Mapping[str, object]) -> str:
    return msgspec.json.encode(value).decode()
