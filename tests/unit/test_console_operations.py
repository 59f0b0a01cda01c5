"""A console operation's progress: what its work reports is what its page and stream show, its
end is an outcome or the API's refusal, and its stream resumes without repeating itself."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import anyio
import pytest

from domain.errors import InvalidInput
from interfaces.web import operations
from interfaces.web.operations import KEPT, Operation, Operations, Step, carry_out, changes_of
from projections.runtime import RebuildRunning

ALICE, BOB = uuid.uuid4(), uuid.uuid4()


def run(operation: Operation, work: Any) -> None:
    anyio.run(carry_out, operation, work)


def test_a_step_measures_its_progress_in_percent() -> None:
    assert Step(name="reading", done=250, total=1000).percent == 25
    assert Step(name="recording").percent is None  # no measure: an indeterminate bar
    assert Step(name="applying", done=5, total=0).percent is None


def test_the_work_reports_through_the_clis_callback_shape_then_ends_with_its_outcome() -> None:
    operation = Operation(ALICE, "Rebuilding industry")
    seen: list[Step] = []

    def work(operation: Operation) -> str:
        advance = operation.progress("applying the log's events")  # what ProjectionRunner.rebuild calls
        for position in (10, 20):
            advance(position, 40)
            seen.append(operation.step)
        return "rebuilt"

    run(operation, work)
    assert [(step.done, step.total, step.percent) for step in seen] == [(10, 40, 25), (20, 40, 50)]
    assert operation.finished and operation.outcome == "rebuilt" and operation.refusal is None


def test_a_refused_operation_keeps_the_apis_words_next_to_the_forms_input() -> None:
    importing = Operation(ALICE, "Importing", field="file")

    def malformed(_: Operation) -> str:
        raise InvalidInput("catalog.json: malformed content", "content")

    run(importing, malformed)
    assert importing.refusal is not None
    assert (importing.refusal.field, importing.refusal.status) == ("file", 400)
    assert importing.refusal.detail == "Catalog.json: malformed content."

    rebuilding = Operation(ALICE, "Rebuilding")

    def running(_: Operation) -> str:
        raise RebuildRunning("another rebuild of 'industry' holds the lease")

    run(rebuilding, running)
    assert rebuilding.refusal is not None and rebuilding.refusal.status == 409

    failing = Operation(ALICE, "Importing")

    def broken(_: Operation) -> str:
        raise RuntimeError("INSERT INTO catalog_items VALUES ('secret')")

    run(failing, broken)
    assert failing.refusal is not None and failing.refusal.status == 500
    assert "secret" not in failing.refusal.detail and "log" in failing.refusal.detail  # the log has it, not the page


def test_an_operation_is_only_its_starters_and_finished_ones_make_room() -> None:
    kept = Operations()
    running = kept.start(Operation(ALICE, "Running"))
    assert kept.of(ALICE, running.id) is running and kept.of(BOB, running.id) is None
    for _ in range(KEPT + 5):
        kept.start(Operation(ALICE, "Done")).finish("done")
    assert kept.of(ALICE, running.id) is running  # a running one is never dropped
    assert len(kept._kept) == KEPT


def test_the_stream_says_progress_as_it_moves_then_done_and_resumes_from_the_last_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(operations, "REPORT_EVERY_SEC", 0.01)
    operation = Operation(ALICE, "Importing")
    operation.report("reading", 1, 2)
    go_on = threading.Event()

    async def listen(seen: int | None) -> list[tuple[str, str]]:
        heard = []
        async for message in changes_of(operation, seen):
            heard.append((str(message.event), str(message.id)))
            if message.event == "progress" and not go_on.is_set():
                go_on.set()
                operation.report("reading", 2, 2)
                operation.finish("imported")
        return heard

    assert anyio.run(listen, None) == [("progress", "1"), ("done", "3")]
    assert anyio.run(listen, 3) == [("done", "3")]  # a reconnect after the end: only the end
