"""Editing a planned job works out again what its runs, ME and TE decide, as the job was
worked out: the Rifter (587, blueprint 691: 32,000 Tritanium, 6,000 Pyerite a run, 6,000 s)
at a Raitaru with a T1 material rig in high-sec (× 0.99 × 0.98)."""

from __future__ import annotations

import pytest

from domain.catalog.chains import BuildStep
from domain.catalog.industry import Facility, RigGrade, Skills, Structure
from domain.catalog.model import ActivityKind, Material
from domain.errors import RuleViolation
from domain.industry.job_edits import JobEdit, edited_spec
from domain.industry.jobs import JobMaterial, JobSpec

RIFTER = BuildStep(
    recipe_id=691,
    kind=ActivityKind.MANUFACTURING,
    product_type_id=587,
    units_per_run=1,
    time=6_000,
    materials=(Material(type_id=34, quantity=32_000), Material(type_id=35, quantity=6_000)),
    max_runs=30,
)
RAITARU = Facility(structure=Structure.RAITARU, material_rig=RigGrade.T1)
SPEC = JobSpec(
    product_type_id=587,
    blueprint_type_id=691,
    runs=10,
    me_level=10,
    te_level=20,
    facility=RAITARU,
    expected_output=10,
    duration_seconds=40_800,
    materials=(
        JobMaterial(type_id=34, quantity=279_418, source="buy"),
        JobMaterial(type_id=35, quantity=52_391, source="make"),
    ),
    total_cost=1_000_000.0,
)


def test_new_runs_rework_materials_output_and_time_and_forget_the_old_price() -> None:
    edited = edited_spec(SPEC, JobEdit(runs=3, notes="half batch"), RIFTER, Skills(industry=5))
    # 3 × 32,000 × 0.9 × 0.99 × 0.98 = 83,825.28 → 83,826; 3 × 6,000 × 0.873180 = 15,717.24 → 15,718
    assert [(m.type_id, m.quantity, m.source) for m in edited.materials] == [(34, 83_826, "buy"), (35, 15_718, "make")]
    # 3 × 6,000 × 0.8 (TE 20) × 0.8 (Industry V) × 0.85 (the Raitaru) = 9,792
    assert (edited.expected_output, edited.duration_seconds, edited.notes) == (3, 9_792, "half batch")
    assert (edited.total_cost, edited.expected_revenue) == (None, None)


def test_an_edit_of_the_station_alone_keeps_what_was_worked_out() -> None:
    edited = edited_spec(SPEC, JobEdit(station_id=60003760), None, Skills())
    assert edited.station_id == 60003760 and edited.materials == SPEC.materials and edited.total_cost == 1_000_000.0


def test_without_its_recipe_a_job_cannot_change_runs() -> None:
    with pytest.raises(RuleViolation) as refused:
        edited_spec(SPEC, JobEdit(me_level=8), None, Skills())
    assert refused.value.field == "runs"
