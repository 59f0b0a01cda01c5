"""The EVE sync: per linked character its steps (jobs, assets, skills, and whatever another
part adds to ``character_steps``), per followed region its market, each on its own interval,
never before ESI's ``Expires``; in a loop beside the server and on demand.

Which regions a user follows: the ``eve_sync_regions`` setting
(``MANUFACTORY_EVE_SYNC_REGIONS``, region ids), followed by every user with a linked
character. One install usually serves one player or one group trading in the same hubs, so a
setting is enough; its batches are the user's own like any market import.

One failure stays where it happened: a character needing re-authorization, an ESI error
(5xx storm, a refused route) or a wait ESI asked for (``EsiThrottled``) is recorded in that
step's status with when to try again, and the next character or step goes on. Any other
exception is logged and recorded the same way: a bug in one step must not stop the loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID, uuid4

import msgspec

from application.background import Background
from application.blueprints import BlueprintLibraryService
from application.eve.esi import Bearer, EsiClient, EsiError, EsiThrottled
from application.eve.esi_routes import EsiRoutes
from application.eve.sso import (
    ReauthorizationRequired,
    SsoClient,
    SsoNotConfigured,
    SsoUnavailable,
    TokenRejected,
)
from application.eve.sync_status import SyncStatus, SyncStatusStore
from application.eve.sync_steps import (
    AssetsStep,
    BlueprintsStep,
    CharacterContext,
    CharacterStep,
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
from domain.eve.links import EveLinks, links_id
from domain.events import CommandMeta

logger = logging.getLogger(__name__)

MARKET = "market"
# Failures that are the game's or the player's: recorded in the status without a traceback.
EXPECTED_FAILURES = (EsiError, NotFound, ReauthorizationRequired, SsoUnavailable, TokenRejected, SsoNotConfigured)


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
        self.market_step = MarketStep(market, settings.eve_sync_market_sec)
        self._running = threading.Lock()  # one sync at a time: the loop's and those asked for
        self._stop = threading.Event()

    @property
    def whats(self) -> list[str]:
        return [*(step.what for step in self.character_steps), MARKET]

    def run_until_stopped(self) -> None:
        while not self._stop.wait(self._tick_sec):
            try:
                self.run_due()
            except Exception:  # the loop outlives anything a run raises (the database away...)
                logger.exception("the EVE sync failed; it tries again in %s s", self._tick_sec)

    def run_due(self) -> None:
        """Every step that is due, of every user's linked characters and followed regions."""
        for user_id, character_id in self._vault.linked():
            if self._stop.is_set():
                return
            self._sync_character(user_id, character_id, None, forced=False)
        for user_id in self.users():
            for region_id in self.regions:
                self._sync_region(user_id, region_id, forced=False)

    def sync_now(self, user_id: UUID, character_id: int | None = None, what: str | None = None) -> list[SyncStatus]:
        """Sync a user's characters (one, when named) and regions now, due or not (``what``
        narrows it to one step); their statuses after."""
        self.ensure_step(what)
        characters = sorted(self._linked_characters(user_id))
        if character_id is not None:
            if character_id not in characters:
                raise NotFound(f"character {character_id} is not linked", "characterId")
            characters = [character_id]
        if what != MARKET:
            for character in characters:
                self._sync_character(user_id, character, what, forced=True)
        if what in (None, MARKET) and character_id is None and characters:
            for region_id in self.regions:
                self._sync_region(user_id, region_id, forced=True)
        return self.statuses(user_id)

    def ensure_step(self, what: str | None) -> None:
        if what is not None and what not in self.whats:
            raise InvalidInput(f"what must be one of {', '.join(self.whats)}", "what")

    def statuses(self, user_id: UUID) -> list[SyncStatus]:
        """The user's statuses, of regions and of the characters still linked."""
        linked = self._linked_characters(user_id)
        return [s for s in self.status.of_user(user_id) if s.subject == "region" or s.subject_id in linked]

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

    def stop(self) -> None:
        super().stop()
        with self._running:
            if self._routes is not None:
                self._routes.client.close()
                self._routes = None

    # ------------------------------------------------------------ one character, one region

    def _sync_character(self, user_id: UUID, character_id: int, what: str | None, *, forced: bool) -> None:
        now = _now()
        steps = [step for step in self.character_steps if what is None or step.what == what]
        due = [
            (step, previous)
            for step in steps
            if (previous := self.status.get(user_id, "character", character_id, step.what)).due(now) or forced
        ]
        if not due:
            return
        with self._running:
            for step, previous in due:
                self._run(previous, step.interval_sec, partial(self._character_step, step, previous, now))

    def _character_step(self, step: CharacterStep, previous: SyncStatus, now: datetime) -> StepOutcome:
        user_id, character_id = previous.user_id, previous.subject_id
        character = self.store.load(links_id(user_id), EveLinks).linked(character_id)
        others = [
            status
            for status in self.statuses(user_id)
            if status.subject == "character" and status.subject_id != character_id and status.what == step.what
        ]
        context = CharacterContext(
            owner_id=user_id,
            character_id=character_id,
            name=character.name,
            bearer=Bearer(character_id, self._sso.access_token(user_id, character_id)),
            previous=previous,
            others=others,
            now=now,
        )
        return self._with_fresh_token(step, context)

    def _with_fresh_token(self, step: CharacterStep, context: CharacterContext) -> StepOutcome:
        """The step; once more with a refreshed token if ESI refused the one it was given (it
        expired mid-sync, or was revoked in the game)."""
        try:
            return step(self._esi(), context)
        except EsiError as error:
            if error.status not in (401, 403):
                raise
        token = self._sso.refresh(context.owner_id, context.character_id)
        fresh = msgspec.structs.replace(context, bearer=Bearer(context.character_id, token))
        return step(self._esi(), fresh)

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
        if previous.last_error is not None:  # failed again: the sync is failing, not blinking
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
