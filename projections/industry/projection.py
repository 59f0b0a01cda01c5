"""The industry projection: the handlers of plans, runs, jobs, the game's jobs, characters and
transport profiles over their tables."""

from __future__ import annotations

from projections.industry.characters import CHARACTERS, CharacterHandlers
from projections.industry.game_jobs import GAME_JOBS, GameJobHandlers
from projections.industry.jobs import JOBS, JobHandlers
from projections.industry.plans import PLANS, PlanHandlers
from projections.industry.runs import RUNS, RunHandlers
from projections.industry.transport import PROFILES, TransportProfileHandlers
from projections.runtime import Projection


class IndustryProjection(
    PlanHandlers,
    RunHandlers,
    JobHandlers,
    GameJobHandlers,
    CharacterHandlers,
    TransportProfileHandlers,
    Projection,
):
    name = "industry"
    tables = (PLANS, RUNS, JOBS, GAME_JOBS, CHARACTERS, PROFILES)
