"""A job's facility named as the game names it: an Upwell structure, its material and time
rigs, and the system's security; the bonuses are the game's (``domain/catalog/industry.py``
cites them), so nobody types 0.024 × 2.1 by hand.

A Sotiyo with a T2 material rig and a T1 time rig in null-sec: materials × 0.99 (the
structure) × (1 − 0.024 × 2.1) = 0.9496 (the rig), time × 0.70 × (1 − 0.20 × 2.1) = 0.58.
The Rifter (587, blueprint 691) takes 32,000 Tritanium, 6,000 Pyerite, 2,500 Mexallon and 500
Isogen and 6,000 s a run (the shipped sample catalog, the game's numbers).
"""

from __future__ import annotations

from typing import Any

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api

RIFTER, RIFTER_BLUEPRINT, ANN = 587, 691, 2112000001
TRITANIUM, PYERITE, MEXALLON, ISOGEN = 34, 35, 36, 37
SOTIYO_IN_NULL = {"structure": "sotiyo", "materialRig": "t2", "timeRig": "t1", "security": "null"}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def with_catalog(api: Api) -> None:
    ok(api.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))


def order(api: Api, **fields: Any) -> Any:
    body = {"productTypeId": RIFTER, "blueprintTypeId": RIFTER_BLUEPRINT, "runs": 10, "meLevel": 10, **fields}
    return api.post("/v1/production/workflow/jobs", json=body)


def test_a_named_structure_and_rigs_give_the_game_s_bonuses(alice: Api) -> None:
    with_catalog(alice)
    ok(
        alice.put(
            f"/v1/industry/characters/{ANN}", json={"name": "Ann", "skills": {"industry": 5, "advancedIndustry": 5}}
        )
    )
    job = ok(order(alice, characterId=ANN, teLevel=20, facility=SOTIYO_IN_NULL), 201)["job"]
    # 10 runs at ME 10: base × 0.9 × 0.99 × 0.9496 = base × 0.8460936, rounded to cents then up
    assert [(m["typeId"], m["quantity"]) for m in job["materials"]] == [
        (TRITANIUM, 270_750),  # 270,749.952
        (PYERITE, 50_766),  # 50,765.616
        (MEXALLON, 21_153),  # 21,152.34
        (ISOGEN, 4_231),  # 4,230.468
    ]
    # 60,000 s × 0.8 (TE 20) × 0.8 × 0.85 (skills) × 0.70 (Sotiyo) × 0.58 (rig in null) = 13,251.84
    assert job["estimatedDuration"] == 13_252


def test_a_plan_step_at_a_named_structure_shows_and_uses_its_bonuses(alice: Api) -> None:
    with_catalog(alice)
    plan = ok(alice.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER}), 201)
    plan_id, root = plan["aggregateId"], plan["plan"]["steps"][0]["stepId"]
    patched = ok(
        alice.patch(f"/v1/industry/plans/{plan_id}/steps/{root}", json={"meLevel": 10, "facility": SOTIYO_IN_NULL})
    )
    facility = patched["plan"]["steps"][0]["facility"]
    assert facility == {
        **SOTIYO_IN_NULL,
        "structureMaterialBonus": 0.01,
        "structureTimeBonus": 0.30,
        "rigMaterialBonus": 0.024,
        "rigTimeBonus": 0.20,
    }
    run = ok(alice.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 1}), 201)
    materials = {m["typeId"]: m["quantity"] for m in run["created"][0]["materials"]}
    assert materials[TRITANIUM] == 27_075  # 32,000 × 0.8460936 = 27,074.9952


def test_rigs_need_a_structure_and_named_bonuses_cannot_be_contradicted(alice: Api) -> None:
    with_catalog(alice)
    for facility, field in [
        ({"materialRig": "t1"}, "materialRig"),
        ({"structure": "raitaru", "structureTimeBonus": 0.5}, "structureTimeBonus"),
        ({"structure": "keepstar"}, "facility.structure"),
    ]:
        refused = order(alice, facility=facility)
        assert refused.status_code == 400, refused.text
        assert refused.json()["field"].endswith(field), refused.json()
    assert ok(alice.get("/v1/industry/jobs")) == []
