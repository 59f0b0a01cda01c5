"""The idempotency keys' writes of concurrent requests share one transaction: every new claim in
one INSERT, every request's end in one statement, and each request still gets its own answer."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event

from application.system import Manufactory
from domain.errors import Conflict, RuleViolation
from interfaces.http.idempotency import Answer, IdempotencyKeys, Recover, _Claim, _Finish


@pytest.fixture
def keys(system: Manufactory) -> IdempotencyKeys:
    return IdempotencyKeys(system.read_engine, system.settings, lambda: 1_800_000_000.0)


def claim(keys: IdempotencyKeys, user_id: uuid.UUID, key: str, fingerprint: str = "f") -> _Claim:
    now = keys.clock()
    return _Claim(user_id, key, fingerprint, now, now + keys.lease, 7)


def statements(system: Manufactory) -> list[str]:
    """The SQL statements the read models' engine runs from here on."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]).split()[0].upper())

    event.listen(system.read_engine, "before_cursor_execute", record)
    return seen


def test_a_batch_of_new_claims_is_one_insert_and_each_request_learns_its_own_fate(
    system: Manufactory, keys: IdempotencyKeys
) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    keys._write_all([claim(keys, alice, "taken")])
    seen = statements(system)

    outcomes = keys._write_all(
        [
            claim(keys, alice, "a"),
            claim(keys, bob, "a"),  # the same key of another user: a key of its own
            claim(keys, alice, "a"),  # the same request again, in the same batch: still running
            claim(keys, alice, "taken"),  # claimed in an earlier batch: still running
            claim(keys, alice, "taken", fingerprint="another request"),
        ]
    )

    assert outcomes[:2] == [None, None]
    assert isinstance(outcomes[2], Conflict) and isinstance(outcomes[3], Conflict)
    assert isinstance(outcomes[4], RuleViolation) and outcomes[4].field == "Idempotency-Key"
    assert seen.count("INSERT") == 1, seen


def test_the_ends_of_many_requests_are_one_statement_and_a_retry_in_the_same_batch_gets_the_answer(
    system: Manufactory, keys: IdempotencyKeys
) -> None:
    alice = uuid.uuid4()
    keys._write_all([claim(keys, alice, "kept"), claim(keys, alice, "let-go")])
    seen = statements(system)
    answer = Answer(201, [("content-type", "application/json")], b'{"ok":true}')

    outcomes = keys._write_all(
        [
            claim(keys, alice, "kept"),  # a retry queued with its original's end
            _Finish(alice, "kept", answer.status, answer.headers, answer.body),
            _Finish(alice, "let-go"),
        ]
    )

    assert outcomes == [answer, None, None]
    assert seen.count("UPDATE") == 1, seen
    (retried,) = keys._write_all([claim(keys, alice, "let-go")])
    assert retried == Recover(after=7)  # let go: a retry takes it over and looks for its events
