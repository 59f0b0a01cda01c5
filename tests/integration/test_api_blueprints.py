"""The blueprint library through the HTTP API and the sync function, on both databases: a
sync of the stand-in game's blueprints through the real ESI client, blueprints added and
removed by hand, each user seeing only their own, and a plan's run built with the best owned
blueprint, a copy's runs held by one run's planned jobs not given to another."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from application import plans as plans_service
from application.eve.esi import EsiClient
from application.eve.esi_routes import EsiRoutes
from application.system import Manufactory
from domain.events import CommandMeta
from domain.industry.blueprints import Holder, OwnedBlueprint
from domain.industry.generation import generate as generate_jobs
from interfaces.eve_standin.app import fake_eve
from interfaces.eve_standin.world import ANN
from tests.conftest import Api
from tests.integration.test_api_plans import CATALOG, S, generate, ok, read
from tests.integration.test_esi_client import SSO, bearer
from tests.support import serving_app

ANN_CHARACTER = Holder(kind="character", id=ANN.character_id)
ANN_CORPORATION = Holder(kind="corporation", id=ANN.corporation_id)
HAND_COPY = {
    "typeId": 1300,
    "kind": "bpc",
    "materialEfficiency": 10,
    "timeEfficiency": 20,
    "runs": 3,
    "locationId": 60003760,
    "holderKind": "character",
    "holderId": 90000001,
}


@pytest.fixture
def standin() -> Iterator[str]:
    with serving_app(fake_eve(SSO)) as url:
        yield url


def esi_client(system: Manufactory, standin: str, clock: Callable[[], float] = time.time) -> EsiClient:
    options: dict[str, Any] = {"compatibility_date": "2025-08-26", "user_agent": "mf-tests", "retry_base_sec": 0.01}
    return EsiClient(system.esi_cache, base_url=standin, clock=clock, **options)


@pytest.fixture
def esi(system: Manufactory, standin: str) -> Iterator[EsiRoutes]:
    with esi_client(system, standin) as client:
        yield EsiRoutes(client)


def blueprints(api: Api, position: int = 0, **params: Any) -> list[dict[str, Any]]:
    return ok(api.get("/v1/blueprints", params={"minPosition": position, **params}))  # type: ignore[no-any-return]


def test_a_sync_records_the_game_blueprints_once_and_the_list_shows_them(
    system: Manufactory, esi: EsiRoutes, standin: str, alice: Api
) -> None:
    meta = CommandMeta(user_id=alice.user_id, correlation_id=str(uuid.uuid4()), causation_id="esi sync")
    token = bearer(ANN.character_id, ANN.name)
    synced = system.blueprints.sync_blueprints(alice.user_id, ANN_CHARACTER, esi.character_blueprints(token), meta)
    assert (synced.reported, synced.changed) == (3, 3)
    corp = system.blueprints.sync_blueprints(
        alice.user_id, ANN_CORPORATION, esi.corporation_blueprints(ANN.corporation_id, token), meta
    )
    assert corp.changed == 3
    again = system.blueprints.sync_blueprints(alice.user_id, ANN_CHARACTER, esi.character_blueprints(token), meta)
    assert again.changed == 0 and again.position == system.store.head()  # no event when nothing changed

    listed = {b["blueprintId"]: b for b in blueprints(alice, corp.position)}
    assert len(listed) == 6
    assert listed[1_000_000_001_001] | {"blueprintId": 0} == {
        "blueprintId": 0,
        "typeId": 691,
        "kind": "bpo",
        "materialEfficiency": 10,
        "timeEfficiency": 20,
        "runs": None,
        "quantity": 1,
        "locationId": 60003760,
        "holderKind": "character",
        "holderId": ANN.character_id,
        "source": "esi",
    }
    assert (listed[1_000_000_001_002]["kind"], listed[1_000_000_001_002]["runs"]) == ("bpc", 5)
    assert listed[1_000_000_002_001]["holderKind"] == "corporation"

    # The game now reports the Drake copy used up and the Wolf copy gone.
    drake = {**_payload(standin, ANN.character_id)[1], "runs": 2}
    httpx.put(f"{standin}/_standin/data/characters/{ANN.character_id}/blueprints", json=[drake]).raise_for_status()
    with esi_client(system, standin, clock=lambda: time.time() + 3600) as later:  # past the answer's Expires
        answer = EsiRoutes(later).character_blueprints(token)
    changed = system.blueprints.sync_blueprints(alice.user_id, ANN_CHARACTER, answer, meta)
    assert changed.changed == 3
    left = {b["blueprintId"]: b["runs"] for b in blueprints(alice, changed.position, typeId=24699)}
    assert left == {1_000_000_001_002: 2}


def _payload(standin: str, character_id: int) -> list[dict[str, Any]]:
    return httpx.get(f"{standin}/characters/{character_id}/blueprints/", headers=_auth(character_id)).json()  # type: ignore[no-any-return]


def _auth(character_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {bearer(character_id, ANN.name).access_token}"}


def test_blueprints_added_by_hand_are_listed_paged_and_removed(alice: Api, bob: Api) -> None:
    first = ok(alice.post("/v1/blueprints", json=HAND_COPY), 201)
    assert first["blueprint"]["blueprintId"] == -1 and first["blueprint"]["source"] == "manual"
    second = ok(alice.post("/v1/blueprints", json={**HAND_COPY, "kind": "bpo", "runs": None, "typeId": 1400}), 201)
    assert [b["blueprintId"] for b in blueprints(alice, second["position"])] == [-1, -2]  # by type
    assert [b["blueprintId"] for b in blueprints(alice, limit=1, offset=1)] == [-2]
    assert [b["typeId"] for b in blueprints(alice, typeId=1400)] == [1400]
    assert blueprints(bob, second["position"]) == []
    assert bob.delete("/v1/blueprints/-1").status_code == 404

    removed = ok(alice.delete("/v1/blueprints/-1"))
    assert [b["blueprintId"] for b in blueprints(alice, removed["position"])] == [-2]
    assert alice.delete("/v1/blueprints/-1").status_code == 404


def test_bad_blueprints_are_refused(alice: Api) -> None:
    assert alice.post("/v1/blueprints", json={**HAND_COPY, "runs": None}).status_code == 400
    assert alice.post("/v1/blueprints", json={**HAND_COPY, "materialEfficiency": 11}).status_code == 400
    assert alice.post("/v1/blueprints", json={**HAND_COPY, "color": "red"}).status_code == 400


def test_a_game_blueprint_cannot_be_removed_by_hand(system: Manufactory, alice: Api) -> None:
    meta = CommandMeta(user_id=alice.user_id, correlation_id="sync")
    game = OwnedBlueprint(
        blueprint_id=1_000_000_001_001,
        type_id=691,
        kind="bpo",
        material_efficiency=10,
        time_efficiency=20,
        runs=None,
        quantity=1,
        location_id=60003760,
        holder_kind="character",
        holder_id=ANN.character_id,
        source="esi",
    )
    system.blueprints.replace_reported(alice.user_id, ANN_CHARACTER, [game], meta)
    assert alice.delete(f"/v1/blueprints/{game.blueprint_id}").status_code == 422


def test_a_run_uses_the_best_owned_blueprint_and_reports_missing_copy_runs(alice: Api) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    body = {"name": "Ships", "productTypeId": S, "defaults": {"meLevel": 0, "teLevel": 0}}
    plan_id = ok(alice.post("/v1/industry/plans", json=body), 201)["aggregateId"]
    ok(alice.post("/v1/blueprints", json=HAND_COPY), 201)  # a copy of 3 runs at ME 10, TE 20

    run = ok(generate(alice, plan_id, 7), 201)
    used = {b["jobId"]: b["blueprintId"] for b in run["blueprintsUsed"]}
    ships = [
        (used.get(j["id"]), j["runs"], j["meLevel"], j["teLevel"]) for j in run["created"] if j["productTypeId"] == S
    ]
    assert ships == [(-1, 3, 10, 20), (None, 4, 0, 0)]
    assert run["missingBlueprints"] == [
        {"blueprintTypeId": 1300, "runs": 4, "message": "needs 4 more runs of Ship Blueprint copies"}
    ]

    # the copy's runs are the first run's planned jobs': an original owned now makes all 7
    ok(alice.post("/v1/blueprints", json={**HAND_COPY, "kind": "bpo", "runs": None, "materialEfficiency": 8}), 201)
    run = ok(generate(alice, plan_id, 7), 201)
    assert ship_jobs(run) == [(-2, 5, 8), (-2, 2, 8)] and run["missingBlueprints"] == []


def test_a_run_reads_only_the_blueprints_of_its_plans_recipes_among_many_unrelated_ones(
    system: Manufactory, alice: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    body = {"name": "Ships", "productTypeId": S, "defaults": {"meLevel": 0, "teLevel": 0}}
    plan_id = ok(alice.post("/v1/industry/plans", json=body), 201)["aggregateId"]
    ok(alice.post("/v1/blueprints", json=HAND_COPY), 201)  # a copy of 3 runs at ME 10, TE 20
    unrelated = [  # blueprints of items the plan never builds
        OwnedBlueprint(
            blueprint_id=2_000_000_000 + n,
            type_id=900_000 + n,
            kind="bpc",
            material_efficiency=10,
            time_efficiency=20,
            runs=5,
            quantity=1,
            location_id=60003760,
            holder_kind="character",
            holder_id=ANN.character_id,
            source="esi",
        )
        for n in range(300)
    ]
    system.blueprints.replace_reported(
        alice.user_id, ANN_CHARACTER, unrelated, CommandMeta(user_id=alice.user_id, correlation_id="sync")
    )
    given: list[set[int]] = []  # the blueprint types each generation was handed

    def generating(*args: Any, **kwargs: Any) -> Any:
        given.append(set(kwargs["blueprints"]))
        return generate_jobs(*args, **kwargs)

    monkeypatch.setattr(plans_service, "generate", generating)
    preview = ok(alice.post(f"/v1/industry/plans/{plan_id}/preview", json={"quantity": 7}))
    run = ok(generate(alice, plan_id, 7), 201)
    used = {b["jobId"]: b["blueprintId"] for b in run["blueprintsUsed"]}
    ships = [
        (used.get(j["id"]), j["runs"], j["meLevel"], j["teLevel"]) for j in run["created"] if j["productTypeId"] == S
    ]
    assert ships == [(-1, 3, 10, 20), (None, 4, 0, 0)]  # as without the others
    assert [j["blueprintId"] for j in preview["jobs"] if j["productTypeId"] == S] == [-1, None]
    assert given and all(types == {HAND_COPY["typeId"]} for types in given)


def ship_jobs(run: dict[str, Any]) -> list[tuple[int | None, int, int]]:
    """(blueprint, runs, ME) of each ship job a run created."""
    return [(j["blueprintId"], j["runs"], j["meLevel"]) for j in run["created"] if j["productTypeId"] == S]


def test_copy_runs_planned_jobs_hold_are_not_given_to_another_run_until_those_jobs_are_cancelled(alice: Api) -> None:
    ok(alice.post("/v1/catalog/imports", json=CATALOG))
    body = {"name": "Ships", "productTypeId": S, "defaults": {"meLevel": 0, "teLevel": 0}}
    plan_id = ok(alice.post("/v1/industry/plans", json=body), 201)["aggregateId"]
    ok(alice.post("/v1/blueprints", json=HAND_COPY), 201)  # a copy of 3 runs

    first = ok(generate(alice, plan_id, 2), 201)
    assert ship_jobs(first) == [(-1, 2, 10)] and first["missingBlueprints"] == []
    queued = {j["id"]: j for j in read(alice, "/v1/industry/jobs", first["position"], status="planned")}
    [ship] = [j for j in first["created"] if j["productTypeId"] == S]
    assert queued[ship["id"]]["blueprintId"] == -1  # the queue keeps the blueprint a job runs on

    second = ok(generate(alice, plan_id, 7), 201)
    assert ship_jobs(second) == [(-1, 1, 10), (None, 5, 0), (None, 1, 0)]
    assert [m["message"] for m in second["missingBlueprints"]] == ["needs 6 more runs of Ship Blueprint copies"]

    ok(alice.post(f"/v1/industry/plans/runs/{first['run']['id']}/cancel"))
    third = ok(generate(alice, plan_id, 2), 201)  # 3 runs, less the 1 the second run holds
    assert ship_jobs(third) == [(-1, 2, 10)] and third["missingBlueprints"] == []
