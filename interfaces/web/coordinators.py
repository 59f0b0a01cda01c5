"""The manufacturing coordinators pages: the user's containers (``list_containers``: what
``GET /v1/manufacturing/containers`` answers), and one container's config form with its change
history (``config_history``: what ``.../config/history`` answers), who made each change and when.

The form posts the config's JSON field names with the version it showed; they are read into the
API's own body (``ConfigPatch``: the same bounds) and handed to the same service
(``ContainerService.change_config``) with that version as its If-Match, so a change made
elsewhere meanwhile is refused rather than overwritten. A refused value comes back next to the
input of the field the API names, in its words. The page is live: ``/coordinators/{id}/stream``
is the API's config stream (``config_events``), and ``coordinators.js`` puts a config changed
elsewhere into the inputs the user has not touched and reads the history again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, ServerSentEvent, Template

from application.system import Manufactory
from domain.manufacturing.config import CoordinatorMode
from domain.manufacturing.supply import SupplyLevel
from interfaces.http.context import LastEventId, query_projection, read_model
from interfaces.http.manufacturing.queries import config_events
from interfaces.http.manufacturing.schemas import CONFIG_WIRE_NAMES, ConfigOut, ConfigPatch, ContainerIdPath
from interfaces.web.acting import Refusal, acting_as, api_body, carried_out
from interfaces.web.pages import ConsoleController, form_page, not_found, page
from interfaces.web.session import csrf_checked
from projections.cache import ReadCache
from projections.manufacturing import ConfigHistoryEntry, ContainerView, config_history, find_container, list_containers
from projections.users import TokenHolder, user_names

SHOWN = 200  # containers listed, and changes of one; the rest stay reachable by the API's paging
SUPPLY_LEVELS = tuple(level.value for level in SupplyLevel)
MODES = tuple(mode.value for mode in CoordinatorMode)


class ConfigField(msgspec.Struct, frozen=True):
    """One input of the config form: its JSON name, its label, its choices (none: typed) and a hint."""

    name: str
    label: str
    choices: tuple[str, ...] = ()
    hint: str = ""


FIELDS = (
    ConfigField("maxPipelines", "Max pipelines", hint="1 to 100 side by side."),
    ConfigField("maxWorkers", "Max workers", hint="1 to 1,000."),
    ConfigField("collectMinStartSupply", "Collect: start at supply", SUPPLY_LEVELS),
    ConfigField("collectMinExecuteSupply", "Collect: execute at supply", SUPPLY_LEVELS),
    ConfigField("acquireMinStartSupply", "Acquire: start at supply", SUPPLY_LEVELS),
    ConfigField("acquireMinExecuteSupply", "Acquire: execute at supply", SUPPLY_LEVELS),
    ConfigField("minPurchasePrice", "Min purchase price", hint="Credits, 0 or more."),
    ConfigField("strategy", "Strategy", hint="e.g. prefer-fabricate."),
    ConfigField("minBalance", "Min balance", hint="Credits kept in reserve."),
    ConfigField("mode", "Mode", MODES),
)
FIELD_NAMES = tuple(field.name for field in FIELDS)
assert set(FIELD_NAMES) == set(CONFIG_WIRE_NAMES.values()), "the form has every field of the API's config"


class HistoryRow(msgspec.Struct, frozen=True, kw_only=True):
    """A change as the page lists it: the API's entry, its fields by their JSON names, and who."""

    entry: ConfigHistoryEntry
    changes: dict[str, dict[str, Any]]
    who: str


def form_values(config: ConfigOut) -> dict[str, str]:
    """The form as a config fills it: every input's text, by its JSON name."""
    wire = msgspec.to_builtins(config)
    return {name: str(wire[name]) for name in FIELD_NAMES}


def submitted(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: value.strip() if isinstance(value := form.get(name), str) else "" for name in FIELD_NAMES}


async def find(system: Manufactory, holder: TokenHolder, container_id: str) -> ContainerView | None:
    return await query_projection(system, "manufacturing", None, find_container, holder.user_id, container_id)


async def history_of(system: Manufactory, holder: TokenHolder, container: ContainerView) -> list[HistoryRow]:
    """The container's newest ``SHOWN`` changes, newest first, each with who made it: you, or
    another user by name."""
    entries = await read_model(system, config_history, container.aggregate_id, SHOWN, newest_first=True)
    others = {entry.changed_by for entry in entries} - {holder.user_id}
    names = await read_model(system, user_names, others) if others else {}
    return [
        HistoryRow(
            entry=entry,
            changes={CONFIG_WIRE_NAMES.get(name, name): change for name, change in entry.changes.items()},
            who="you" if entry.changed_by == holder.user_id else names.get(entry.changed_by, str(entry.changed_by)),
        )
        for entry in entries
    ]


async def container_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    container: ContainerView,
    values: Mapping[str, str] | None = None,
    refused: Refusal | None = None,
    version: int | None = None,
) -> Template:
    """One container: its status, the config form (as saved, or as submitted with what was
    refused) and its history."""
    current = form_values(ConfigOut.of(container.config))
    context = {
        "container": container,
        "current": current,
        "values": dict(values or current),
        "version": container.version if version is None else version,
        "fields": FIELDS,
        "field_names": FIELD_NAMES,
        "history": await history_of(system, holder, container),
        "shown": SHOWN,
    }
    return form_page(request, "coordinator.html", context, refused)


def changes_of(values: Mapping[str, str]) -> dict[str, Any] | Refusal:
    """The API's body from the form's text: every field said (blank ones left out)."""
    body = api_body({name: value for name, value in values.items() if value}, ConfigPatch)
    return body if isinstance(body, Refusal) else body.changes()


def version_of(form: Mapping[str, Any]) -> int | None:
    """The version the form showed (its If-Match); None if the form carries none readable."""
    text = form.get("version")
    return int(text) if isinstance(text, str) and text.isdigit() and len(text) < 19 else None


class CoordinatorPages(ConsoleController):
    @get("/coordinators")
    async def coordinators(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The user's first ``SHOWN`` containers (by id), with their status and the config each runs on."""
        containers: Sequence[ContainerView] = await query_projection(
            system, "manufacturing", None, list_containers, holder.user_id, SHOWN
        )
        return page(request, "coordinators.html", {"containers": containers, "shown": SHOWN})

    @get("/coordinators/{container_id:str}")
    async def coordinator(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        container_id: ContainerIdPath,
    ) -> Template:
        container = await find(system, holder, container_id)
        if container is None:
            return not_found(request, "coordinator container")
        return await container_page(request, system, holder, container)

    @get("/coordinators/{container_id:str}/history")
    async def history(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        container_id: ContainerIdPath,
    ) -> Template:
        """The history section alone: what ``coordinators.js`` swaps in after a live change."""
        container = await find(system, holder, container_id)
        if container is None:
            return not_found(request, "coordinator container")
        context = {"history": await history_of(system, holder, container), "container": container, "shown": SHOWN}
        return page(request, "coordinator_history.html", context)

    @get("/coordinators/{container_id:str}/stream")
    async def stream(
        self,
        system: NamedDependency[Manufactory],
        container_cache: NamedDependency[ReadCache[ContainerView | None]],
        holder: NamedDependency[TokenHolder],
        container_id: ContainerIdPath,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """The API's config stream of the container (``GET .../config/stream``), for the page."""
        return await config_events(system, container_cache, holder.user_id, container_id, last_event_id)

    @post("/coordinators/{container_id:str}", guards=[csrf_checked], status_code=303)
    async def save(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        container_id: ContainerIdPath,
    ) -> Response[Any]:
        """Changes the config as ``PATCH .../config`` with ``If-Match`` the version the form
        showed; the page again on success, else the form as submitted with the refusal by its field."""
        container = await find(system, holder, container_id)
        if container is None:
            return not_found(request, "coordinator container")
        form = await request.form()
        values = submitted(form)
        version = version_of(form)
        changes = changes_of(values)

        def change() -> object:
            assert not isinstance(changes, Refusal)
            return system.containers.change_config(container_id, changes, acting_as(holder), version)

        done = changes if isinstance(changes, Refusal) else await carried_out(change)
        if isinstance(done, Refusal):
            if done.status == 404:
                return not_found(request, "coordinator container")
            shown = None if done.field == "If-Match" else version  # changed meanwhile: resubmit onto the current
            return await container_page(request, system, holder, container, values, done, shown)
        return Redirect(f"/coordinators/{container_id}", status_code=303)
