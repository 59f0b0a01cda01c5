"""Editing a planned job (the seed's queue edits): its runs, ME, TE, station, character and
notes. What follows from runs, ME and TE is worked out again as the job was: each material
per job with the game's rounding at the job's own facility (``JobSpec.facility``; a job queued
before it was kept counts as at an NPC station), the output, and the duration with the
skills of whoever runs it. A price worked out for the old runs no longer holds: an edited
job's cost and expected revenue are unknown until its run is priced again.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from domain.catalog.chains import BuildStep
from domain.catalog.industry import Skills, job_quantity, job_time, material_modifier
from domain.catalog.model import ActivityKind
from domain.errors import RuleViolation
from domain.industry.jobs import JobSpec
from domain.limits import Count, GameId, Note

RECOMPUTED_BY = ("runs", "me_level", "te_level")


class JobEdit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What an edit changes; a field left out keeps its value (``character_id`` None: nobody)."""

    runs: Count | UnsetType = UNSET
    me_level: Count | UnsetType = UNSET
    te_level: Count | UnsetType = UNSET
    station_id: GameId | None | UnsetType = UNSET
    character_id: GameId | None | UnsetType = UNSET
    notes: Note | UnsetType = UNSET


def edited_spec(spec: JobSpec, edit: JobEdit, build: BuildStep | None, skills: Skills) -> JobSpec:
    """``spec`` with the edit applied and what follows from it worked out again with ``build``
    (the job's recipe in the catalog; None where it has none) and the runner's ``skills``."""
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(edit).items()
        if value is not UNSET and name != "character_id"
    }
    edited = msgspec.structs.replace(spec, **changes)
    if all(getattr(edited, name) == getattr(spec, name) for name in RECOMPUTED_BY):
        return edited
    if build is None:
        raise RuleViolation(
            f"no recipe in your catalog makes type {spec.product_type_id} with blueprint {spec.blueprint_type_id}: "
            "the job's materials cannot be worked out again for other runs, ME or TE",
            "runs",
        )
    reaction = build.kind is ActivityKind.REACTION
    modifier = material_modifier(edited.me_level, edited.facility, reaction=reaction) if build.kind.builds else 1.0
    per_run = {material.type_id: material.quantity for material in build.materials}
    return msgspec.structs.replace(
        edited,
        materials=tuple(
            msgspec.structs.replace(line, quantity=job_quantity(per_run.get(line.type_id, 1), edited.runs, modifier))
            for line in spec.materials  # a decryptor, not in the recipe, is one per attempt
        ),
        expected_output=_output(spec, edited.runs, build),
        duration_seconds=job_time(
            build.time,
            edited.runs,
            edited.te_level,
            edited.facility,
            skills,
            activity=build.kind,
            required=(skill.type_id for skill in build.skills),
        ),
        total_cost=None,
        expected_revenue=None,
    )


def _output(spec: JobSpec, runs: int, build: BuildStep) -> int:
    """Units the edited job is counted on: runs × units per run; an invention job's share of
    the copies its run needs, in proportion to its attempts."""
    if build.invents:
        return spec.expected_output * runs // spec.runs
    return runs * build.units_per_run
