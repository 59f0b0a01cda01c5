"""The industry projection: the handlers of plans, runs, jobs and characters over their tables."""

from __future__ import annotations

from projections.industry.characters import CHARACTERS, CharacterHandlers
from projections.industry.jobs import JOBS, JobHandlers
from projections.industry.plans import PLANS, PlanHandlers
from projections.industry.runs import RUNS, RunHandlers
from projections.runtime import Projection


class IndustryProjection(PlanHandlers, RunHandlers, JobHandlers, CharacterHandlers, Projection):
    name = "industry"
    tables = (PLANS, RUNS, JOBS, CHARACTERS)
