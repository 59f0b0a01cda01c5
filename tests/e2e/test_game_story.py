"""The whole game connection as one story, through a real ``manufactory serve`` process and the
stand-in game (``manufactory eve fake-server``), each over real HTTP, on SQLite and PostgreSQL.

A player who wants five Rifters at Jita 4-4 links their character, syncs, plans the shortfall
with the Rifter original they own, and the game runs the job: the server's own sync loop sees it
start, come ready and be delivered, the stock grows, the shortfall closes, and a webhook hears
of it. Every check goes through the public API; the game changes only as the stand-in publishes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from application.catalog import SAMPLE_CATALOG
from interfaces.eve_standin.world import ANN, JITA_4_4, THE_FORGE, seed_world
from tests.integration.test_api_plans import ok
from tests.integration.test_notifications import eventually, verify
from tests.support import Received, free_port, run_cli, serving, standin_game

pytestmark = pytest.mark.slow
RIFTER, RIFTER_BLUEPRINT = 587, 691
ANN_S_RIFTER_ORIGINAL = 1_000_000_001_001  # in the stand-in's world: researched to ME 10, TE 20
GAME_JOB_ID = 900_000_001
SECRET = "story-secret-0123456789"
LOOP_TIMEOUT = 30.0  # the loop looks every 0.2 s and syncs jobs and assets every second; the machine may be busy


def test_a_planned_job_runs_in_the_game_and_its_product_closes_the_stockpile_deficit(
    tmp_path: Path, database_url: str, receiver: tuple[str, Received]
) -> None:
    hook_url, received = receiver
    with standin_game(tmp_path) as game, player_on_a_server(tmp_path, database_url, game) as api:
        # What the stand-in publishes is fresh for no time: the next sync reads it.
        httpx.patch(f"{game}/_standin/knobs", json={"cache_sec": 0}).raise_for_status()
        ok(api.post("/v1/catalog/imports", json=json.loads(SAMPLE_CATALOG.read_text())))
        wanted = {"typeId": RIFTER, "locationId": JITA_4_4, "desiredQuantity": 5}
        assert ok(api.post("/v1/stockpiles", json=wanted))["marker"]["deficit"] == 5, "nothing held yet"

        # Link Ann: our login → the SSO's authorize (it consents at once) → our callback.
        linked = link_in_a_browser(api)["character"]
        assert (linked["characterId"], linked["name"], linked["tokenState"]) == (ANN.character_id, ANN.name, "ok")

        # Sync now: her blueprints, assets, skills and jobs, and The Forge's market.
        statuses = ok(api.post("/v1/eve/sync", json={}))["statuses"]
        assert {(s["subject"], s["subjectId"], s["what"]): s["lastError"] for s in statuses} == {
            ("character", ANN.character_id, "jobs"): None,
            ("character", ANN.character_id, "assets"): None,
            ("character", ANN.character_id, "skills"): None,
            ("character", ANN.character_id, "blueprints"): None,
            ("corporation", ANN.corporation_id, "jobs"): None,  # she is its director
            ("corporation", ANN.corporation_id, "blueprints"): None,
            ("corporation", ANN.corporation_id, "assets"): None,
            ("region", THE_FORGE, "market"): None,
        }
        (original,) = ok(api.get("/v1/blueprints", params={"typeId": RIFTER_BLUEPRINT}))
        assert (original["blueprintId"], original["kind"]) == (ANN_S_RIFTER_ORIGINAL, "bpo")
        assert (original["materialEfficiency"], original["holderId"]) == (10, ANN.character_id)
        assert held(api, JITA_4_4, RIFTER) == 3 and rifters_marker(api)["deficit"] == 2, "her hangar's Rifters count"

        # Plan the shortfall (the plan says ME 0): the job runs her original at ME 10.
        generated = plan_and_generate(api, rifters_marker(api)["deficit"])
        (job,) = generated["created"]
        assert generated["blueprintsUsed"] == [{"jobId": job["id"], "blueprintId": ANN_S_RIFTER_ORIGINAL}]
        assert (job["meLevel"], job["teLevel"], job["runs"], job["stationId"]) == (10, 20, 2, JITA_4_4)
        run = generated["run"]
        hook = {"url": f"{hook_url}/hook", "kinds": ["job_ready", "run_completed"], "secret": SECRET}
        assert ok(api.post("/v1/notifications/webhooks", json=hook), 201)["webhook"]["signed"] is True

        # Ann installs exactly that job in the game, just after it was queued: the loop links it.
        start = datetime.fromisoformat(job["createdAt"]).replace(microsecond=0) + timedelta(seconds=2)
        end = start + timedelta(seconds=3)
        publish(game, "industry/jobs", [*seeded("industry/jobs"), the_game_job(job, start, end, "active")])
        started = eventually(lambda: job_in(api, job["id"], "active"), LOOP_TIMEOUT)
        assert (started["esiJobId"], started["characterId"]) == (GAME_JOB_ID, ANN.character_id)

        # Its end date passes while the game still says active: ready to deliver, announced.
        assert eventually(lambda: GAME_JOB_ID in jobs_status(api)["ready"], LOOP_TIMEOUT)
        assert datetime.now(UTC) >= end
        (job_ready,) = eventually(lambda: received.bodies("job_ready"), LOOP_TIMEOUT)
        assert job_ready["details"] == {"characterId": ANN.character_id, "jobId": GAME_JOB_ID}

        # She delivers it. The game's assets show the two Rifters before its jobs answer says
        # delivered (the jobs answer is still cached): the snapshot counts them...
        published_at = publish(game, "assets", [*seeded("assets"), delivered_stack(RIFTER, 2)])
        assets = eventually(lambda: synced_since(api, "assets", published_at), LOOP_TIMEOUT)
        assert assets["lastError"] is None
        assert held(api, JITA_4_4, RIFTER) == 5 and rifters_marker(api)["deficit"] == 0

        # ...and the delivery, reported after, completes the job and its run without adding
        # them a second time (they were delivered before the snapshot was taken).
        publish(game, "industry/jobs", [*seeded("industry/jobs"), the_game_job(job, start, end, "delivered")])
        assert eventually(lambda: job_in(api, job["id"], "completed"), LOOP_TIMEOUT)
        assert GAME_JOB_ID not in jobs_status(api)["ready"]
        assert ok(api.get(f"/v1/industry/plans/{run['planId']}/runs/{run['id']}"))["status"] == "completed"
        assert held(api, JITA_4_4, RIFTER) == 5 and rifters_marker(api)["deficit"] == 0

        # The receiver heard "job ready" and "run completed", once each, signed.
        (completed,) = eventually(lambda: received.bodies("run_completed"), LOOP_TIMEOUT)
        assert completed["key"] == run["id"]
        assert sorted(body["kind"] for body in received.bodies()) == ["job_ready", "run_completed"]
        assert all(verify(SECRET, headers, body) for _, headers, body in received.requests)


@contextmanager
def player_on_a_server(tmp_path: Path, database_url: str, game: str) -> Iterator[httpx.Client]:
    """``manufactory serve`` pointed at the stand-in game, its sync loop syncing jobs and assets
    every second; a client acting as a player (a user made with the CLI)."""
    created = run_cli("users", "create", "player", cwd=tmp_path, database_url=database_url)
    assert created.returncode == 0, created.stderr
    port = free_port()
    env = {
        "MANUFACTORY_EVE_CLIENT_ID": "manufactory-story",
        "MANUFACTORY_EVE_CALLBACK_URL": f"http://127.0.0.1:{port}/v1/eve/callback",
        "MANUFACTORY_EVE_SSO_URL": game,
        "MANUFACTORY_ESI_BASE_URL": game,
        "MANUFACTORY_SECRET_KEY": "a story secret",
        "MANUFACTORY_EVE_SYNC_REGIONS": str(THE_FORGE),
        "MANUFACTORY_EVE_SYNC_TICK_SEC": "0.2",
        "MANUFACTORY_EVE_SYNC_JOBS_SEC": "1",
        "MANUFACTORY_EVE_SYNC_ASSETS_SEC": "1",
        "MANUFACTORY_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on 127.0.0.1
    }
    with serving(tmp_path, database_url, port=port, env=env) as server:
        headers = {"Authorization": f"Bearer {created.stdout.strip()}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as api:
            yield api


def link_in_a_browser(api: httpx.Client) -> dict[str, Any]:
    """What a browser does with /v1/eve/login: follow the redirects to the SSO and back to our
    callback, whose answer names the character linked."""
    login = api.get("/v1/eve/login")
    assert login.status_code == 302, login.text
    landed = httpx.get(login.headers["location"], follow_redirects=True, timeout=30)
    assert urlsplit(str(landed.url)).path == "/v1/eve/callback"
    return ok(landed)  # type: ignore[no-any-return]


def plan_and_generate(api: httpx.Client, quantity: int) -> dict[str, Any]:
    defaults = {"meLevel": 0, "teLevel": 0, "stationId": JITA_4_4}
    plan = ok(
        api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER, "defaults": defaults}), 201
    )
    return ok(api.post(f"/v1/industry/plans/{plan['aggregateId']}/generate", json={"quantity": quantity}), 201)  # type: ignore[no-any-return]


def rifters_marker(api: httpx.Client) -> dict[str, Any]:
    (marker,) = ok(api.get("/v1/stockpiles"))
    assert (marker["typeId"], marker["locationId"]) == (RIFTER, JITA_4_4)
    return marker  # type: ignore[no-any-return]


def held(api: httpx.Client, location_id: int, type_id: int) -> int:
    holdings = ok(api.get("/v1/assets"))
    return sum(h["quantity"] for h in holdings if (h["locationId"], h["typeId"]) == (location_id, type_id))


def job_in(api: httpx.Client, job_id: str, status: str) -> dict[str, Any] | None:
    job = ok(api.get(f"/v1/industry/jobs/{job_id}"))
    return job if job["status"] == status else None


def jobs_status(api: httpx.Client) -> dict[str, Any]:
    statuses = ok(api.get("/v1/eve/sync"))["statuses"]
    (status,) = (s for s in statuses if (s["subject"], s["what"]) == ("character", "jobs"))
    return status  # type: ignore[no-any-return]


def synced_since(api: httpx.Client, what: str, moment: datetime) -> dict[str, Any] | None:
    """The step's status once a run that started after ``moment`` succeeded."""
    statuses = ok(api.get("/v1/eve/sync"))["statuses"]
    (status,) = (s for s in statuses if (s["subject"], s["what"]) == ("character", what))
    last = status["lastSuccessAt"]
    return status if last is not None and datetime.fromisoformat(last) > moment else None


def seeded(route: str) -> list[dict[str, Any]]:
    """What the stand-in was seeded with for Ann on this route (its other jobs, its assets)."""
    payload = seed_world().datasets[f"characters/{ANN.character_id}/{route}"].payload
    assert isinstance(payload, list)
    return payload


def the_game_job(job: dict[str, Any], start: datetime, end: datetime, status: str) -> dict[str, Any]:
    """The queued job as ESI reports it once Ann installed it: same blueprint, runs and station."""
    game_job = {
        "job_id": GAME_JOB_ID,
        "installer_id": ANN.character_id,
        "facility_id": job["stationId"],
        "station_id": job["stationId"],
        "activity_id": 1,  # manufacturing
        "blueprint_id": ANN_S_RIFTER_ORIGINAL,
        "blueprint_type_id": job["blueprintTypeId"],
        "blueprint_location_id": job["stationId"],
        "output_location_id": job["stationId"],
        "runs": job["runs"],
        "licensed_runs": job["runs"],
        "product_type_id": job["productTypeId"],
        "status": status,
        "duration": int((end - start).total_seconds()),
        "start_date": iso(start),
        "end_date": iso(end),
    }
    if status == "delivered":
        game_job |= {"completed_date": iso(end), "completed_character_id": ANN.character_id}
    return game_job


def delivered_stack(type_id: int, quantity: int) -> dict[str, Any]:
    return {
        "item_id": 1_000_000_000_900,
        "type_id": type_id,
        "location_id": JITA_4_4,
        "location_flag": "Hangar",
        "location_type": "station",
        "quantity": quantity,
        "is_singleton": False,
    }


def publish(game: str, route: str, payload: list[dict[str, Any]]) -> datetime:
    """Ann's route as the game now answers it; returns once the last answer has expired (ESI's
    dates are whole seconds), so any sync from then on reads this one."""
    answer = httpx.put(f"{game}/_standin/data/characters/{ANN.character_id}/{route}", json=payload)
    answer.raise_for_status()
    time.sleep(max(0.0, answer.json()["lastModified"] + 1.05 - time.time()))
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
