"""The EVE sync against the stand-in game over real HTTP (its SSO and ESI on one address), on
SQLite and PostgreSQL: linked characters' jobs into the job sync, the jobs board and the
busy slots, assets into snapshots per station, skills into the roster, a region's market into
batches; their corporation's jobs and blueprints read with a member allowed to; nothing
recorded when nothing changed; one character's failure never stops another's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from application.eve.links import EveLinkService
from application.eve.sso import SsoClient
from application.notifications.delivery import DeliverySettings
from application.settings import DEFAULT_EVE_SCOPES, Settings
from application.system import Manufactory
from domain.industry.slots import SLOT_GROUPS, busy_count, slot_usage
from interfaces.cli.main import cli
from interfaces.eve_standin.app import fake_eve
from interfaces.eve_standin.sso import StandInSso
from interfaces.eve_standin.world import (
    ANN,
    ANN_CONTAINER,
    BOB,
    CAT,
    CORPORATION_CONTAINER,
    CORPORATION_ID,
    CORPORATION_NAME,
    JITA_4_4,
    MARKET_HUB,
    PERIMETER,
    PRIVATE_STRUCTURE,
    THE_FORGE,
    Character,
    seed_world,
)
from projections.esi_cache import ESI_CACHE
from projections.industry.board import busy_slots, busy_use
from tests.conftest import Api
from tests.integration.test_api_universe import fixture_catalog
from tests.integration.test_eve_sso import CALLBACK, CLIENT_ID, link
from tests.integration.test_notifications import eventually, register
from tests.support import Received, serving_app

RIFTER, RIFTER_BLUEPRINT = 587, 691
CARACAL, CARACAL_BLUEPRINT = 621, 687
FERNITE_CARBIDE_FORMULA = 46206
CORPORATION_BLUEPRINTS = {CARACAL_BLUEPRINT: 1_000_000_002_001, FERNITE_CARBIDE_FORMULA: 1_000_000_002_002}  # item ids
ANN_JOBS = f"characters/{ANN.character_id}/industry/jobs"
CORPORATION_JOBS = f"corporations/{CORPORATION_ID}/industry/jobs"


@pytest.fixture
def sso() -> StandInSso:
    # Access tokens shorter-lived than the client's margin: every sync refreshes (and so meets
    # a revoked refresh token at once).
    return StandInSso(client_id=CLIENT_ID, access_ttl_sec=30)


@pytest.fixture
def game(sso: StandInSso) -> Iterator[str]:
    with serving_app(fake_eve(sso)) as url:
        httpx.patch(f"{url}/_standin/knobs", json={"cache_sec": 0}).raise_for_status()  # changes show at once
        yield url


@pytest.fixture
def settings(database_url: str, game: str) -> Settings:
    return Settings(
        database_url=database_url,
        consistency_timeout_sec=5.0,
        projection_poll_sec=0.05,
        eve_client_id=CLIENT_ID,
        eve_sso_url=game,
        eve_callback_url=CALLBACK,
        esi_base_url=game,
        esi_attempts=2,
        eve_sync_regions=(THE_FORGE,),
        secret_key="a test secret",
        webhooks=DeliverySettings(allow_private=True),  # the local receiver
    )


def link_as(api: Api, sso: StandInSso, character: Character) -> None:
    sso.character_id, sso.name = character.character_id, character.name
    link(api)


def sync(api: Api, **asked: Any) -> dict[tuple[str, int, str], dict[str, Any]]:
    answer = api.post("/v1/eve/sync", json=asked)
    assert answer.status_code == 200, answer.text
    return {(s["subject"], s["subjectId"], s["what"]): s for s in answer.json()["statuses"]}


def publish(game: str, route: str, payload: Any) -> None:
    """A new snapshot of a route, and a wait until it is past its Expires (whole seconds in
    HTTP dates): the client rightly asks nothing before."""
    answer = httpx.put(f"{game}/_standin/data/{route}", json=payload)
    answer.raise_for_status()
    time.sleep(max(0.0, answer.json()["lastModified"] + 1.05 - time.time()))


def game_job(job_id: int, status: str, start: datetime, end: datetime, **fields: Any) -> dict[str, Any]:
    job = {
        "job_id": job_id,
        "installer_id": ANN.character_id,
        "facility_id": JITA_4_4,
        "station_id": JITA_4_4,
        "activity_id": 1,
        "blueprint_id": 1_000_000_001_001,
        "blueprint_type_id": RIFTER_BLUEPRINT,
        "product_type_id": RIFTER,
        "blueprint_location_id": JITA_4_4,
        "output_location_id": JITA_4_4,
        "runs": 2,
        "status": status,
        "duration": int((end - start).total_seconds()),
        "start_date": _iso(start),
        "end_date": _iso(end),
    }
    if status == "delivered":
        job["completed_date"] = job["end_date"]
    return job | fields


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_jobs_are_matched_started_ready_and_delivered_as_the_game_reports_them(
    alice: Api, sso: StandInSso, game: str, receiver: tuple[str, Received]
) -> None:
    link_as(alice, sso, ANN)
    url, received = receiver
    register(alice, url, ["job_ready"])
    spec = {"productTypeId": RIFTER, "blueprintTypeId": RIFTER_BLUEPRINT, "runs": 2, "stationId": JITA_4_4}
    spec |= {"expectedOutput": 2}
    created = alice.post("/v1/industry/jobs", json=spec)
    assert created.status_code == 201, created.text
    job_id = created.json()["aggregateId"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)

    publish(game, ANN_JOBS, [game_job(900_000_001, "active", start, start + timedelta(hours=1))])
    jobs = sync(alice, what="jobs")[("character", ANN.character_id, "jobs")]
    assert jobs["lastError"] is None and jobs["changes"] == 2 and jobs["ready"] == []  # reported, and started
    (mine,) = alice.get("/v1/industry/jobs").json()
    assert mine["id"] == job_id and mine["status"] == "active" and mine["esiJobId"] == 900_000_001

    past = start - timedelta(hours=2)
    publish(game, ANN_JOBS, [game_job(900_000_001, "active", start, past)])
    jobs = sync(alice, what="jobs")[("character", ANN.character_id, "jobs")]
    assert jobs["ready"] == [900_000_001] and jobs["changes"] == 1  # its new end; "ready" is never recorded
    (ready,) = eventually(lambda: received.bodies("job_ready"))  # the webhook heard it
    assert ready["details"]["jobId"] == 900_000_001
    sync(alice, what="jobs")  # still ready: announced once

    publish(game, ANN_JOBS, [game_job(900_000_001, "delivered", start, past)])
    jobs = sync(alice, what="jobs")[("character", ANN.character_id, "jobs")]
    assert jobs["changes"] == 2 and jobs["ready"] == []  # delivered in the game, and completed here
    (mine,) = alice.get("/v1/industry/jobs").json()
    assert mine["status"] == "completed"
    assert len(received.bodies("job_ready")) == 1


def queue_job(api: Api, **fields: Any) -> str:
    spec = {"productTypeId": RIFTER, "blueprintTypeId": RIFTER_BLUEPRINT, "runs": 2, "stationId": JITA_4_4}
    created = api.post("/v1/industry/jobs", json=spec | fields)
    assert created.status_code == 201, created.text
    return str(created.json()["aggregateId"])


def test_the_board_shows_every_job_not_delivered_ready_first_and_the_slots_they_hold(
    system: Manufactory, alice: Api, bob: Api, sso: StandInSso, game: str
) -> None:
    link_as(alice, sso, ANN)
    sync(alice, what="skills")  # Ann: one slot of each group (no slot skills)
    catalog = {"format": "manufactory-catalog", "items": [{"typeId": RIFTER, "name": "Rifter"}], "recipes": []}
    assert alice.post("/v1/catalog/imports", json=catalog).status_code == 200
    by_hand = queue_job(alice, runs=7, characterId=ANN.character_id, durationSeconds=1800)
    started = alice.post(f"/v1/industry/jobs/{by_hand}/start", json={"esiJobId": 900_000_009})
    assert started.json()["job"]["status"] == "active", started.text
    matched = queue_job(alice)  # the game's job 900_000_002 will fit it
    now = datetime.now(UTC).replace(microsecond=0)
    start, paused_at = now + timedelta(seconds=1), now - timedelta(minutes=10)
    running = game_job(900_000_001, "active", now - timedelta(hours=1), now + timedelta(hours=1), runs=5)
    ready = game_job(900_000_002, "active", start, now - timedelta(hours=2))  # past its end, still "active"
    delivered = game_job(900_000_003, "delivered", now - timedelta(days=1), now - timedelta(hours=20))
    invention = game_job(900_000_004, "active", now, now + timedelta(hours=2), activity_id=8, runs=4)
    paused = game_job(900_000_005, "paused", now, now + timedelta(hours=3), runs=9, pause_date=_iso(paused_at))
    publish(game, ANN_JOBS, [running, ready, delivered, invention, paused])
    sync(alice, what="jobs", characterId=ANN.character_id)  # her own; her corporation's below

    board = alice.get("/v1/industry/board").json()
    assert board["counts"] == {"ready": 1, "active": 3, "paused": 1}
    listed = [(job["gameJobId"], job["status"], job["holderKind"]) for job in board["jobs"]]
    assert listed == [  # ready first, then by end; the delivered one is not on the board
        (900_000_002, "ready", "character"),
        (900_000_009, "active", None),  # started here (30 minutes), not reported by the game yet
        (900_000_001, "active", "character"),
        (900_000_004, "active", "character"),
        (900_000_005, "paused", "character"),
    ]
    first, mine = board["jobs"][0], board["jobs"][1]
    assert first["jobId"] == matched and first["characterName"] == ANN.name and first["secondsLeft"] == 0
    assert first["productName"] == "Rifter" and first["stationId"] == JITA_4_4 and first["runs"] == 2
    assert mine["jobId"] == by_hand and mine["runs"] == 7 and 1700 < mine["secondsLeft"] <= 1800
    assert board["jobs"][3]["activity"] == "invention"
    assert board["jobs"][4]["secondsLeft"] == (3 * 3600 + 600)  # left when it paused
    ready_only = alice.get("/v1/industry/board", params={"status": "ready"}).json()
    assert [job["gameJobId"] for job in ready_only["jobs"]] == [900_000_002] and ready_only["counts"] == board["counts"]
    page = alice.get("/v1/industry/board", params={"limit": 2, "offset": 1}).json()["jobs"]
    assert [job["gameJobId"] for job in page] == [900_000_009, 900_000_001]

    queue_ready = alice.get("/v1/industry/jobs", params={"status": "ready"}).json()
    assert [(job["id"], job["status"]) for job in queue_ready] == [(matched, "ready")]
    assert queue_ready[0]["endsAt"] is not None
    assert [job["id"] for job in alice.get("/v1/industry/jobs", params={"status": "active"}).json()] == [by_hand]

    (ann,) = alice.get("/v1/industry/slots").json()
    assert ann["characterId"] == ANN.character_id and ann["name"] == ANN.name
    manufacturing = ann["manufacturing"]  # running, ready, paused, and the one started here
    assert (manufacturing["total"], manufacturing["busy"], manufacturing["free"]) == (1, 4, 0)
    assert datetime.fromisoformat(manufacturing["nextFreeAt"]) == now - timedelta(hours=2)
    assert ann["science"] == {"total": 1, "busy": 1, "free": 0, "nextFreeAt": invention["end_date"]}
    assert ann["reactions"] == {"total": 1, "busy": 0, "free": 1, "nextFreeAt": None}
    busy = system.slot_occupancy.busy(alice.user_id, [ANN.character_id])  # what run generation will plan around
    assert [busy_count(busy, ANN.character_id, group) for group in SLOT_GROUPS] == [4, 1, 0]

    # The game reports the job started by hand, and delivers the ready one.
    reported = game_job(900_000_009, "active", now, now + timedelta(minutes=30), runs=7)
    publish(game, ANN_JOBS, [running, {**ready, "status": "delivered", "completed_date": _iso(now)}, reported])
    sync(alice, what="jobs", characterId=ANN.character_id)  # her own; her corporation's below
    board = alice.get("/v1/industry/board").json()
    listed = [(job["gameJobId"], job["jobId"], job["holderKind"]) for job in board["jobs"]]
    assert listed == [(900_000_009, by_hand, "character"), (900_000_001, None, "character")]
    assert board["counts"] == {"ready": 0, "active": 2, "paused": 0}
    (ann,) = alice.get("/v1/industry/slots").json()
    assert ann["manufacturing"]["busy"] == 2  # the job started by hand holds one slot, not two

    assert alice.get("/v1/industry/board", params={"characterId": BOB.character_id}).json()["jobs"] == []
    assert bob.get("/v1/industry/board").json() == {"jobs": [], "counts": {"ready": 0, "active": 0, "paused": 0}}
    assert bob.get("/v1/industry/slots").json() == []
    assert bob.get("/v1/industry/jobs", params={"status": "active"}).json() == []


def test_a_page_of_slots_reads_only_its_characters_jobs_and_answers_as_the_whole_roster_does(
    system: Manufactory, alice: Api
) -> None:
    for character_id in (1, 2, 3):
        assert alice.put(f"/v1/industry/characters/{character_id}", json={"name": f"c{character_id}"}).is_success
    for character_id, seconds in ((1, 3600), (1, 1800), (3, 600)):  # started here, by hand
        job_id = queue_job(alice, characterId=character_id, durationSeconds=seconds)
        started = alice.post(f"/v1/industry/jobs/{job_id}/start", json={})
        assert started.status_code == 200, started.text
    system.projections.catch_up()
    whole = alice.get("/v1/industry/slots").json()
    pages = [alice.get("/v1/industry/slots", params={"limit": 2, "offset": offset}).json() for offset in (0, 2)]
    assert pages[0] + pages[1] == whole
    assert [(c["characterId"], c["manufacturing"]["busy"], c["manufacturing"]["free"]) for c in whole] == [
        (1, 2, 0),
        (2, 0, 1),
        (3, 1, 0),
    ]
    with system.query_engine.connect() as connection:
        busy = busy_slots(connection, alice.user_id, [1, 2])
        assert sorted(slot.character_id for slot in busy) == [1, 1]  # character 3's job is not read
        counted = busy_use(connection, alice.user_id, [1, 2])  # counted in the query, as from the slots
    assert list(counted) == [(1, "manufacturing")]
    assert counted[(1, "manufacturing")].of(1) == slot_usage(1, "manufacturing", 1, busy)
    assert whole[0]["manufacturing"]["nextFreeAt"] == msgspec.json.decode(
        msgspec.json.encode(min(slot.until for slot in busy if slot.until is not None))
    )


def test_assets_skills_blueprints_and_market_are_synced_and_a_second_sync_records_nothing(
    system: Manufactory, alice: Api, bob: Api, sso: StandInSso
) -> None:
    link_as(alice, sso, ANN)
    statuses = sync(alice)
    assert {key: s["lastError"] for key, s in statuses.items()} == {
        ("character", ANN.character_id, "jobs"): None,
        ("character", ANN.character_id, "assets"): None,
        ("character", ANN.character_id, "skills"): None,
        ("character", ANN.character_id, "blueprints"): None,
        ("corporation", CORPORATION_ID, "jobs"): None,
        ("corporation", CORPORATION_ID, "blueprints"): None,
        ("corporation", CORPORATION_ID, "assets"): None,
        ("region", THE_FORGE, "market"): None,
    }
    owned = alice.get("/v1/blueprints").json()
    assert {(b["holderKind"], b["holderId"]) for b in owned} == {
        ("character", ANN.character_id),
        ("corporation", CORPORATION_ID),
    }
    assert {b["source"] for b in owned} == {"esi"}
    ann_s = [h for h in alice.get("/v1/assets").json() if h.get("ownerType") == "character"]
    held = {(h["locationId"], h["typeId"]): h["quantity"] for h in ann_s}
    # Tritanium at Jita 4-4, and the Mexallon inside a station container counted at the station.
    assert held[(JITA_4_4, 34)] == 500_000 and held[(JITA_4_4, 36)] == 40_000
    assert held[(JITA_4_4, 17366)] == 1  # the container: an id the catalog does not know, kept
    # Whose and where: every holding is Ann's; the Mexallon is in the container (its item id).
    spots = {
        (h["typeId"], h.get("ownerType"), h.get("ownerId"), h.get("containerId"))
        for h in alice.get("/v1/assets").json()
    }
    assert (36, "character", ANN.character_id, 1_000_000_000_100) in spots
    assert (34, "character", ANN.character_id, None) in spots
    (ann,) = alice.get("/v1/industry/characters").json()
    assert ann["characterId"] == ANN.character_id and ann["name"] == ANN.name
    assert ann["skills"]["industry"] == 5 and ann["skills"]["reactions"] == 2  # active, not trained (IV)
    # every other skill by type id, for the skills recipes require (Advanced Small Ship Construction, ...)
    assert ann["skills"]["others"] == {"3395": 4, "3403": 4, "3409": 3}
    market = statuses[("region", THE_FORGE, "market")]
    assert market["changes"] >= 1 and market["pages"] >= 3

    head = system.store.head()
    # ESI's public market answers are everyone's, stored once: Bob, who links nobody, reads them
    regions = bob.get("/v1/market/regions", params={"minPosition": head}).json()
    assert [region["regionId"] for region in regions] == [THE_FORGE]
    again = sync(alice)
    assert system.store.head() == head, "nothing changed in the game: no event"
    assert all(s["changes"] == 0 and s["lastError"] is None for s in again.values())
    assert bob.get("/v1/eve/sync").json() == {"statuses": []}
    (linked,) = alice.get("/v1/eve/characters").json()["characters"]
    assert linked["lastSync"] is not None
    listed = alice.get("/v1/eve/sync").json()["statuses"]
    assert {(s["subject"], s["what"]) for s in listed} == {
        ("character", w) for w in ("jobs", "assets", "skills", "blueprints")
    } | {("corporation", w) for w in ("jobs", "blueprints", "assets")} | {("region", "market")}


def test_a_revoked_character_goes_reauthorize_while_another_still_syncs(alice: Api, sso: StandInSso) -> None:
    link_as(alice, sso, ANN)
    link_as(alice, sso, BOB)
    sso.revoke(ANN.character_id)
    statuses = sync(alice)
    ann = statuses[("character", ANN.character_id, "skills")]
    assert "ReauthorizationRequired" in ann["lastError"] and ann["lastSuccessAt"] is None
    bob = statuses[("character", BOB.character_id, "skills")]
    assert bob["lastError"] is None and bob["changes"] == 1
    states = {c["characterId"]: c["tokenState"] for c in alice.get("/v1/eve/characters").json()["characters"]}
    assert states == {ANN.character_id: "reauthorize", BOB.character_id: "ok"}
    roster = [c["characterId"] for c in alice.get("/v1/industry/characters").json()]
    assert roster == [BOB.character_id]


def test_unlinking_a_character_drops_its_cached_answers_and_no_one_else_s(
    system: Manufactory, alice: Api, sso: StandInSso
) -> None:
    link_as(alice, sso, ANN)
    link_as(alice, sso, BOB)
    sync(alice)
    assert set(cached_per_character(system)) == {ANN.character_id, BOB.character_id, None}
    assert alice.delete(f"/v1/eve/characters/{ANN.character_id}").status_code == 200
    left = cached_per_character(system)
    assert set(left) == {BOB.character_id, None} and left[None] >= 3  # the market's pages stay


def cached_per_character(system: Manufactory) -> dict[int | None, int]:
    """How many ESI answers the cache holds per character (None: public routes)."""
    with system.read_engine.connect() as connection:
        rows = connection.execute(
            select(ESI_CACHE.c.character_id, func.count()).group_by(ESI_CACHE.c.character_id)
        ).all()
    return {character_id: count for character_id, count in rows}


def test_a_5xx_storm_shows_in_the_status_and_the_next_sync_recovers(alice: Api, sso: StandInSso, game: str) -> None:
    link_as(alice, sso, ANN)
    httpx.patch(f"{game}/_standin/knobs", json={"failures": 1000}).raise_for_status()
    statuses = sync(alice, what="skills")
    skills = statuses[("character", ANN.character_id, "skills")]
    assert "503" in skills["lastError"] and skills["nextDueAt"] is not None
    httpx.patch(f"{game}/_standin/knobs", json={"failures": 0}).raise_for_status()
    statuses = sync(alice, what="skills")
    assert statuses[("character", ANN.character_id, "skills")]["lastError"] is None


def test_asking_for_an_unknown_step_character_or_corporation_is_refused(alice: Api, sso: StandInSso) -> None:
    link_as(alice, sso, ANN)
    assert alice.post("/v1/eve/sync", json={"what": "everything"}).json()["field"] == "what"
    assert alice.post("/v1/eve/sync", json={"characterId": 42}).status_code == 404
    refused = alice.post("/v1/eve/sync", json={"corporationId": 98000042})
    assert refused.status_code == 404 and refused.json()["field"] == "corporationId"


def test_the_loop_runs_what_is_due_and_then_nothing_before_its_interval(
    system: Manufactory, alice: Api, sso: StandInSso, game: str
) -> None:
    link_as(alice, sso, ANN)
    system.eve_sync.run_due()
    statuses = alice.get("/v1/eve/sync").json()["statuses"]
    assert len(statuses) == 8 and all(s["lastSuccessAt"] and s["nextDueAt"] for s in statuses)
    jobs = next(s for s in statuses if s["what"] == "jobs")
    due = datetime.fromisoformat(jobs["nextDueAt"]) - datetime.fromisoformat(jobs["lastSuccessAt"])
    assert due >= timedelta(seconds=600)  # the jobs interval
    httpx.delete(f"{game}/_standin/requests").raise_for_status()
    system.eve_sync.run_due()
    assert [r for r in httpx.get(f"{game}/_standin/requests").json()] == []


def test_the_command_line_syncs_one_step_and_shows_its_outcome(
    alice: Api, sso: StandInSso, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    link_as(alice, sso, ANN)
    env = {
        "MANUFACTORY_DATABASE_URL": settings.database_url,
        "MANUFACTORY_EVE_CLIENT_ID": CLIENT_ID,
        "MANUFACTORY_EVE_SSO_URL": settings.eve_sso_url,
        "MANUFACTORY_ESI_BASE_URL": settings.esi_base_url,
        "MANUFACTORY_SECRET_KEY": "a test secret",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["eve", "sync", "--what", "skills"])
    assert result.exit_code == 0, result.output
    assert f"character {ANN.character_id} skills: 1 changed" in result.output
    assert "market" not in result.output
    corporation = CliRunner().invoke(cli, ["eve", "sync", "--corporation", str(CORPORATION_ID), "--what", "blueprints"])
    assert corporation.exit_code == 0, corporation.output
    assert f"corporation {CORPORATION_ID} blueprints: 3 changed" in corporation.output
    assert f"character {ANN.character_id} blueprints" not in corporation.output
    refused = CliRunner().invoke(cli, ["eve", "sync", "--what", "everything"])
    assert refused.exit_code != 0 and "what must be one of" in str(refused.exception)


def corporation_job(
    job_id: int, installer: Character, blueprint: int, runs: int, start: datetime, end: datetime
) -> dict[str, Any]:
    """A job in the corporation route's shape: ``location_id`` where a character's says ``station_id``."""
    return {
        "job_id": job_id,
        "installer_id": installer.character_id,
        "facility_id": JITA_4_4,
        "location_id": JITA_4_4,
        "activity_id": 11 if blueprint == FERNITE_CARBIDE_FORMULA else 1,
        "blueprint_id": CORPORATION_BLUEPRINTS[blueprint],
        "blueprint_type_id": blueprint,
        "blueprint_location_id": JITA_4_4,
        "output_location_id": JITA_4_4,
        "runs": runs,
        "status": "active",
        "duration": int((end - start).total_seconds()),
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def asked(game: str, path: str) -> int:
    """How many requests the stand-in got for paths starting so (it records them without the final slash)."""
    return sum(1 for r in httpx.get(f"{game}/_standin/requests").json() if r["path"].startswith(path))


def link_with_scopes(system: Manufactory, alice: Api, sso: StandInSso, character: Character, scopes: Any) -> None:
    """Link as a server asking for fewer scopes would have (MANUFACTORY_EVE_SCOPES)."""
    sso.character_id, sso.name = character.character_id, character.name
    settings = msgspec.structs.replace(system.settings, eve_scopes=tuple(scopes))
    sso_client = SsoClient(settings, system.eve_vault, system.store)
    narrow = EveLinkService(system.store, sso_client, system.eve_vault, system.esi_cache, settings, system.users)
    approved = httpx.get(narrow.start_login(alice.user_id), follow_redirects=False)
    query = parse_qs(urlsplit(approved.headers["location"]).query)
    narrow.finish_login(query["code"][0], query["state"][0])


def test_a_director_s_corporation_jobs_are_matched_per_installer_and_its_blueprints_are_the_corporation_s(
    alice: Api, sso: StandInSso, game: str
) -> None:
    link_as(alice, sso, ANN)
    spec = {"productTypeId": CARACAL, "blueprintTypeId": CARACAL_BLUEPRINT, "runs": 2, "stationId": JITA_4_4}
    created = alice.post("/v1/industry/jobs", json=spec | {"characterId": ANN.character_id, "expectedOutput": 2})
    assert created.status_code == 201, created.text
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    later = start + timedelta(hours=1)
    past = start - timedelta(days=3)
    publish(
        game,
        CORPORATION_JOBS,
        [
            corporation_job(900_000_101, CAT, CARACAL_BLUEPRINT, 2, start, later),  # Cat's: not the job planned for Ann
            corporation_job(900_000_102, ANN, CARACAL_BLUEPRINT, 2, start, later),
            corporation_job(900_000_103, ANN, FERNITE_CARBIDE_FORMULA, 20, past, past + timedelta(hours=60)),
        ],
    )

    statuses = sync(alice)
    jobs = statuses[("corporation", CORPORATION_ID, "jobs")]
    # Three jobs recorded for the board, one of them matched to the job planned for Ann.
    assert jobs["lastError"] is None and jobs["changes"] == 3 + 1 and jobs["ready"] == [900_000_103]
    board = alice.get("/v1/industry/board").json()["jobs"]
    corporation_s = [(job["gameJobId"], job["characterId"]) for job in board if job["holderKind"] == "corporation"]
    ann, cat = ANN.character_id, CAT.character_id
    assert corporation_s == [(900_000_103, ann), (900_000_101, cat), (900_000_102, ann)]  # ready first, then by end
    (mine,) = alice.get("/v1/industry/jobs").json()
    assert mine["id"] == created.json()["aggregateId"] and mine["status"] == "active"
    assert mine["esiJobId"] == 900_000_102
    held = {b["blueprintId"]: (b["holderKind"], b["holderId"]) for b in alice.get("/v1/blueprints").json()}
    corporation = ("corporation", CORPORATION_ID)
    assert [bp for bp, holder in sorted(held.items()) if holder == corporation] == [
        1_000_000_002_001,
        1_000_000_002_002,
        1_000_000_002_003,
    ]
    (linked,) = alice.get("/v1/eve/characters").json()["characters"]
    assert linked["corporationId"] == CORPORATION_ID


def test_a_member_without_the_roles_is_told_which_and_nothing_is_asked_of_the_corporation(
    system: Manufactory, alice: Api, sso: StandInSso, game: str
) -> None:
    link_as(alice, sso, BOB)
    statuses = sync(alice)
    jobs = statuses[("corporation", CORPORATION_ID, "jobs")]
    assert jobs["lastError"] == (
        f"CorporationUnreadable: no linked member of corporation {CORPORATION_ID} may read its jobs:"
        f" Bob Standin ({BOB.character_id}) lacks the Factory_Manager or Director role"
    )
    assert jobs["lastSuccessAt"] is None and jobs["nextDueAt"] is not None
    blueprints = statuses[("corporation", CORPORATION_ID, "blueprints")]
    assert blueprints["lastError"].endswith(f"Bob Standin ({BOB.character_id}) lacks the Director role")
    others = [status for (subject, _, _), status in statuses.items() if subject != "corporation"]
    assert len(others) == 5 and all(s["lastError"] is None and s["lastSuccessAt"] for s in others)
    assert asked(game, "/corporations/") == 0

    head = system.store.head()
    again = sync(alice)
    assert again[("corporation", CORPORATION_ID, "jobs")]["lastError"] == jobs["lastError"]
    assert system.store.head() == head, "how a member stands, not a failing sync: no sync_failing notice"


def test_a_character_linked_without_the_corporation_scopes_is_not_used_for_its_corporation(
    system: Manufactory, alice: Api, sso: StandInSso, game: str
) -> None:
    character_scopes = [scope for scope in DEFAULT_EVE_SCOPES if "corporation" not in scope]
    link_with_scopes(system, alice, sso, ANN, character_scopes)
    statuses = sync(alice, corporationId=CORPORATION_ID)
    assert set(statuses) == {("corporation", CORPORATION_ID, what) for what in ("jobs", "blueprints", "assets")}
    assert statuses[("corporation", CORPORATION_ID, "jobs")]["lastError"].endswith(
        f"Ann Standin ({ANN.character_id}) was linked without the scope esi-characters.read_corporation_roles.v1"
        " and esi-industry.read_corporation_jobs.v1 (log in with it again)"
    )
    assert asked(game, "/corporations/") == asked(game, f"/characters/{ANN.character_id}/roles") == 0


def test_a_corporation_of_several_linked_members_is_read_once_with_the_first_allowed(
    alice: Api, sso: StandInSso, game: str
) -> None:
    link_as(alice, sso, BOB)
    link_as(alice, sso, CAT)  # its factory manager: the jobs, not the blueprints
    statuses = sync(alice)
    assert [key for key in statuses if key[0] == "corporation"] == [
        ("corporation", CORPORATION_ID, "assets"),
        ("corporation", CORPORATION_ID, "blueprints"),
        ("corporation", CORPORATION_ID, "jobs"),
    ]
    assert statuses[("corporation", CORPORATION_ID, "jobs")]["lastError"] is None
    assert statuses[("corporation", CORPORATION_ID, "blueprints")]["lastError"].endswith(
        f"Bob Standin ({BOB.character_id}) lacks the Director role;"
        f" Cat Standin ({CAT.character_id}) lacks the Director role"
    )
    assert asked(game, f"/corporations/{CORPORATION_ID}/industry/jobs") == 1
    assert asked(game, f"/corporations/{CORPORATION_ID}/blueprints") == 0

    link_as(alice, sso, ANN)  # a director
    httpx.delete(f"{game}/_standin/requests").raise_for_status()
    statuses = sync(alice)
    assert statuses[("corporation", CORPORATION_ID, "blueprints")]["lastError"] is None
    assert asked(game, f"/corporations/{CORPORATION_ID}/industry/jobs") == 1
    assert asked(game, f"/corporations/{CORPORATION_ID}/blueprints") == 1


def test_a_character_who_left_for_an_npc_corporation_takes_its_old_corporation_s_statuses_along(
    alice: Api, sso: StandInSso, game: str
) -> None:
    link_as(alice, sso, BOB)
    assert ("corporation", CORPORATION_ID, "jobs") in sync(alice)
    public = httpx.get(f"{game}/characters/{BOB.character_id}/").json()
    publish(game, f"characters/{BOB.character_id}", public | {"corporation_id": 1000167})  # an NPC corporation

    statuses = sync(alice)
    assert [key for key in statuses if key[0] == "corporation"] == []  # an NPC corporation has nothing to sync
    (bob,) = alice.get("/v1/eve/characters").json()["characters"]
    assert bob["corporationId"] == 1000167


CORPORATION_ASSETS = f"corporations/{CORPORATION_ID}/assets"
ANN_ASSETS = f"characters/{ANN.character_id}/assets"
TRITANIUM, PYERITE, MEXALLON, ISOGEN = 34, 35, 36, 37


def place_marker(api: Api, type_id: int, location_id: int, desired: int, **spot: Any) -> str:
    body = {"typeId": type_id, "locationId": location_id, "desiredQuantity": desired, **spot}
    placed = api.post("/v1/stockpiles", json=body)
    assert placed.status_code in (200, 201), placed.text
    return str(placed.json()["marker"]["id"])


def held_at(api: Api, location_id: int) -> dict[tuple[int, str | None, int | None, int | None], int]:
    """Units at a location per (type, owner type, container, division)."""
    return {
        (h["typeId"], h.get("ownerType"), h.get("containerId"), h.get("divisionNumber")): h["quantity"]
        for h in api.get("/v1/assets", params={"locationId": location_id}).json()
    }


def test_a_corporation_division_s_assets_fill_only_that_division_s_marker_and_merge_with_its_members(
    alice: Api, sso: StandInSso, game: str
) -> None:
    """The seeded corporation keeps 200,000 Tritanium in its Jita office's division 1 and a
    container of 50,000 Pyerite in division 2; Ann keeps 500,000 Tritanium of her own there.
    Each marker counts only its own owner's, division's and container's units, and each
    owner's sync keeps the other's holdings at the station it shares."""
    corporation = {"ownerType": "corporation", "ownerId": CORPORATION_ID}
    division_1 = place_marker(alice, TRITANIUM, JITA_4_4, 250_000, **corporation, divisionNumber=1)
    division_2 = place_marker(alice, TRITANIUM, JITA_4_4, 10, **corporation, divisionNumber=2)
    fuel = {"containerId": CORPORATION_CONTAINER, "divisionNumber": 2}
    in_container = place_marker(alice, PYERITE, JITA_4_4, 60_000, **corporation, **fuel)
    ann_s = place_marker(alice, TRITANIUM, JITA_4_4, 600_000, ownerType="character", ownerId=ANN.character_id)
    link_as(alice, sso, ANN)

    statuses = sync(alice)
    corporation_assets = statuses[("corporation", CORPORATION_ID, "assets")]
    assert corporation_assets["lastError"] is None and corporation_assets["changes"] >= 4
    markers = {m["id"]: (m["currentQuantity"], m["deficit"]) for m in alice.get("/v1/stockpiles").json()}
    assert markers[division_1] == (200_000, 50_000)
    assert markers[division_2] == (0, 10), "division 1's Tritanium is not division 2's"
    assert markers[in_container] == (50_000, 10_000)
    assert markers[ann_s] == (500_000, 100_000), "the corporation's Tritanium is not Ann's"
    jita = held_at(alice, JITA_4_4)
    assert jita[(TRITANIUM, "corporation", None, 1)] == 200_000
    assert jita[(TRITANIUM, "character", None, None)] == 500_000
    assert 27 not in {type_id for type_id, *_ in jita}, "an office is the station's hangars, not an item held"

    # Ann's own hangar changes: her sync replaces Jita's snapshot, the corporation's stay in it.
    seeded = fake_seed(ANN_ASSETS)
    publish(game, ANN_ASSETS, [{**a, "quantity": 400_000} if a["type_id"] == TRITANIUM else a for a in seeded])
    sync(alice, characterId=ANN.character_id, what="assets")
    jita = held_at(alice, JITA_4_4)
    assert jita[(TRITANIUM, "character", None, None)] == 400_000
    assert jita[(TRITANIUM, "corporation", None, 1)] == 200_000
    assert jita[(PYERITE, "corporation", CORPORATION_CONTAINER, 2)] == 50_000

    # And the corporation's sync keeps Ann's.
    corporation_seeded = fake_seed(CORPORATION_ASSETS)
    publish(game, CORPORATION_ASSETS, [a for a in corporation_seeded if a["type_id"] != TRITANIUM])
    sync(alice, corporationId=CORPORATION_ID, what="assets")
    jita = held_at(alice, JITA_4_4)
    assert (TRITANIUM, "corporation", None, 1) not in jita
    assert jita[(TRITANIUM, "character", None, None)] == 400_000
    markers = {m["id"]: (m["currentQuantity"], m["deficit"]) for m in alice.get("/v1/stockpiles").json()}
    assert markers[division_1] == (0, 250_000) and markers[ann_s] == (400_000, 200_000)


def fake_seed(route: str) -> list[dict[str, Any]]:
    """What the stand-in was seeded with on this route."""
    payload = seed_world().datasets[route].payload
    assert isinstance(payload, list)
    return payload


def test_container_and_structure_names_show_in_the_deficits_and_the_assets_and_a_closed_structure_stays_an_id(
    alice: Api, sso: StandInSso, game: str
) -> None:
    """Ann named her Jita container "Ann's minerals" and the corporation its container
    "Reaction fuel"; the corporation's office at the Perimeter hub is in a structure Ann may
    dock at (named by the game, its system and region by the map); Ann's Isogen is in a
    structure she may not dock at: its id stays, without a name, and the sync still succeeds."""
    assert alice.post("/v1/catalog/imports", json=fixture_catalog()).status_code == 200
    corporation = {"ownerType": "corporation", "ownerId": CORPORATION_ID}
    ann = {"ownerType": "character", "ownerId": ANN.character_id}
    place_marker(alice, MEXALLON, JITA_4_4, 50_000, **ann, containerId=ANN_CONTAINER)
    place_marker(alice, PYERITE, JITA_4_4, 60_000, **corporation, containerId=CORPORATION_CONTAINER, divisionNumber=2)
    place_marker(alice, MEXALLON, MARKET_HUB, 10_000, **corporation, divisionNumber=3)
    place_marker(alice, ISOGEN, PRIVATE_STRUCTURE, 1_000, **ann)
    link_as(alice, sso, ANN)

    statuses = sync(alice)
    assert statuses[("character", ANN.character_id, "assets")]["lastError"] is None
    assert statuses[("corporation", CORPORATION_ID, "assets")]["lastError"] is None
    deficits = alice.get("/v1/stockpiles/deficits").json()
    named = {
        (item["typeId"], item["locationId"]): (item["deficit"], item["locationName"], item["containerName"])
        for item in deficits["items"]
    }
    assert named == {
        (MEXALLON, JITA_4_4): (10_000, "Jita IV - Moon 4 - Caldari Navy Assembly Plant", "Ann's minerals"),
        (PYERITE, JITA_4_4): (10_000, "Jita IV - Moon 4 - Caldari Navy Assembly Plant", "Reaction fuel"),
        (MEXALLON, MARKET_HUB): (3_000, "Perimeter - Standin Market Hub", None),
        (ISOGEN, PRIVATE_STRUCTURE): (100, None, None),
    }
    owners = {(item["typeId"], item["locationId"]): item["ownerName"] for item in deficits["items"]}
    assert owners[(MEXALLON, JITA_4_4)] == ANN.name  # a character of the roster
    assert owners[(PYERITE, JITA_4_4)] == owners[(MEXALLON, MARKET_HUB)] == CORPORATION_NAME  # /corporations/{id}/
    hub = next(item for item in deficits["items"] if item["locationId"] == MARKET_HUB)
    assert (hub["solarSystemId"], hub["solarSystemName"], hub["regionName"]) == (PERIMETER, "Perimeter", "The Forge")
    closed = next(item for item in deficits["items"] if item["locationId"] == PRIVATE_STRUCTURE)
    assert (closed["solarSystemId"], closed["regionId"]) == (None, None)
    totals = {total["locationId"]: total["locationName"] for total in deficits["totals"]}
    assert totals[MARKET_HUB] == "Perimeter - Standin Market Hub" and totals[PRIVATE_STRUCTURE] is None

    holdings = alice.get("/v1/assets").json()
    names = {(h["locationId"], h["typeId"]): (h.get("locationName"), h.get("containerName")) for h in holdings}
    assert names[(MARKET_HUB, MEXALLON)] == ("Perimeter - Standin Market Hub", None)
    assert names[(PRIVATE_STRUCTURE, ISOGEN)] == (None, None)
    assert names[(JITA_4_4, PYERITE)] == ("Jita IV - Moon 4 - Caldari Navy Assembly Plant", "Reaction fuel")
    assert asked(game, f"/universe/structures/{PRIVATE_STRUCTURE}") == 1  # refused (403), and not retried


def test_a_member_without_the_director_role_leaves_corporation_assets_alone_and_is_told_why(
    system: Manufactory, alice: Api, sso: StandInSso, game: str
) -> None:
    link_as(alice, sso, CAT)  # the factory manager: the corporation's jobs, not its assets
    statuses = sync(alice)
    assert statuses[("corporation", CORPORATION_ID, "jobs")]["lastError"] is None
    assets = statuses[("corporation", CORPORATION_ID, "assets")]
    assert assets["lastError"] == (
        f"CorporationUnreadable: no linked member of corporation {CORPORATION_ID} may read its assets:"
        f" Cat Standin ({CAT.character_id}) lacks the Director role"
    )
    assert assets["lastSuccessAt"] is None
    assert asked(game, f"/corporations/{CORPORATION_ID}/assets") == 0
    assert {h.get("ownerType") for h in alice.get("/v1/assets").json()} <= {"character"}
