"""Long operations the console starts (a catalog import, a projection's rebuild), and what
they report while they run.

A form starts one and answers at once with a redirect to its page; the operation itself runs
after that answer (the response's background task), in a worker thread, through the very
service call the CLI makes (``CatalogService.import_catalog``, ``ProjectionRunner.rebuild``),
fed the same progress callbacks the CLI's bars are (``read_catalog``'s bytes read, the
rebuild's events applied of the log's head). The page follows it by
``/operations/{id}/stream`` (Server-Sent Events: ``progress`` whenever it moved on, ``done``
once it ended; ``console.js`` then reads ``/operations/{id}/sections`` again), and without
script shows where it stood when loaded.

Operations live in this process only (``app.state.operations``), the newest ``KEPT`` of them:
what an operation changes is in the event log and the read models like any command's; only
its progress is lost with the process. Each belongs to the user who started it (anyone
else's id is unknown, as the API answers).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request, get
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from domain.errors import DomainError
from interfaces.http.context import STREAM_KEEPALIVE_SEC, LastEventId
from interfaces.web.acting import Refusal, refusal_of
from interfaces.web.pages import ConsoleController, not_found, page
from projections.runtime import ProjectionError
from projections.users import TokenHolder

LOG = logging.getLogger(__name__)
KEPT = 100  # operations remembered per process (finished ones are dropped oldest first)
REPORT_EVERY_SEC = 0.25  # a stream says "progress" at most this often


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """What an operation is doing now: ``done`` of ``total`` (None: no measure of it)."""

    name: str
    done: int | None = None
    total: int | None = None

    @property
    def percent(self) -> int | None:
        if self.done is None or not self.total:
            return None
        return min(100, round(100 * self.done / self.total))


class Operation:
    """One operation's state, written by its worker thread and read by pages and streams (each
    assignment replaces a whole value, so a reader never sees half of one)."""

    def __init__(self, user_id: uuid.UUID, title: str, field: str | None = None) -> None:
        self.id = uuid.uuid4()
        self.user_id = user_id
        self.title = title
        self.field = field  # the form's input a refusal belongs next to
        self.step = Step(name="waiting to start")
        self.outcome: str | None = None
        self.refusal: Refusal | None = None
        self.changes = 0  # bumped by every report: the stream's event ids

    @property
    def finished(self) -> bool:
        return self.outcome is not None or self.refusal is not None

    def report(self, name: str, done: int | None = None, total: int | None = None) -> None:
        self.step = Step(name=name, done=done, total=total)
        self.changes += 1

    def progress(self, name: str) -> Callable[[int, int], None]:
        """A ``progress(done, total)`` callback, as the CLI's bars get, reporting step ``name``."""
        return lambda done, total: self.report(name, done, total)

    def finish(self, outcome: str) -> None:
        self.outcome = outcome
        self.changes += 1

    def refuse(self, refusal: Refusal) -> None:
        self.refusal = refusal
        self.changes += 1


Work = Callable[[Operation], str]  # what an operation does, reporting on it; returns its outcome


class Operations:
    """This process's operations, by id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[uuid.UUID, Operation] = OrderedDict()

    def start(self, operation: Operation) -> Operation:
        with self._lock:
            self._kept[operation.id] = operation
            finished = [key for key, kept in self._kept.items() if kept.finished]
            for key in finished[: max(0, len(self._kept) - KEPT)]:
                del self._kept[key]
        return operation

    def of(self, user_id: uuid.UUID, operation_id: uuid.UUID) -> Operation | None:
        """The user's operation of that id (None: unknown, or another user's)."""
        operation = self._kept.get(operation_id)
        return operation if operation is not None and operation.user_id == user_id else None


def operations_of(state: Any) -> Operations:
    return state["operations"]  # type: ignore[no-any-return]  # put there by interfaces.http.app.bind


def following(request: Request[Any, Any, Any], holder: TokenHolder, operation_id: UUID | None) -> Operation | None:
    """The operation a page's ``?operation=`` names, if it is this user's."""
    return operations_of(request.app.state).of(holder.user_id, operation_id) if operation_id else None


def started(request: Request[Any, Any, Any], operation: Operation, work: Work, at: str) -> Redirect:
    """The answer to the form that starts ``operation``: at once, to the page ``at`` following
    it; ``work`` runs once the answer is sent."""
    operations_of(request.app.state).start(operation)
    background = BackgroundTask(carry_out, operation, work)
    return Redirect(f"{at}?operation={operation.id}", status_code=303, background=background)


async def carry_out(operation: Operation, work: Work) -> None:
    """Runs ``work`` (what it returns is the outcome) in a worker thread; what it raises is the
    operation's refusal, in the API's words and status (a rebuild already running: 409)."""
    try:
        operation.finish(await anyio.to_thread.run_sync(work, operation))
    except DomainError as error:
        refusal = refusal_of(error)
        operation.refuse(msgspec.structs.replace(refusal, field=operation.field or refusal.field))
    except ProjectionError as error:
        operation.refuse(Refusal(detail=str(error), field=operation.field, status=409))
    except Exception as error:  # noqa: BLE001 - the page says it failed; the log has why (it may quote SQL)
        LOG.exception("%s failed", operation.title)
        detail = f"{operation.title} failed ({type(error).__name__}); the server's log says why."
        operation.refuse(Refusal(detail=detail, field=operation.field, status=500))


def changes_of(operation: Operation, seen: int | None) -> AsyncIterator[ServerSentEventMessage]:
    """The stream's messages: ``progress`` each time the operation moved on (at most every
    ``REPORT_EVERY_SEC``, and at least every ``STREAM_KEEPALIVE_SEC``), then ``done``. Every
    message says "read the operation again", so a reconnect (``Last-Event-ID``: the changes
    seen) hears at once of what it missed, and nothing twice."""

    async def messages() -> AsyncIterator[ServerSentEventMessage]:
        told = seen if seen is not None else -1
        quiet_since = time.monotonic()
        while True:
            changes = operation.changes
            if operation.finished:
                yield ServerSentEventMessage(event="done", data=str(changes), id=str(changes))
                return
            if changes != told or time.monotonic() - quiet_since >= STREAM_KEEPALIVE_SEC:
                told, quiet_since = changes, time.monotonic()
                yield ServerSentEventMessage(event="progress", data=str(changes), id=str(changes))
            await anyio.sleep(REPORT_EVERY_SEC)

    return messages()


OperationId = Annotated[UUID, PathParameter(description="The operation's id")]
Following = Annotated[UUID | None, QueryParameter(description="An operation the page started, to follow")]


class OperationPages(ConsoleController):
    """An operation's live part, as the page that started it shows it."""

    @get("/operations/{operation_id:uuid}/sections")
    async def operation_sections(
        self, request: Request[Any, Any, Any], holder: NamedDependency[TokenHolder], operation_id: OperationId
    ) -> Template:
        """Where the operation stands: what ``console.js`` swaps in when the stream says so."""
        operation = operations_of(request.app.state).of(holder.user_id, operation_id)
        if operation is None:
            return not_found(request, "operation")
        return page(request, "operation.html", {"operation": operation})

    @get("/operations/{operation_id:uuid}/stream")
    async def operation_stream(
        self,
        request: Request[Any, Any, Any],
        holder: NamedDependency[TokenHolder],
        operation_id: OperationId,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent | Template:
        operation = operations_of(request.app.state).of(holder.user_id, operation_id)
        if operation is None:
            return not_found(request, "operation")
        return ServerSentEvent(changes_of(operation, last_event_id))
