"""The queue's edits through the API (the seed's job queue): a planned Rifter job of the
shipped sample catalog (32,000 Tritanium and 6,000 s a run) at ME 10, TE 20, an NPC station."""

from __future__ import annotations

from typing import Any

from application.catalog import SAMPLE_CATALOG
from tests.conftest import Api

RIFTER, TRITANIUM, ANN, STRANGER = 587, 34, 2112000001, 2112000099


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def planned_job(api: Api) -> dict[str, Any]:
    ok(api.post("/v1/catalog/imports", content=SAMPLE_CATALOG.read_bytes()))
    plan = ok(api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER}), 201)
    run = ok(api.post(f"/v1/industry/plans/{plan['aggregateId']}/generate", json={"quantity": 10}), 201)
    return dict(run["created"][0])


def test_a_planned_job_s_runs_character_and_notes_are_edited_and_worked_out_again(alice: Api) -> None:
    job = planned_job(alice)
    ok(
        alice.put(
            f"/v1/industry/characters/{ANN}", json={"name": "Ann", "skills": {"industry": 5, "advancedIndustry": 5}}
        )
    )
    edited = ok(alice.patch(f"/v1/industry/jobs/{job['id']}", json={"runs": 4, "characterId": ANN, "notes": "fewer"}))
    changed = edited["job"]
    # 4 × 32,000 × 0.9 (ME 10); 4 × 6,000 s × 0.8 (TE 20) × 0.8 × 0.85 (Ann's skills) = 13,056 s
    materials = {m["typeId"]: m["quantity"] for m in changed["materials"]}
    assert (changed["runs"], changed["expectedOutput"], materials[TRITANIUM]) == (4, 4, 115_200)
    assert (changed["estimatedDuration"], changed["characterId"], changed["notes"]) == (13_056, ANN, "fewer")
    read = ok(alice.get(f"/v1/industry/jobs/{job['id']}", params={"minPosition": edited["position"]}))
    assert (read["runs"], read["characterId"]) == (4, ANN)
    unassigned = ok(alice.patch(f"/v1/industry/jobs/{job['id']}", json={"characterId": None}))["job"]
    assert (unassigned["characterId"], unassigned["runs"]) == (None, 4)


def test_a_character_not_in_the_roster_is_refused_and_nothing_changes(alice: Api) -> None:
    job = planned_job(alice)
    for attempt in (
        alice.patch(f"/v1/industry/jobs/{job['id']}", json={"characterId": STRANGER, "runs": 2}),
        alice.put(f"/v1/industry/jobs/{job['id']}/character", json={"characterId": STRANGER}),
    ):
        assert (attempt.status_code, attempt.json()["field"]) == (422, "characterId"), attempt.text
    assert ok(alice.get(f"/v1/industry/jobs/{job['id']}"))["runs"] == 10


def test_bad_edits_are_refused_naming_the_field(alice: Api, bob: Api) -> None:
    job = planned_job(alice)
    for body, status, field in [({"runs": 0}, 400, "runs"), ({"meLevel": 11}, 400, "meLevel"), ({"bogus": 1}, 400, "")]:
        refused = alice.patch(f"/v1/industry/jobs/{job['id']}", json=body)
        assert refused.status_code == status and refused.json()["field"].startswith(field), refused.text
    assert bob.patch(f"/v1/industry/jobs/{job['id']}", json={"runs": 2}).status_code == 404
    ok(alice.post(f"/v1/industry/jobs/{job['id']}/start", json={}))
    started = alice.patch(f"/v1/industry/jobs/{job['id']}", json={"runs": 2})
    assert started.status_code == 409, started.text
