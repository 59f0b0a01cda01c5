"""Bills of materials of the shipped sample catalog, against the game's real numbers."""

from __future__ import annotations

import json

import pytest

from application.catalog import SAMPLE_CATALOG
from application.catalog_sources import read_catalog
from domain.catalog.chains import ProductionGraph, StepSettings
from domain.catalog.industry import Skills
from domain.catalog.model import catalog_json_schema

GRAPH = ProductionGraph.from_recipes(read_catalog(SAMPLE_CATALOG).recipes)
TRIT, PYE, MEX, ISO, NOCX, ZYD, MEGA, MORPHITE = 34, 35, 36, 37, 38, 39, 40, 11399
DRAKE, WOLF, FERNITE_CARBIDE, FERNITE_ALLOY, FUEL, SCANDIUM = 24698, 11371, 16673, 16656, 4246, 16639


def test_drake_at_me_10_is_the_games_numbers_not_twice_them() -> None:
    bom = GRAPH.bill_of_materials(DRAKE, 1, default=StepSettings(me=10))
    assert bom.raw == {
        TRIT: 2_520_000,  # 2,800,000 x 0.9 (a public tool's join bug gave 5,600,000 at ME 0)
        PYE: 900_000,
        MEX: 162_000,
        ISO: 18_000,
        NOCX: 7_200,
        ZYD: 1_800,
        MEGA: 360,
    }


def test_caracal_cruiser_at_me_10() -> None:
    assert GRAPH.bill_of_materials(621, 1, default=StepSettings(me=10)).raw == {
        TRIT: 486_000,
        PYE: 162_000,
        MEX: 32_400,
        ISO: 9_000,
        NOCX: 1_350,
        ZYD: 315,
        MEGA: 126,
    }


@pytest.mark.parametrize(("runs", "me", "tritanium"), [(1, 0, 32_000), (10, 10, 288_000), (30, 5, 912_000)])
def test_rifter_tritanium_per_job(runs: int, me: int, tritanium: int) -> None:
    assert GRAPH.bill_of_materials(587, runs, default=StepSettings(me=me)).raw[TRIT] == tritanium


def test_wolf_chain_down_to_moon_materials() -> None:
    bom = GRAPH.bill_of_materials(WOLF, 1)
    steps = {step.type_id: step for step in bom.steps}
    # Fernite Carbide over all seven components, summed before rounding:
    # 23x13 + 30x22 + 135x17 + 900x44 + 8x9 + 90x27 + 30x22 = 46,016 -> 5 reaction runs of 10,000
    carbide = steps[FERNITE_CARBIDE]
    assert (carbide.needed, carbide.runs, carbide.leftover) == (46_016, 5, 3_984)
    # 500 Fernite Alloy -> 3 runs of 200 (100 left over), 300 Scandium
    assert (steps[FERNITE_ALLOY].runs, steps[FERNITE_ALLOY].leftover) == (3, 100)
    assert bom.raw[SCANDIUM] == 300
    assert bom.raw[FUEL] == 5 * 5 + 3 * 5 + 3 * 5  # every reaction run burns 5 fuel blocks
    # the Rifter hull plus one 100-unit run of R.A.M.- Starship Tech (6 needed, 94 left over)
    assert bom.raw[TRIT] == 32_000 + 556
    assert bom.raw[MORPHITE] == 45
    assert steps[11478].leftover == 94
    assert bom.steps[0].type_id in (FERNITE_ALLOY, 16660), "the deepest reactions come first"


def test_science_skills_speed_up_only_the_jobs_that_require_them() -> None:
    mechanical_engineering, minmatar_starship_engineering = 11452, 11445
    skills = Skills(science={mechanical_engineering: 5, minmatar_starship_engineering: 4})
    bom = GRAPH.bill_of_materials(WOLF, 1, default=StepSettings(skills=skills))
    steps = {step.type_id: step for step in bom.steps}
    # the Wolf requires both (and Industry, which is not a science skill): 0.95 x 0.96
    assert steps[WOLF].jobs[0].seconds == pytest.approx(120_000 * 0.95 * 0.96)
    assert steps[587].jobs[0].seconds == pytest.approx(6_000), "the Rifter requires neither"


def test_the_committed_json_schema_matches_the_format() -> None:
    committed = json.loads((SAMPLE_CATALOG.parent / "catalog.schema.json").read_text())
    assert committed == json.loads(json.dumps(catalog_json_schema()))
