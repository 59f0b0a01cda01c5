"""The stockpiles pages: the user's markers with current, desired, deficit, plan and
auto-production status (``list_markers``: what ``GET /v1/stockpiles`` answers), and the
add/edit form with the plan selector (``list_plans`` by product: what
``GET /v1/industry/plans/by-product/{typeId}`` answers), parallelism and the enabled toggle.

The form posts the API's own field names; they are read into the API's own body
(``UpsertMarker``, the same constraints) and handed to the same service
(``StockService.upsert_marker``). A refused value comes back next to the input the error's
``field`` names, as the API's ``detail`` says it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from sqlalchemy import Connection

from application.system import Manufactory
from domain.stock.markers import MarkerUpsert
from interfaces.http.context import query_projection
from interfaces.http.stock.schemas import UpsertMarker
from interfaces.web.acting import Refusal, acting_as, api_body, carried_out
from interfaces.web.pages import ConsoleController, form_page, not_found, page
from interfaces.web.session import csrf_checked
from projections.industry.plans import PlanSummary, list_plans
from projections.stockpiles import MarkerView, list_markers, named_places
from projections.stockpiles import find_marker as find_marker_view
from projections.universe import Place
from projections.users import TokenHolder

MarkerId = Annotated[UUID, PathParameter(description="The marker's id")]
# The form's inputs, named as the API's body names them (so an error's field is an input's name).
IDENTITY = ("typeId", "locationId", "ownerType", "ownerId", "containerId", "divisionNumber")  # which marker
SETTINGS = (
    "desiredQuantity",
    "planId",
    "autoProductionParallelism",
    "autoProductionEnabled",
    "notes",
    "priceSource",
    "pricePercentage",
)
FIELDS = IDENTITY + SETTINGS
CLEARED_BY_BLANK = ("planId", "notes")  # blank: no plan, no notes (others blank: left out, as the API's body)
MAX_PLANS = 200  # plans offered for one item
SHOWN_MARKERS = 200  # the markers listed; the others stay reachable by the API's paging


def form_values(marker: MarkerView) -> dict[str, str]:
    """The form as a marker fills it: every input's text."""
    values = {
        "typeId": marker.type_id,
        "locationId": marker.location_id,
        "ownerType": marker.owner_type,
        "ownerId": marker.owner_id,
        "containerId": marker.container_id,
        "divisionNumber": marker.division_number,
        "desiredQuantity": marker.desired_quantity,
        "planId": marker.plan_id,
        "autoProductionParallelism": marker.auto_production_parallelism,
        "autoProductionEnabled": "true" if marker.auto_production_enabled else "",
        "notes": marker.notes,
        "priceSource": marker.price_source,
        "pricePercentage": f"{marker.price_percentage:g}",
    }
    return {name: "" if value is None else str(value) for name, value in values.items()}


def submitted(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's inputs as text (a checkbox left unticked sends nothing: "")."""
    return {name: value.strip() if isinstance(value := form.get(name), str) else "" for name in FIELDS}


def upsert_of(values: Mapping[str, str]) -> MarkerUpsert | Refusal:
    """The API's body from the form's text: blank inputs are left out (the API's defaults, or
    the marker's values), but a blank plan or notes clears them and the toggle is always said.
    Read by ``UpsertMarker`` with the API's constraints; a value it refuses names its field."""
    body: dict[str, Any] = {}
    for name in FIELDS:
        value = values.get(name, "")
        if name == "autoProductionEnabled":
            body[name] = value == "true"
        elif value:
            body[name] = value
        elif name in CLEARED_BY_BLANK:
            body[name] = None
    data = api_body(body, UpsertMarker)
    if isinstance(data, Refusal):
        return data
    return MarkerUpsert(**msgspec.structs.asdict(data))


async def plans_for(system: Manufactory, holder: TokenHolder, type_id: str) -> list[PlanSummary] | None:
    """The plans that make the item (None: no item given yet, so none to choose from)."""
    if not type_id.isdigit() or not 0 < int(type_id) < 2**63:
        return None
    return await query_projection(system, "industry", None, list_plans, holder.user_id, int(type_id), MAX_PLANS, 0)


async def find_marker(system: Manufactory, holder: TokenHolder, marker_id: UUID) -> MarkerView | None:
    return await query_projection(system, "stockpiles", None, find_marker_view, holder.user_id, marker_id)


async def stockpiles_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    values: Mapping[str, str] | None = None,
    refused: Refusal | None = None,
) -> Template:
    """The markers, and the add form (blank, or as submitted with what was refused)."""
    markers, places = await query_projection(system, "stockpiles", None, _markers_named, holder.user_id)
    values = dict(values or {"priceSource": "sell", "pricePercentage": "100", "autoProductionParallelism": "0"})
    if not values.get("typeId") and isinstance(asked := request.query_params.get("typeId"), str):
        values["typeId"] = asked
    context = {
        "markers": markers,
        "shown": SHOWN_MARKERS,
        "places": places,
        "values": values,
        "plans": await plans_for(system, holder, values.get("typeId", "")),
        "editing": None,
        "field_names": FIELDS,
    }
    return form_page(request, "stockpiles.html", context, refused)


def _markers_named(connection: Connection, owner: UUID) -> tuple[list[MarkerView], dict[int, Place]]:
    """The first markers, and their places named as the API's deficits name them, in one read."""
    markers = list_markers(connection, owner, SHOWN_MARKERS)
    located = {marker.location_id for marker in markers}
    return markers, named_places(connection, owner, located) if located else {}


async def marker_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    marker: MarkerView,
    values: Mapping[str, str] | None = None,
    refused: Refusal | None = None,
) -> Template:
    """One marker's edit form (its identity fixed: another item or spot is another marker) and Delete."""
    values = dict(values or form_values(marker))
    context = {
        "marker": marker,
        "values": values,
        "plans": await plans_for(system, holder, str(marker.type_id)),
        "editing": marker,
        "field_names": FIELDS,
    }
    return form_page(request, "stockpile.html", context, refused)


class StockpilePages(ConsoleController):
    @get("/stockpiles")
    async def stockpiles(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The first markers, and a form to add one (``?typeId=`` fills its item and offers its plans)."""
        return await stockpiles_page(request, system, holder)

    @get("/stockpiles/plans")
    async def plan_options(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The plan selector's options for ``?typeId=``: what ``console.js`` swaps in as the item is typed."""
        type_id = request.query_params.get("typeId")
        plans = await plans_for(system, holder, type_id if isinstance(type_id, str) else "")
        return page(request, "plan_options.html", {"plans": plans, "values": {"planId": ""}})

    @get("/stockpiles/{marker_id:uuid}")
    async def stockpile(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        marker_id: MarkerId,
    ) -> Template:
        marker = await find_marker(system, holder, marker_id)
        if marker is None:
            return not_found(request, "stockpile")
        return await marker_page(request, system, holder, marker)

    @post("/stockpiles", guards=[csrf_checked], status_code=303)
    async def save(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Response[Any]:
        """Adds or changes the marker of the form's item and spot (``StockService.upsert_marker``,
        as ``POST /v1/stockpiles``); the list on success, else the form again with the refusal
        by its field. A form of the edit page carries its marker's id, to show that page again."""
        form = await request.form()
        values = submitted(form)
        editing = None
        if isinstance(marker_id := form.get("markerId"), str) and marker_id:
            try:
                editing = await find_marker(system, holder, UUID(marker_id))
            except ValueError:
                editing = None
            if editing is None:
                return not_found(request, "stockpile")
        upsert = upsert_of(values)
        done = (
            upsert
            if isinstance(upsert, Refusal)
            else await carried_out(lambda: system.stock.upsert_marker(upsert, acting_as(holder)))
        )
        if isinstance(done, Refusal):
            if editing is not None:
                return await marker_page(request, system, holder, editing, values, done)
            return await stockpiles_page(request, system, holder, values, done)
        return Redirect("/stockpiles", status_code=303)

    @post("/stockpiles/{marker_id:uuid}/delete", guards=[csrf_checked], status_code=303)
    async def delete(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        marker_id: MarkerId,
    ) -> Response[Any]:
        """Removes the marker (``StockService.remove_marker``, as ``DELETE /v1/stockpiles/{id}``)."""
        done = await carried_out(lambda: system.stock.remove_marker(marker_id, acting_as(holder)))
        if isinstance(done, Refusal):
            if done.status == 404:
                return not_found(request, "stockpile")
            return await stockpiles_page(request, system, holder, refused=done)
        return Redirect("/stockpiles", status_code=303)
