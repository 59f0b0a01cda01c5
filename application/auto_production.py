"""The auto-production runner: stockpile deficits become plan runs (the spec's runner).

Every tick reads the enabled, linked markers with their gross deficits and the pending
output of their items (every planned or active job, per station), groups them
(domain.stock.auto_production), and generates a run for each positive net deficit through
the same service as ``POST .../generate``, within the same work limits: a deficit too big
for one run is reported (``over_limit``) and the other plans go on. The run's events
carry the reason (markers, gross deficit, pending output, net deficit) and the tick's
correlation id. The cooldown is checked on the plan inside the generation's atomic save, so
two runners on one database cannot both generate for the same deficit: the second one's
save collides, and its retry sees the first one's run.

The runner never ticks at start-up: its first tick waits one interval, so asset and price
data can arrive first.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timedelta

import msgspec

from application.background import Background
from application.plans import PlanService
from application.ports import StockDeficits
from domain.errors import DomainError, NotFound
from domain.events import CommandMeta, utcnow
from domain.industry.plan import RecentlyTriggered
from domain.industry.runs import RunReason
from domain.stock.auto_production import Trigger, triggers
from domain.work_limits import WorkLimitExceeded

log = logging.getLogger(__name__)


class TickOutcome(msgspec.Struct, frozen=True, kw_only=True):
    user_id: uuid.UUID
    plan_id: uuid.UUID
    gross_deficit: int
    pending_output: int
    net_deficit: int
    action: str  # "generated", "covered", "cooldown", "plan_gone", "over_limit", "refused"
    run_id: uuid.UUID | None = None
    detail: str | None = None


class TickReport(msgspec.Struct, frozen=True, kw_only=True):
    tick_id: str
    at: datetime
    markers: int
    outcomes: list[TickOutcome]

    @property
    def generated(self) -> list[TickOutcome]:
        return [o for o in self.outcomes if o.action == "generated"]


def _outcome(
    trigger: Trigger, action: str, *, run_id: uuid.UUID | None = None, detail: str | None = None
) -> TickOutcome:
    return TickOutcome(
        user_id=trigger.owner_id,
        plan_id=trigger.plan_id,
        gross_deficit=trigger.gross_deficit,
        pending_output=trigger.pending_output,
        net_deficit=trigger.net_deficit,
        action=action,
        run_id=run_id,
        detail=detail,
    )


class AutoProductionRunner(Background):
    thread_name = "auto-production"

    def __init__(self, plans: PlanService, deficits: StockDeficits, interval_sec: float) -> None:
        self._plans = plans
        self._deficits = deficits  # as of the log head: decides on every command already saved
        self.interval_sec = interval_sec
        self._stop = threading.Event()

    def tick(self, now: datetime | None = None) -> TickReport:
        """One pass now: read deficits and pending output, generate runs, say what happened."""
        now = now or utcnow()
        tick_id = f"auto-production-{uuid.uuid4()}"
        markers = self._deficits.markers()
        pending = self._deficits.pending_output(sorted({m.type_id for m in markers}))
        produce, covered = triggers(markers, pending)
        outcomes = [_outcome(trigger, "covered") for trigger in covered]
        cooldown_since = now - timedelta(seconds=self.interval_sec)
        for trigger in produce:
            outcomes.append(self._generate(trigger, tick_id, cooldown_since))
        return TickReport(tick_id=tick_id, at=now, markers=len(markers), outcomes=outcomes)

    def _generate(self, trigger: Trigger, tick_id: str, cooldown_since: datetime) -> TickOutcome:
        meta = CommandMeta(user_id=trigger.owner_id, correlation_id=tick_id, causation_id="auto-production")
        reason = RunReason(
            trigger="auto-production",
            marker_ids=trigger.marker_ids,
            gross_deficit=trigger.gross_deficit,
            pending_output=trigger.pending_output,
            net_deficit=trigger.net_deficit,
        )
        try:
            generated, _ = self._plans.generate(
                trigger.plan_id,
                trigger.net_deficit,
                meta,
                parallelism=trigger.parallelism,
                reason=reason,
                cooldown_since=cooldown_since,
            )
        except RecentlyTriggered as error:
            return _outcome(trigger, "cooldown", detail=error.detail)
        except NotFound:
            return _outcome(trigger, "plan_gone")
        except WorkLimitExceeded as error:  # e.g. the deficit needs more jobs than one run may queue
            log.warning("auto-production did not generate for plan %s: %s", trigger.plan_id, error.detail)
            return _outcome(trigger, "over_limit", detail=error.detail)
        except DomainError as error:  # e.g. the plan no longer matches the catalog
            log.warning("auto-production could not generate for plan %s: %s", trigger.plan_id, error.detail)
            return _outcome(trigger, "refused", detail=error.detail)
        return _outcome(trigger, "generated", run_id=generated.run.id)

    # ------------------------------------------------------------ background

    def run_until_stopped(self) -> None:
        """Tick every interval, the first one an interval from now."""
        while not self._stop.wait(self.interval_sec):
            try:
                report = self.tick()
                log.info("auto-production tick %s: %d runs generated", report.tick_id, len(report.generated))
            except Exception:
                log.exception("auto-production tick failed; trying again next interval")
