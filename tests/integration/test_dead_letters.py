"""Poison containment: an event a projection cannot apply is set aside as a dead letter (with
the later events of its aggregate), the projection goes on for everyone else, reads of the
affected user say they are incomplete, and ``retry`` applies them once the cause is fixed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from application.settings import Settings
from application.system import Manufactory
from domain.events import CommandMeta
from domain.industry.jobs import Job, JobQueued, JobSpec
from projections import dead_letters as logged_events
from projections.industry.jobs import find_job, list_jobs
from projections.industry.projection import IndustryProjection
from projections.manufacturing import CONTAINERS, ManufacturingProjection
from projections.tracking import dead_letters
from projections.users import UsersProjection
from tests.conftest import Api
from tests.support import run_cli

HEADER = "X-Read-Model-Incomplete"
TOO_BIG = 2**63  # one past the largest BIGINT: SQLite raises OverflowError, PostgreSQL "bigint out of range"


def meta(user_id: uuid.UUID) -> CommandMeta:
    return CommandMeta(user_id=user_id, correlation_id=f"c-{uuid.uuid4().hex[:8]}")


def spec(product_type_id: int = 587) -> JobSpec:
    return JobSpec(product_type_id=product_type_id, blueprint_type_id=691, runs=1)


def record_poisoned_job(system: Manufactory, user_id: uuid.UUID) -> Job:
    """A job whose product id no BIGINT column holds, recorded straight into the store (the
    API refuses such input; this is the second line of defence)."""
    job = Job._create(JobQueued, uuid.uuid4(), meta=meta(user_id), owner_id=user_id, spec=spec(TOO_BIG))
    system.store.save_events(job)
    return job


def cancel(system: Manufactory, job: Job) -> int:
    """Cancel the job (the in-memory aggregate: its stored events need not be readable)."""
    job.cancel(meta(job.owner_id))
    return system.store.save_events(job)


def job_ids(system: Manufactory, user_id: uuid.UUID) -> set[uuid.UUID]:
    with system.query_engine.connect() as connection:
        return {job.id for job in list_jobs(connection, user_id)}


def job_status(system: Manufactory, user_id: uuid.UUID, job_id: uuid.UUID) -> str | None:
    with system.query_engine.connect() as connection:
        found = find_job(connection, user_id, job_id)
    return found.status if found else None


def industry(system: Manufactory) -> Any:
    return next(s for s in system.projections.status() if s.name == "industry")


@pytest.fixture
def bug_in_industry(monkeypatch: pytest.MonkeyPatch) -> set[uuid.UUID]:
    """A bug in the industry projection on the events of some aggregates (the set returned);
    ``monkeypatch.undo()`` is the fix."""
    broken: set[uuid.UUID] = set()
    real_apply = IndustryProjection.apply

    def apply(self: Any, connection: Any, tables: Any, events: Any) -> None:
        real_apply(self, connection, tables, events)  # rows written, then lost with the savepoint
        if any(event.originator_id in broken for event in events):
            raise ValueError("bug in the industry projection")

    monkeypatch.setattr(IndustryProjection, "apply", apply)
    return broken


def test_a_poisoned_stream_leaves_other_users_reads_current_and_says_whose_are_incomplete(
    system: Manufactory, alice: Api, bob: Api, operator: Api
) -> None:
    poisoned = record_poisoned_job(system, alice.user_id)
    cancelled_at = cancel(system, poisoned)  # parked behind the poison: never applied before it
    alice_job = alice.post("/v1/industry/jobs", json={"productTypeId": 587, "blueprintTypeId": 691, "runs": 1})
    bob_job = bob.post("/v1/industry/jobs", json={"productTypeId": 34, "blueprintTypeId": 35, "runs": 2})
    assert alice_job.status_code == bob_job.status_code == 201

    bobs = bob.get("/v1/industry/jobs", params={"minPosition": bob_job.json()["position"]})
    assert bobs.status_code == 200 and HEADER not in bobs.headers
    assert [(job["id"], job["productTypeId"], job["runs"]) for job in bobs.json()] == [
        (bob_job.json()["aggregateId"], 34, 2)
    ]
    alices = alice.get("/v1/industry/jobs", params={"minPosition": alice_job.json()["position"]})
    assert alices.status_code == 200 and alices.headers[HEADER] == "industry"
    assert [job["id"] for job in alices.json()] == [alice_job.json()["aggregateId"]]
    missing = alice.get(f"/v1/industry/jobs/{poisoned.id}")
    assert missing.status_code == 404 and missing.headers[HEADER] == "industry"  # the 404 may be the poison
    assert HEADER not in alice.get("/v1/manufacturing/containers").headers  # other projections are whole

    letters = system.projections.dead_letters()
    assert [(d.name, d.position, d.originator_id, d.originator_version, d.user_id) for d in letters] == [
        ("industry", cancelled_at - 1, poisoned.id, 1, alice.user_id),
        ("industry", cancelled_at, poisoned.id, 2, alice.user_id),
    ]
    assert letters[0].attempts == system.settings.projection_attempts
    assert letters[0].error.startswith(("OverflowError: ", "NumericValueOutOfRange: "))
    assert letters[0].topic.endswith(":JobQueued") and letters[1].topic.endswith(":JobCancelled")
    assert letters[1].attempts == 0 and f"position {cancelled_at - 1}" in letters[1].error
    status = industry(system)
    assert (status.dead_letters, status.lag, status.last_error) == (2, 0, None)

    health = operator.get("/health").json()
    assert (health["status"], health["degraded"]) == ("degraded", ["industry"])
    assert {p["name"]: p["deadLetters"] for p in health["projections"]}["industry"] == 2


def test_retry_after_the_fix_applies_the_aggregates_events_in_order_and_clears_the_marker(
    system: Manufactory,
    alice: Api,
    operator: Api,
    bug_in_industry: set[uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = Job.queue(uuid.uuid4(), spec(), meta(alice.user_id))
    bug_in_industry.add(job.id)
    system.store.save_events(job)
    cancel(system, job)
    fine = alice.post("/v1/industry/jobs", json={"productTypeId": 587, "blueprintTypeId": 691, "runs": 1}).json()
    reads = alice.get("/v1/industry/jobs", params={"minPosition": fine["position"]})
    assert reads.headers[HEADER] == "industry" and [j["id"] for j in reads.json()] == [fine["aggregateId"]]
    assert job_status(system, alice.user_id, job.id) is None  # the failed attempts left no row behind

    still_broken = system.projections.retry("industry")
    assert [(o.result, o.letter.originator_version, o.letter.attempts) for o in still_broken] == [
        ("failed", 1, 2 * system.settings.projection_attempts),
        ("parked", 2, 0),
    ]
    assert alice.get("/health").json()["status"] == "degraded"

    monkeypatch.undo()  # the fix
    fixed = system.projections.retry("industry")
    assert [(o.result, o.letter.originator_version) for o in fixed] == [("applied", 1), ("applied", 2)]
    assert job_status(system, alice.user_id, job.id) == "cancelled"  # created, then cancelled: in order
    assert system.projections.dead_letters() == [] and industry(system).dead_letters == 0
    after = alice.get("/v1/industry/jobs")
    assert HEADER not in after.headers and len(after.json()) == 2
    assert operator.get("/health").json() | {"projections": None, "process": None} == {
        "status": "ok",
        "database": "ok",
        "head": system.store.head(),
        "projections": None,
        "degraded": [],
        "process": None,  # which duties this process holds: tests/integration/test_duties.py
        "replica": None,  # no read replica: tests/integration/test_read_replica.py
    }


def test_later_events_of_a_set_aside_aggregate_stay_parked_in_later_batches_and_others_go_on(
    system: Manufactory, bug_in_industry: set[uuid.UUID]
) -> None:
    user_id = system.users.create_user("carol").user_id
    job = Job.queue(uuid.uuid4(), spec(), meta(user_id))
    bug_in_industry.add(job.id)
    system.store.save_events(job)
    system.projections.catch_up()
    bug_in_industry.clear()  # fixed in the code, but not yet retried: the job's next event must wait
    cancel(system, job)
    other = system.jobs.create(spec(), meta(user_id)).aggregate
    system.projections.catch_up()
    letters = system.projections.dead_letters("industry")
    assert [(d.originator_version, d.attempts) for d in letters] == [(1, system.settings.projection_attempts), (2, 0)]
    assert system.projections.dead_letters("industry", limit=1) == letters[:1]  # the first, in log order
    assert job_ids(system, user_id) == {other.id}
    assert [o.result for o in system.projections.retry("industry")] == ["applied", "applied"]
    assert job_status(system, user_id, job.id) == "cancelled"


def test_a_batch_applies_its_good_events_around_a_bad_one(system: Manufactory) -> None:
    """One batch: the failing event's rows are rolled back to its savepoint, its neighbours
    (before and after, of the same user) are applied."""
    user_id = system.users.create_user("dave").user_id
    before = system.jobs.create(spec(), meta(user_id)).aggregate
    poisoned = record_poisoned_job(system, user_id)
    after = system.jobs.create(spec(), meta(user_id)).aggregate
    system.projections.catch_up()
    assert job_ids(system, user_id) == {before.id, after.id}
    assert [d.originator_id for d in system.projections.dead_letters()] == [poisoned.id]
    assert system.projections.incomplete.of(user_id, ["industry", "users"]) == ["industry"]


def test_database_errors_set_nothing_aside_and_are_retried(
    system: Manufactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = system.users.create_user("erin").user_id
    system.containers.register("mfg-1", "X1-YZ19", "prefer-fabricate", {}, meta(user_id))

    def unreachable(self: Any, connection: Any, tables: Any, events: Any) -> None:
        raise sa_exc.OperationalError("INSERT ...", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(ManufacturingProjection, "apply", unreachable)
    with pytest.raises(sa_exc.OperationalError):
        system.projections.catch_up("manufacturing")
    [status] = [s for s in system.projections.status() if s.name == "manufacturing"]
    assert (status.dead_letters, status.lag > 0) == (0, True)
    assert "server closed the connection" in (status.last_error or "")

    monkeypatch.undo()
    system.projections.catch_up("manufacturing")
    [status] = [s for s in system.projections.status() if s.name == "manufacturing"]
    assert (status.dead_letters, status.lag, status.last_error) == (0, 0, None)


def test_health_is_degraded_while_a_projection_has_a_last_error(
    system: Manufactory, client: TestClient[Any], operator: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    system.projections.stop()  # this test drives the projections itself

    def unreachable(self: Any, connection: Any, tables: Any, events: Any) -> None:
        raise sa_exc.OperationalError("INSERT ...", {}, Exception("could not connect"))

    monkeypatch.setattr(UsersProjection, "apply", unreachable)
    system.users.create_user("frank")
    with pytest.raises(sa_exc.OperationalError):
        system.projections.catch_up("users")
    health = operator.get("/health")
    assert (health.status_code, health.json()["status"], health.json()["degraded"]) == (200, "degraded", ["users"])
    monkeypatch.undo()
    system.projections.catch_up()
    assert client.get("/health").json()["status"] == "ok"


def test_an_event_that_cannot_be_decoded_is_set_aside(system: Manufactory, monkeypatch: pytest.MonkeyPatch) -> None:
    user_id = system.users.create_user("gina").user_id
    unreadable = system.jobs.create(spec(), meta(user_id)).aggregate
    readable = system.jobs.create(spec(), meta(user_id)).aggregate
    real_decode = logged_events.decode_event

    def decode(topic: str, state: bytes) -> Any:
        if str(unreadable.id).encode() in state:
            raise ValueError("no such event class")
        return real_decode(topic, state)

    monkeypatch.setattr(logged_events, "decode_event", decode)
    system.projections.catch_up()
    [letter] = system.projections.dead_letters()
    assert (letter.originator_id, letter.user_id, letter.attempts) == (unreadable.id, user_id, 1)
    assert letter.error == "cannot decode: ValueError: no such event class"
    assert job_ids(system, user_id) == {readable.id}


def test_a_rebuild_sets_poison_aside_in_its_own_generation_and_swaps_it_in(system: Manufactory) -> None:
    user_id = system.users.create_user("hal").user_id
    poisoned = record_poisoned_job(system, user_id)
    good = system.jobs.create(spec(), meta(user_id)).aggregate
    system.projections.catch_up()
    assert system.projections.rebuild("industry") == 2
    assert job_ids(system, user_id) == {good.id}
    [letter] = system.projections.dead_letters()
    assert (letter.generation, letter.originator_id) == (2, poisoned.id)
    with system.read_engine.connect() as connection:  # generation 1's letters went with its tables
        assert list(connection.execute(select(dead_letters.c.generation)).scalars()) == [2]
    assert industry(system).dead_letters == 1
    assert system.projections.incomplete.of(user_id, ["industry"]) == ["industry"]


def test_a_rebuild_after_the_fix_leaves_no_dead_letters(
    system: Manufactory, bug_in_industry: set[uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = system.users.create_user("ivy").user_id
    job = system.jobs.create(spec(), meta(user_id)).aggregate
    bug_in_industry.add(job.id)
    system.projections.catch_up()
    assert system.projections.incomplete.of(user_id, ["industry"]) == ["industry"]
    monkeypatch.undo()
    system.projections.rebuild("industry")
    assert job_ids(system, user_id) == {job.id}
    assert system.projections.dead_letters() == [] and industry(system).dead_letters == 0
    assert system.projections.incomplete.of(user_id, ["industry"]) == []


def test_a_dead_letter_in_another_projection_marks_only_its_reads(system: Manufactory, alice: Api) -> None:
    """The marker names the projection the route read: manufacturing here, not industry."""
    real_apply = ManufacturingProjection.apply

    def apply(self: Any, connection: Any, tables: Any, events: Any) -> None:
        real_apply(self, connection, tables, events)
        if any(getattr(event, "container_id", None) == "mfg-bad" for event in events):
            raise ValueError("bug in the manufacturing projection")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ManufacturingProjection, "apply", apply)
        system.containers.register("mfg-bad", "X1-YZ19", "prefer-fabricate", {}, meta(alice.user_id))
        created = alice.post(
            "/v1/manufacturing/containers",
            json={"containerId": "mfg-ok", "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"},
        )
        listed = alice.get("/v1/manufacturing/containers", params={"minPosition": created.json()["position"]})
    assert listed.headers[HEADER] == "manufacturing"
    assert [c["containerId"] for c in listed.json()["containers"]] == ["mfg-ok"]
    assert HEADER not in alice.get("/v1/industry/jobs").headers
    with system.read_engine.connect() as connection:
        assert list(connection.execute(select(CONTAINERS.view.c.container_id)).scalars()) == ["mfg-ok"]


def test_reads_cached_before_a_retry_see_what_it_applied(system: Manufactory, alice: Api) -> None:
    """A retry changes rows without moving the projection's position: the container read
    cached while its registration was a dead letter (a 404) is not served after the fix."""
    real_apply = ManufacturingProjection.apply

    def apply(self: Any, connection: Any, tables: Any, events: Any) -> None:
        real_apply(self, connection, tables, events)
        if any(getattr(event, "container_id", None) == "mfg-late" for event in events):
            raise ValueError("bug in the manufacturing projection")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ManufacturingProjection, "apply", apply)
        system.containers.register("mfg-late", "X1-YZ19", "prefer-fabricate", {}, meta(alice.user_id))
        system.projections.catch_up("manufacturing")
    for _ in range(2):  # the second read is answered from the read cache
        assert alice.get("/v1/manufacturing/containers/mfg-late").status_code == 404

    assert [o.result for o in system.projections.retry("manufacturing")] == ["applied"]
    found = alice.get("/v1/manufacturing/containers/mfg-late")
    assert found.status_code == 200 and HEADER not in found.headers


def test_the_cli_lists_dead_letters_and_retries_them(tmp_path: Path, settings: Settings) -> None:
    with Manufactory.open(settings) as system:
        user_id = system.users.create_user("jo").user_id
        poisoned = record_poisoned_job(system, user_id)
        position = system.store.head()
        system.projections.catch_up()
    status = run_cli("projections", "status", cwd=tmp_path, database_url=settings.database_url)
    assert status.returncode == 0, status.stderr
    listing = status.stdout.split("\n\n", 1)[1].splitlines()
    assert listing[0] == "industry: 1 dead letters (`manufactory projections retry industry`)"
    assert listing[1].startswith(f"  position {position}  JobQueued {poisoned.id} v1  user {user_id}  attempts 3  ")
    retried = run_cli("projections", "retry", "industry", cwd=tmp_path, database_url=settings.database_url)
    assert retried.returncode == 0, retried.stderr
    lines = retried.stdout.splitlines()
    assert lines[0].startswith(
        f"failed   position {position}  JobQueued {poisoned.id} v1  user {user_id}  attempts 6  "
    )
    assert lines[1] == "industry: 0 applied, 1 still dead letters"
