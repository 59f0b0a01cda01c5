"""The API's Server-Sent Events streams resume: every message that moves a stream on carries an
``id`` that orders it, and a reconnect with ``Last-Event-ID`` gets exactly what it missed,
nothing twice. Streams never end, so these tests read them over real HTTP (the tests' app,
served by uvicorn in a thread) and hang up once they have what they wait for."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from application.system import Manufactory
from tests.conftest import Api
from tests.integration.test_api_crafting import SWORD, Clock, in_one_command, new_world, ok, start
from tests.integration.test_api_manufacturing import CONFIG, read, register
from tests.integration.test_console_pages import signed_in
from tests.support import serving_app

T0 = 1_800_000_000.0


class Message:
    def __init__(self, event: str, id: str | None, data: Any) -> None:  # noqa: A002 - the SSE field's name
        self.event, self.id, self.data = event, id, data

    def __repr__(self) -> str:
        return f"Message({self.event!r}, id={self.id!r})"


@pytest.fixture
def clock(system: Manufactory) -> Clock:
    clock = Clock()
    system.crafting.clock = clock
    return clock


@pytest.fixture
def url(client: TestClient[Any]) -> Iterator[str]:
    with serving_app(client.app, lifespan="off") as served:
        yield served


def messages(
    url: str, api: Api, last_event_id: str | None = None, cookies: dict[str, str] | None = None
) -> Generator[Message, None, None]:
    """The stream's messages as they come (comments skipped); hangs up when the reader stops.
    With ``cookies`` (a console session), without the API's bearer token."""
    headers = {} if cookies else dict(api.headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    with httpx.stream("GET", url, headers=headers, cookies=cookies, timeout=httpx.Timeout(10, read=20)) as response:
        assert response.status_code == 200, response.read()
        event, id_, data = "message", None, ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("id:"):
                id_ = line[3:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
            elif line == "" and data:
                yield Message(event, id_, json.loads(data))
                event, id_, data = "message", None, ""


def first(stream: Iterator[Message], *events: str) -> Message:
    """The next message of one of ``events`` (others, such as periodic progress, passed over)."""
    return next(message for message in stream if message.event in events)


RECORDS = ("jobs", "started", "completed", "failed", "cancelled")


def test_the_crafting_owner_stream_resumes_after_the_last_record_it_delivered(
    alice: Api, url: str, clock: Clock
) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1})
    stream_url = url + base + "/owners/player1/events/stream"
    stream = messages(stream_url, alice)
    jobs = first(stream, *RECORDS)
    assert (jobs.event, jobs.data["jobs"]) == ("jobs", []) and jobs.id is not None
    ok(start(alice, base, "iron_sword"), 201)
    started = first(stream, *RECORDS)
    assert (started.event, started.data["jobId"]) == ("started", "forge_1#1")
    assert int(started.id or 0) > int(jobs.id)
    stream.close()  # the client goes away...

    clock.now += 5
    ok(alice.post(base + "/catch-up"))
    ok(start(alice, base, "iron_sword"), 201)  # ...and misses a completion and a start

    resumed = messages(stream_url, alice, last_event_id=started.id)
    missed = [first(resumed, *RECORDS), first(resumed, *RECORDS)]
    assert [(m.event, m.data["jobId"]) for m in missed] == [("completed", "forge_1#1"), ("started", "forge_1#2")]
    assert int(started.id or 0) < int(missed[0].id or 0) < int(missed[1].id or 0), "in order, nothing twice"
    resumed.close()

    again = messages(stream_url, alice, last_event_id=missed[1].id)
    ok(alice.post(base + "/managers/forge_1/jobs/2/cancel", json={"refund": "full"}))
    cancelled = first(again, *RECORDS)
    assert (cancelled.event, cancelled.data["jobId"], cancelled.id) == (
        "cancelled",
        "forge_1#2",
        str(int(missed[1].id or 0) + 1),
    )
    again.close()


def test_a_last_event_id_past_the_world_starts_the_owner_stream_afresh(alice: Api, url: str, clock: Clock) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1})
    ok(start(alice, base, "iron_sword"), 201)
    stream = messages(url + base + "/owners/player1/events/stream", alice, last_event_id="999999")
    jobs = first(stream, *RECORDS)
    stream.close()
    assert (jobs.event, [job["jobId"] for job in jobs.data["jobs"]]) == ("jobs", ["forge_1#1"])
    assert int(jobs.id or 0) < 999999, "the world's own version: the next reconnect resumes from it"


def test_the_crafting_owner_stream_says_how_far_running_jobs_are_every_second(
    alice: Api, url: str, clock: Clock
) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 10, "hammer": 1})
    ok(start(alice, base, "iron_sword"), 201)
    clock.now += 2  # of 5 s
    stream = messages(url + base + "/owners/player1/events/stream", alice)
    assert first(stream, *RECORDS).data["jobs"][0]["jobId"] == "forge_1#1"
    progress = first(stream, "progress")
    stream.close()
    assert progress.id is None, "not a record: a reconnect resumes after the last record, not after this"
    assert (progress.data["type"], progress.data["jobId"]) == ("progress", "forge_1#1")
    assert (progress.data["progress"], progress.data["at"], progress.data["end"]) == (0.4, T0 + 2, T0 + 5)


def test_the_crafting_owner_stream_lists_and_follows_the_first_1000_running_jobs_and_counts_them_all(
    alice: Api, url: str, clock: Clock, system: Manufactory
) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 3003, "hammer": 1})
    in_one_command(
        system,
        alice,
        base,
        lambda world, now, meta: [
            world.start("forge_1", "iron_sword", "player1", "inv", now, meta) for _ in range(1001)
        ],
    )
    stream = messages(url + base + "/owners/player1/events/stream", alice)
    jobs = first(stream, *RECORDS)
    assert (len(jobs.data["jobs"]), jobs.data["total"]) == (1000, 1001)
    progress = [first(stream, "progress").data["jobId"] for _ in range(1001)]
    stream.close()
    assert progress[:2] == ["forge_1#1", "forge_1#2"] and progress[999] == "forge_1#1000"
    assert progress[1000] == "forge_1#1", "the next second's burst: the 1001st job is followed by its records alone"


def test_the_config_stream_resumes_with_the_config_changed_since_the_last_version_it_delivered(
    alice: Api, url: str
) -> None:
    created = register(alice)
    read(alice, CONFIG, created["position"])
    stream = messages(url + CONFIG + "/stream", alice)
    current = first(stream, "config")
    assert (current.id, current.data["version"]) == ("1", 1)
    stream.close()

    for workers in (6, 7):
        changed = ok(alice.patch(CONFIG, json={"maxWorkers": workers}))
    read(alice, CONFIG, changed["position"])
    resumed = messages(url + CONFIG + "/stream", alice, last_event_id="1")
    latest = first(resumed, "config")
    resumed.close()
    assert (latest.id, latest.data["config"]["maxWorkers"]) == ("3", 7)

    up_to_date = messages(url + CONFIG + "/stream", alice, last_event_id="3")
    ok(alice.patch(CONFIG, json={"maxWorkers": 8}))
    news = first(up_to_date, "config")
    up_to_date.close()
    assert (news.id, news.data["config"]["maxWorkers"]) == ("4", 8), "version 3 was not sent again"


def test_the_dashboard_stream_tells_a_reconnect_behind_the_log_at_once(
    alice: Api, url: str, client: TestClient[Any]
) -> None:
    signed_in(client, alice)
    session = {"manufactory_session": str(client.cookies.get("manufactory_session"))}
    stream = messages(url + "/dashboard/stream", alice, cookies=session)
    created = register(alice)
    changed = first(stream, "changed")
    stream.close()
    assert changed.id == str(changed.data) and int(changed.data) >= created["position"]

    behind = messages(url + "/dashboard/stream", alice, last_event_id="0", cookies=session)
    assert int(first(behind, "changed").id or 0) >= created["position"], "it missed a change: read again"
    behind.close()


@pytest.mark.parametrize("last_event_id", ["two", "-1"])
def test_a_malformed_last_event_id_is_refused_by_name(alice: Api, client: TestClient[Any], last_event_id: str) -> None:
    created = register(alice)
    read(alice, CONFIG, created["position"])
    base = new_world(alice, SWORD, items={"iron_ingot": 1})
    for path in (CONFIG + "/stream", base + "/owners/player1/events/stream"):
        refused = alice.get(path, headers={"Last-Event-ID": last_event_id})
        assert refused.status_code == 400, refused.text
        assert refused.json()["field"] == "Last-Event-ID"


def test_another_users_stream_is_a_404_even_when_resumed(alice: Api, bob: Api) -> None:
    base = new_world(alice, SWORD, items={"iron_ingot": 1})
    created = register(alice)
    read(alice, CONFIG, created["position"])
    for path in (CONFIG + "/stream", base + "/owners/player1/events/stream"):
        assert bob.get(path, headers={"Last-Event-ID": "1"}).status_code == 404
