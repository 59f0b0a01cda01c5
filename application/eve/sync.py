"""The EVE sync: per linked character its steps (jobs, assets, skills, and whatever another
part adds to ``character_steps``), per corporation of a linked character its own (jobs,
blueprints and assets), per followed region its market, each on its own interval, never before ESI's
``Expires``; in a loop beside the server and on demand.

A corporation is synced once per user however many of its members are linked, with the token
of the first linked member (by id) who may read the step: ESI answers a corporation route only
to a member holding its role in the game (``/characters/{id}/roles/``) whose login granted its
scope. When none does, the step's status says what each member lacks and nothing is asked of
the corporation route. Which corporation a character is in comes from ESI's public character
route and is kept on the link (``EveLinks``), so the corporation's statuses are listed while a
linked character belongs to it, and the loop looks the corporations up again only when one of
their steps is due.

Which regions a user follows: the ``eve_sync_regions`` setting
(``MANUFACTORY_EVE_SYNC_REGIONS``, region ids), followed by every user with a linked
character. One install usually serves one player or one group trading in the same hubs, so a
setting is enough; its batches are public market data shared by everyone (recorded once
whichever user's sync fetched them), which a user's own posted prices override.

One failure stays where it happened: a character needing re-authorization, an ESI error
(5xx storm, a refused route) or a wait ESI asked for (``EsiThrottled``) is recorded in that
step's status with when to try again, and the next character or step goes on. Any other
exception is logged and recorded the same way: a bug in one step must not stop the loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar
from uuid import UUID, uuid4

import msgspec

from application.background import Background
from application.blueprints import BlueprintLibraryService
from application.command_runner import update_aggregate
from application.eve.esi import Bearer, EsiClient, EsiError, EsiThrottled
from application.eve.esi_routes import EsiRoutes
from application.eve.sso import (
    ReauthorizationRequired,
    SsoClient,
    SsoNotConfigured,
    SsoUnavailable,
    TokenRejected,
)
from application.eve.sync_status import Subject, SyncStatus, SyncStatusStore
from application.eve.sync_steps import (
    AssetsStep,
    BlueprintsStep,
    CharacterContext,
    CharacterStep,
    CorporationAssetsStep,
    CorporationBlueprintsStep,
    CorporationContext,
    CorporationJobsStep,
    CorporationStep,
    JobsStep,
    MarketStep,
    SkillsStep,
    StepOutcome,
)
from application.eve.vault import TokenVault
from application.event_store import EventStore
from application.game_jobs import GameJobService
from application.jobs import JobService
from application.market import MarketService
from application.notifications.service import NotificationService
from application.settings import Settings
from application.stock import StockService
from domain.errors import InvalidInput, NotFound
from domain.eve.links import EveLinks, LinkedCharacter, links_id
from domain.events import CommandMeta

logger = logging.getLogger(__name__)

MARKET = "market"
# The scope of /characters/{id}/roles/: without it a member's roles, and so its right to read
# the corporation, cannot be known.
ROLES_SCOPE = "esi-characters.read_corporation_roles.v1"
# Ids of the game's NPC corporations (developers.eveonline.com/docs/guides/id-ranges): a
# character in one (a new player, one between corporations) has no corporation to sync.
NPC_CORPORATIONS = range(1_000_000, 2_000_000)
T = TypeVar("T")
Step = TypeVar("Step", CharacterStep, CorporationStep)


class CorporationUnreadable(Exception):
    """No linked member of the corporation may read a step of it (a role in the game, a scope
    at login): the player's setting, not a fault; its status says what each member lacks."""


# Failures that are the game's or the player's: recorded in the status without a traceback.
EXPECTED_FAILURES = (
    EsiError,
    NotFound,
    ReauthorizationRequired,
    SsoUnavailable,
    TokenRejected,
    SsoNotConfigured,
    CorporationUnreadable,
)


class EveSync(Background):
    thread_name = "eve-sync"

    def __init__(
        self,
        settings: Settings,
        store: EventStore,
        sso: SsoClient,
        vault: TokenVault,
        status: SyncStatusStore,
        esi_client: Callable[[], EsiClient],
        jobs: JobService,
        game_jobs: GameJobService,
        stock: StockService,
        market: MarketService,
        blueprints: BlueprintLibraryService,
        notifications: NotificationService,
    ) -> None:
        self.store = store
        self.status = status
        self._notifications = notifications
        self._sso = sso
        self._vault = vault
        self._esi_client = esi_client
        self._routes: EsiRoutes | None = None
        self._tick_sec = settings.eve_sync_tick_sec
        self._retry_sec = settings.eve_sync_retry_sec
        self.regions = settings.eve_sync_regions
        # The extension point: a step appended here is run, scheduled and reported like these.
        self.character_steps: list[CharacterStep] = [
            JobsStep(jobs, game_jobs, notifications, settings.eve_sync_jobs_sec),
            AssetsStep(stock, settings.eve_sync_assets_sec),
            SkillsStep(jobs, settings.eve_sync_skills_sec),
            BlueprintsStep(blueprints, settings.eve_sync_blueprints_sec),
        ]
        self.corporation_steps: list[CorporationStep] = [
            CorporationJobsStep(jobs, game_jobs, notifications, settings.eve_sync_jobs_sec),
            CorporationBlueprintsStep(blueprints, settings.eve_sync_blueprints_sec),
            CorporationAssetsStep(stock, settings.eve_sync_assets_sec),
        ]
        self.market_step = MarketStep(market, settings.eve_sync_market_sec)
        self._running = threading.Lock()  # one sync at a time: the loop's and those asked for
        self._stop = threading.Event()

    @property
    def whats(self) -> list[str]:
        steps: list[CharacterStep | CorporationStep] = [*self.character_steps, *self.corporation_steps]
        return [*dict.fromkeys(step.what for step in steps), MARKET]

    def run_until_stopped(self) -> None:
        while not self._stop.wait(self._tick_sec):
            try:
                self.run_due()
            except Exception:  # the loop outlives anything a run raises (the database away...)
                logger.exception("the EVE sync failed; it tries again in %s s", self._tick_sec)

    def run_due(self) -> None:
        """Every step that is due, of every user's linked characters, their corporations and
        the followed regions."""
        for user_id, character_id in self._vault.linked():
            if self._stop.is_set():
                return
            self._sync_character(user_id, character_id, None, forced=False)
        for user_id in self.users():
            if self._stop.is_set():
                return
            if self._corporation_step_due(user_id):
                for corporation_id, members in self._corporations(user_id).items():
                    self._sync_corporation(user_id, corporation_id, members, None, forced=False)
            for region_id in self.regions:
                self._sync_region(user_id, region_id, forced=False)

    def sync_now(
        self,
        user_id: UUID,
        character_id: int | None = None,
        what: str | None = None,
        corporation_id: int | None = None,
    ) -> list[SyncStatus]:
        """Sync a user's characters, their corporations and the regions now, due or not; a
        character or a corporation named narrows it to those (and no region), ``what`` to one
        step. The statuses after."""
        self.ensure_step(what)
        linked = sorted(self._linked_characters(user_id))
        if character_id is not None and character_id not in linked:
            raise NotFound(f"character {character_id} is not linked", "characterId")
        everything = character_id is None and corporation_id is None
        asked = everything or corporation_id is not None
        corporations = self._corporations_asked(user_id, corporation_id, what) if asked else {}
        characters = linked if everything else [c for c in (character_id,) if c is not None]
        if what != MARKET:
            for character in characters:
                self._sync_character(user_id, character, what, forced=True)
            for corporation, members in corporations.items():
                self._sync_corporation(user_id, corporation, members, what, forced=True)
        if what in (None, MARKET) and everything and linked:
            for region_id in self.regions:
                self._sync_region(user_id, region_id, forced=True)
        return self.statuses(user_id)

    def ensure_step(self, what: str | None) -> None:
        if what is not None and what not in self.whats:
            raise InvalidInput(f"what must be one of {', '.join(self.whats)}", "what")

    def statuses(self, user_id: UUID) -> list[SyncStatus]:
        """The user's statuses: of regions, of the characters still linked and of the
        corporations they belong to."""
        characters = self._links(user_id)
        shown: dict[Subject, set[int | None]] = {
            "character": {character.character_id for character in characters},
            "corporation": {character.corporation_id for character in characters},
        }
        return [s for s in self.status.of_user(user_id) if s.subject == "region" or s.subject_id in shown[s.subject]]

    def last_syncs(self, user_id: UUID) -> dict[int, datetime]:
        """Per character, its latest successful step."""
        latest: dict[int, datetime] = {}
        for status in self.status.of_user(user_id):
            if status.subject == "character" and status.last_success_at is not None:
                latest[status.subject_id] = max(
                    status.last_success_at, latest.get(status.subject_id, status.last_success_at)
                )
        return latest

    def users(self) -> list[UUID]:
        """Every user with a linked character."""
        return sorted({user_id for user_id, _ in self._vault.linked()})

    def _linked_characters(self, user_id: UUID) -> set[int]:
        return {character for user, character in self._vault.linked() if user == user_id}

    def _links(self, user_id: UUID) -> tuple[LinkedCharacter, ...]:
        try:
            return self.store.load(links_id(user_id), EveLinks).state()
        except NotFound:
            return ()

    def stop(self) -> None:
        super().stop()
        with self._running:
            if self._routes is not None:
                self._routes.client.close()
                self._routes = None

    # ------------------------------------------------------------ one character, corporation, region

    def _sync_character(self, user_id: UUID, character_id: int, what: str | None, *, forced: bool) -> None:
        self._run_steps(user_id, "character", character_id, self.character_steps, what, forced, self._character_step)

    def _sync_corporation(
        self, user_id: UUID, corporation_id: int, members: list[LinkedCharacter], what: str | None, *, forced: bool
    ) -> None:
        steps = self.corporation_steps
        run = partial(self._corporation_step, members=members)
        self._run_steps(user_id, "corporation", corporation_id, steps, what, forced, run)

    def _run_steps(
        self,
        user_id: UUID,
        subject: Subject,
        subject_id: int,
        steps: Sequence[Step],
        what: str | None,
        forced: bool,
        run: Callable[[Step, SyncStatus, datetime], StepOutcome],
    ) -> None:
        """The subject's steps (the one named) that are due, or all of them when forced."""
        now = _now()
        due = [
            (step, previous)
            for step in steps
            if what in (None, step.what)
            and ((previous := self.status.get(user_id, subject, subject_id, step.what)).due(now) or forced)
        ]
        if not due:
            return
        with self._running:
            for step, previous in due:
                self._run(previous, step.interval_sec, partial(run, step, previous, now))

    def _character_step(self, step: CharacterStep, previous: SyncStatus, now: datetime) -> StepOutcome:
        user_id, character_id = previous.user_id, previous.subject_id
        character = self.store.load(links_id(user_id), EveLinks).linked(character_id)

        def read(bearer: Bearer) -> StepOutcome:
            context = CharacterContext(
                owner_id=user_id,
                character_id=character_id,
                name=character.name,
                bearer=bearer,
                scopes=character.scopes,
                previous=previous,
                others=self._others(previous),
                now=now,
            )
            return step(self._esi(), context)

        return self._with_fresh_token(user_id, character_id, read)

    def _corporation_step(
        self, step: CorporationStep, previous: SyncStatus, now: datetime, *, members: list[LinkedCharacter]
    ) -> StepOutcome:
        user_id, corporation_id = previous.user_id, previous.subject_id
        reader = self._reader(user_id, corporation_id, members, step)

        def read(bearer: Bearer) -> StepOutcome:
            context = CorporationContext(
                owner_id=user_id,
                corporation_id=corporation_id,
                members={member.character_id: member.name for member in members},
                bearer=bearer,
                scopes=reader.scopes,
                previous=previous,
                others=self._others(previous),
                now=now,
            )
            return step(self._esi(), context)

        return self._with_fresh_token(user_id, reader.character_id, read)

    def _others(self, status: SyncStatus) -> list[SyncStatus]:
        """The same step's statuses of the user's other characters and corporations (the
        assets steps merge their holdings into one snapshot per location)."""
        return [
            other
            for other in self.statuses(status.user_id)
            if other.what == status.what
            and other.subject != "region"
            and (other.subject, other.subject_id) != (status.subject, status.subject_id)
        ]

    def _with_fresh_token(self, owner_id: UUID, character_id: int, read: Callable[[Bearer], T]) -> T:
        """What ``read`` gets with the character's token; once more with a refreshed token if
        ESI refused the one it was given (it expired mid-sync, or was revoked in the game)."""
        try:
            return read(Bearer(character_id, self._sso.access_token(owner_id, character_id)))
        except EsiError as error:
            if error.status not in (401, 403):
                raise
        return read(Bearer(character_id, self._sso.refresh(owner_id, character_id)))

    # ------------------------------------------------------------ corporations and who reads them

    def _corporation_step_due(self, user_id: UUID) -> bool:
        """A step of a known corporation is due, or a linked character's corporation is not
        known yet: only then are the corporations looked up again."""
        now = _now()
        corporations = {character.corporation_id for character in self._links(user_id)}
        return None in corporations or any(
            self.status.get(user_id, "corporation", corporation_id, step.what).due(now)
            for corporation_id in corporations
            if corporation_id is not None
            for step in self.corporation_steps
        )

    def _corporations_asked(
        self, user_id: UUID, corporation_id: int | None, what: str | None
    ) -> dict[int, list[LinkedCharacter]]:
        """The corporations a sync asked for runs: the one named (a 404 unless a linked
        character belongs to it), or all when one of their steps is asked for."""
        if corporation_id is None and not any(what in (None, step.what) for step in self.corporation_steps):
            return {}
        corporations = self._corporations(user_id)
        if corporation_id is None:
            return corporations
        if corporation_id not in corporations:
            raise NotFound(f"corporation {corporation_id} is not a linked character's", "corporationId")
        return {corporation_id: corporations[corporation_id]}

    def _corporations(self, user_id: UUID) -> dict[int, list[LinkedCharacter]]:
        """The player corporations of the user's linked characters, each with its linked
        members (by id)."""
        corporations: dict[int, list[LinkedCharacter]] = {}
        for character in self._links(user_id):
            corporation_id = self._corporation_of(user_id, character)
            if corporation_id is not None and corporation_id not in NPC_CORPORATIONS:
                corporations.setdefault(corporation_id, []).append(character)
        return corporations

    def _corporation_of(self, user_id: UUID, character: LinkedCharacter) -> int | None:
        """The character's corporation as the game says now (its public route, asked no earlier
        than the last answer's ``Expires``), kept on the link when it changed; where it was
        last seen when ESI does not answer."""
        try:
            with self._running:
                answer = self._esi().character(character.character_id)
        except EsiError as error:
            logger.warning("the corporation of character %s is not known now: %s", character.character_id, error)
            return character.corporation_id
        corporation_id = answer.data.corporation_id
        if corporation_id != character.corporation_id:
            meta = CommandMeta(
                user_id=user_id,
                correlation_id=f"eve-sync-{uuid4()}",
                causation_id=f"ESI character {character.character_id}, Last-Modified {answer.last_modified}",
            )
            update_aggregate(
                self.store,
                EveLinks,
                links_id(user_id),
                user_id,
                lambda links: links.corporation_seen(character.character_id, corporation_id, meta),
            )
        return corporation_id

    def _reader(
        self, user_id: UUID, corporation_id: int, members: list[LinkedCharacter], step: CorporationStep
    ) -> LinkedCharacter:
        """The first linked member who may read the step; none: ``CorporationUnreadable``
        naming what each one lacks."""
        lacking = []
        for member in members:
            lack = self._lack(user_id, member, step)
            if lack is None:
                return member
            lacking.append(f"{member.name} ({member.character_id}) {lack}")
        raise CorporationUnreadable(
            f"no linked member of corporation {corporation_id} may read its {step.what}: {'; '.join(lacking)}"
        )

    def _lack(self, user_id: UUID, member: LinkedCharacter, step: CorporationStep) -> str | None:
        """What the member lacks to read the step: a scope its login did not grant, or one of
        the step's roles in the game (its roles read with its own token); None when nothing."""
        missing = [scope for scope in (ROLES_SCOPE, step.scope) if scope not in member.scopes]
        if missing:
            return f"was linked without the scope {' and '.join(missing)} (log in with it again)"
        try:
            roles = self._with_fresh_token(user_id, member.character_id, self._esi().character_roles).data.roles
        except EXPECTED_FAILURES as error:
            return f"could not be asked its roles ({type(error).__name__}: {error})"
        if not set(step.roles) & set(roles):
            return f"lacks the {' or '.join(step.roles)} role"
        return None

    def _sync_region(self, user_id: UUID, region_id: int, *, forced: bool) -> None:
        previous = self.status.get(user_id, "region", region_id, MARKET)
        if not (forced or previous.due(_now())):
            return
        with self._running:
            step = self.market_step
            self._run(previous, step.interval_sec, lambda: step(self._esi(), user_id, region_id, previous))

    def _run(self, previous: SyncStatus, interval_sec: float, action: Callable[[], StepOutcome]) -> None:
        started = _now()
        try:
            outcome = action()
        except Exception as error:
            self._record_failure(previous, interval_sec, error)
            return
        due = max(started + timedelta(seconds=interval_sec), datetime.fromtimestamp(outcome.expires_at, UTC))
        self.status.put(
            msgspec.structs.replace(
                previous,
                last_attempt_at=started,
                last_success_at=started,
                next_due_at=due,
                last_error=None,
                requests=outcome.stats.requests,
                pages=outcome.stats.pages,
                cache_hits=outcome.stats.cache_hits,
                changes=outcome.changes,
                detail=outcome.detail,
            )
        )

    def _record_failure(self, previous: SyncStatus, interval_sec: float, error: Exception) -> None:
        now = _now()
        if isinstance(error, EsiThrottled):
            due = datetime.fromtimestamp(error.retry_at, UTC)
        else:
            due = now + timedelta(seconds=min(interval_sec, self._retry_sec))
        if not isinstance(error, EXPECTED_FAILURES):
            logger.exception("EVE sync of %s %s (%s) failed", previous.subject, previous.subject_id, previous.what)
        failure = f"{type(error).__name__}: {error}"
        self.status.put(msgspec.structs.replace(previous, last_attempt_at=now, next_due_at=due, last_error=failure))
        # Failed again: the sync is failing, not blinking. A corporation nobody linked may read
        # is how most members stand (no roles), not a failure to announce; its status says it.
        if previous.last_error is not None and not isinstance(error, CorporationUnreadable):
            self._announce_failing(previous, failure)

    def _announce_failing(self, status: SyncStatus, failure: str) -> None:
        """``sync_failing``, once per failing streak (the key names the last success before it)."""
        since = status.last_success_at.isoformat() if status.last_success_at else "never"
        self._notifications.announce(
            "sync_failing",
            f"{status.subject}:{status.subject_id}:{status.what}:since {since}",
            f"The EVE sync of {status.what} for {status.subject} {status.subject_id} keeps failing",
            {"subject": status.subject, "subjectId": status.subject_id, "what": status.what, "error": failure},
            CommandMeta(user_id=status.user_id, correlation_id=f"eve-sync-{uuid4()}"),
        )

    def _esi(self) -> EsiRoutes:
        if self._routes is None:
            self._routes = EsiRoutes(self._esi_client())
        return self._routes


def _now() -> datetime:
    return datetime.now(UTC)
