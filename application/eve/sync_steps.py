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
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from uuid import UUID

import msgspec

from application.blueprints import BlueprintLibraryService
from application.eve.esi import Bearer, CallStats, EsiAnswer
from application.eve.esi_routes import Asset, Blueprint, EsiRoutes, IndustryJob
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


class StepOutcome(msgspec.Struct, frozen=True, kw_only=True):
    changes: int  # what the services changed (0: no event was recorded)
    stats: CallStats
    expires_at: float  # Unix seconds: ESI's answer is fresh until then, so nothing is due before
    detail: str | None = None  # JSON kept in the status for the next run and for GET /v1/eve/sync


class StepContext(msgspec.Struct, frozen=True, kw_only=True):
    """What an authed step is given: whose sync, the token it reads with, its last status."""

    owner_id: UUID
    bearer: Bearer
    previous: SyncStatus  # this step's status before the run
    now: datetime

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
    others: Sequence[SyncStatus]  # the other linked characters' statuses of the same step


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


class AssetsStep:
    """Assets into one snapshot per station or structure. An item inside a container (or a
    ship) is counted where its outermost container is, held by the character, in that
    container (the outermost item's id) and, for a corporation hangar, its division (the
    outermost item's ``CorpSAG1..7`` flag). The user's assets are one set for all their
    characters, so a location's snapshot is this character's answer plus the other linked
    characters' last ones (kept in their statuses' detail; a detail kept before owners
    existed counts as unowned until that character's next sync); a location this character
    held things at before and holds nothing at now is snapshotted too."""

    what = "assets"

    def __init__(self, stock: StockService, interval_sec: float) -> None:
        self._stock = stock
        self.interval_sec = interval_sec

    def __call__(self, routes: EsiRoutes, context: CharacterContext) -> StepOutcome:
        answer = routes.character_assets(context.bearer)
        if answer.unchanged and context.unchanged_since_success:
            previous = context.previous.detail
            return StepOutcome(changes=0, stats=answer.stats, expires_at=answer.expires_at, detail=previous)
        held = holdings_by_location(answer.data, Spot("character", context.character_id))
        before = _decode_holdings(context.previous.detail)
        others = [_decode_holdings(status.detail) for status in context.others]
        meta = context.meta(answer, "assets")
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
            changes += self._stock.replace_assets(snapshot, location, meta, _observed(answer))[0]
        return StepOutcome(
            changes=changes, stats=answer.stats, expires_at=answer.expires_at, detail=_encode_holdings(held)
        )


HeldBySpot = dict[int, dict[Spot, dict[int, int]]]  # location -> spot -> type -> units


def division_of(location_flag: str) -> int | None:
    """A corporation hangar's division from the game's flag (``CorpSAG1``..``CorpSAG7``)."""
    if location_flag.startswith("CorpSAG") and location_flag[7:].isdigit():
        division = int(location_flag[7:])
        return division if division in DIVISIONS else None
    return None


def holdings_by_location(assets: Iterable[Asset], owner: Spot = UNOWNED) -> HeldBySpot:
    """Quantities per (outermost location, spot, type): an item whose location is another item
    is followed up to the item that is not inside one (in a station, a structure, in space);
    that outermost item is its container, and its flag names the division. ``owner`` gives the
    spot's owner (type and id)."""
    by_item = {asset.item_id: asset for asset in assets}
    held: HeldBySpot = {}
    for asset in by_item.values():
        where, seen = asset, {asset.item_id}
        while where.location_type == "item" and where.location_id in by_item and where.location_id not in seen:
            where = by_item[where.location_id]
            seen.add(where.item_id)
        division = division_of(where.location_flag) if owner.owner_type == "corporation" else None
        container = where.item_id if where is not asset and owner != UNOWNED else None
        spot = owner._replace(container_id=container, division_number=division)
        types = held.setdefault(where.location_id, {}).setdefault(spot, {})
        types[asset.type_id] = types.get(asset.type_id, 0) + asset.quantity
    return held


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
    """A region's orders, with the adjusted prices and the industry cost indices, into market
    batches (``MarketService.record_all``, as ``manufactory market import`` records files). A
    batch's id comes from its content, so the same answers are recorded once."""

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
        recorded = self._market.record_all(region_id, data, None, "esi", meta, _observed(orders))
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
