"""The audit pages: any of the user's aggregates as a timeline of its events (type, version, who,
when, correlation and causation ids, the event's fields), a page of events at a time, and its
state at a chosen version, stepped back and forth.

Read through the API's own query (``application.audit.audit``: what ``GET /v1/audit/{id}`` and
its ``?version=N`` answer), so another user's id is the same 404 as one never used, and a
version past the latest is refused in the API's words next to the version input. ``/audit``
opens an id pasted in, or one of the user's newest plans, runs and stockpiles.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from application.audit import AuditState, AuditTrail, audit
from application.system import Manufactory
from domain.errors import NotFound
from interfaces.http.audit.queries import Version
from interfaces.http.context import query_projection
from interfaces.http.paging import Offset
from interfaces.web.acting import Refusal, refusal_of
from interfaces.web.asked import QueryReader
from interfaces.web.pages import ConsoleController, form_page, not_found
from projections.industry.plans import list_plans
from projections.industry.runs import list_runs
from projections.stockpiles import list_markers
from projections.users import TokenHolder

AggregateId = Annotated[UUID, PathParameter(description="The aggregate's id")]
PAGE = 50  # events a page of the timeline lists
SHOWN = 20  # of each kind of object offered on /audit
TIMELINE = QueryReader(after=(Offset, None), version=(Version, None))


class Field(msgspec.Struct, frozen=True, kw_only=True):
    """One field of an event or a state, as text; ``block``: nested, shown as indented JSON."""

    name: str
    text: str
    block: bool


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """An object of the user's offered on ``/audit``."""

    id: UUID
    kind: str
    name: str


def fields_of(values: Mapping[str, Any]) -> list[Field]:
    fields = []
    for name, value in values.items():
        if isinstance(value, dict | list | tuple):
            text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
            fields.append(Field(name=name, text=text, block=True))
        else:
            fields.append(Field(name=name, text="null" if value is None else str(value), block=False))
    return fields


async def audited(
    system: Manufactory, holder: TokenHolder, aggregate_id: UUID, version: int | None, after: int = 0
) -> AuditTrail | AuditState:
    """The API's audit query as the signed-in user, a page of ``PAGE`` events at a time."""
    return await anyio.to_thread.run_sync(
        lambda: audit(system.store, holder.user_id, aggregate_id, version, after=after, limit=PAGE)
    )


async def objects_of(system: Manufactory, holder: TokenHolder) -> list[Entry]:
    """The user's newest plans and runs and their stockpiles: the ids most looked into."""
    user = holder.user_id
    plans = await query_projection(system, "industry", None, list_plans, user, None, SHOWN, 0)
    runs = await query_projection(system, "industry", None, list_runs, user, None, SHOWN, 0)
    markers = await query_projection(system, "stockpiles", None, list_markers, user, SHOWN, 0)
    return [
        *(Entry(id=plan.id, kind="Plan", name=plan.name) for plan in plans),
        *(Entry(id=run.id, kind="Run", name=f"{run.plan_name}: {run.quantity:,}") for run in runs),
        *(
            Entry(id=marker.id, kind="Stockpile", name=f"{marker.type_name or marker.type_id} at {marker.location_id}")
            for marker in markers
        ),
    ]


class AuditPages(ConsoleController):
    @get("/audit")
    async def index(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Response[Any]:
        """Opens the id given in ``?aggregateId=``; otherwise offers the form and the user's objects."""
        asked = request.query_params.get("aggregateId")
        asked = asked.strip() if isinstance(asked, str) else ""
        refused = None
        if asked:
            try:
                return Redirect(f"/audit/{uuid.UUID(asked)}", status_code=303)
            except ValueError:
                refused = Refusal(detail="Not an id: paste one such as a run's or a plan's.", field="aggregateId")
        context = {"objects": await objects_of(system, holder), "asked": asked}
        return form_page(request, "audit.html", context, refused)

    @get("/audit/{aggregate_id:uuid}")
    async def timeline(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        aggregate_id: AggregateId,
    ) -> Template:
        """A page of the aggregate's events, oldest first, and its state at ``?version=`` (its
        latest by default); the page holding the chosen version unless ``?after=`` says which."""
        sent, asked = TIMELINE.read(request)
        refused = asked if isinstance(asked, Refusal) else None
        values: dict[str, Any] = {} if isinstance(asked, Refusal) else asked
        version, after, state = values.get("version"), values.get("after"), None
        try:
            if version is not None:
                try:
                    state = await audited(system, holder, aggregate_id, version)
                except NotFound as error:
                    if error.field != "version":
                        raise
                    refused, version = refusal_of(error), None
            if after is None:
                after = (version - 1) // PAGE * PAGE if version else 0
            trail = await audited(system, holder, aggregate_id, None, after)
            if state is None and refused is None:
                state = await audited(system, holder, aggregate_id, trail.version)
        except NotFound:
            return not_found(request, "object")
        assert isinstance(trail, AuditTrail) and (state is None or isinstance(state, AuditState))
        context = {
            "trail": trail,
            "events": [(event, fields_of(event.payload)) for event in trail.events],
            "state": state,
            "state_fields": fields_of(state.state) if state else [],
            "sent": sent,
            "you": holder.user_id,
            "after": after,
            "previous": max(after - PAGE, 0) if after else None,
            "next": after + PAGE if after + PAGE < trail.version else None,
        }
        return form_page(request, "audit_timeline.html", context, refused)
