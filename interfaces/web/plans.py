"""The plans pages: the user's plans (``list_plans``: what ``GET /v1/industry/plans`` answers)
and a new one for a product found by name (``search_items``, as ``GET /v1/catalog/items``);
a plan's step tree (``current_plan``, as ``GET /v1/industry/plans/{id}``) with each step's
ME/TE, station and facility edited in one batch (``PlanService.update_steps``, as ``PATCH
.../steps``) and each material made or bought (``set_source``); a run previewed
(``PlanService.preview``, as ``POST .../preview``) before it is generated; and the plan's
history: its events, and the plan as of any version (``plan_as_of``, as ``?version=N``).

Forms carry the plan's version, so an edit made on a page another writer has changed since is
refused (409) rather than applied to a plan the reader never saw; the confirm of a preview
generates only the plan that was previewed. Every refusal is shown next to the input the API's
``field`` names: a batch's ``steps[i].me`` is the ME input of the i-th step sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from application.audit import AuditTrail, audit
from application.system import Manufactory
from domain.errors import NotFound
from domain.industry.plan import Source
from interfaces.http.catalog.queries import TypeIdPath, user_catalog
from interfaces.http.context import query_projection
from interfaces.http.industry.commands import PlanIdPath, StepIdPath, preview_out
from interfaces.http.industry.queries import current_plan, plan_as_of
from interfaces.http.industry.schemas import CreatePlan, Generate, PlanOut, SetSource, StepChanges, StepOut, UpdateSteps
from interfaces.web.acting import Refusal, acting_as, api_body, carried_out
from interfaces.web.pages import ConsoleController, form_page, not_found, page
from interfaces.web.session import csrf_checked
from projections.catalog import search_items
from projections.industry.plans import list_plans
from projections.users import TokenHolder

SHOWN_PLANS = 200  # the plans listed; more stay reachable by the API's paging
SHOWN_EVENTS = 100  # a plan's events listed around the version shown; all: the API's audit
FOUND_ITEMS = 20  # items offered for a search of the new-plan form
# A step's inputs, named as the API's body names them (the facility's as its object's fields).
SETUP_INPUTS = ("meLevel", "teLevel", "stationId", "facilityTax")
FACILITY_INPUTS = ("security", "structure", "materialRig", "timeRig")
STEP_INPUTS = SETUP_INPUTS + FACILITY_INPUTS
# The domain says ``me``/``te`` where the body says ``meLevel``/``teLevel``: the same inputs.
INPUT_OF_FIELD = {"me": "meLevel", "te": "teLevel"}
GENERATE_INPUTS = ("quantity", "parallelism", "regionId")
GENERATE_DEFAULTS = {"quantity": "1", "parallelism": "0"}  # the generate form's, as the plan page fills it
_BATCH_ENTRY = re.compile(r"steps\[(\d+)\]\.?(.*)")
_WORD_START = re.compile(r"(?<=[a-z])(?=[A-Z])")


def step_input(step_id: int, name: str) -> str:
    """The name (and id) of a step's input on the plan page: ``step-3-meLevel``."""
    return f"step-{step_id}-{name}"


def material_key(step_id: int, type_id: int) -> str:
    """Where a refused make/buy switch of a step's material is shown."""
    return f"material-{step_id}-{type_id}"


def step_values(step: StepOut) -> dict[str, str]:
    """A step's inputs as the page fills them, and as a submitted form is compared with."""
    facility = step.facility
    values: dict[str, object] = {
        "meLevel": step.me_level,
        "teLevel": step.te_level,
        "stationId": step.station_id,
        "facilityTax": f"{step.facility_tax:g}",
        "security": facility.security.value,
        "structure": facility.structure.value if facility.structure else None,
        "materialRig": facility.material_rig.value if facility.material_rig else None,
        "timeRig": facility.time_rig.value if facility.time_rig else None,
    }
    return {name: "" if value is None else str(value) for name, value in values.items()}


def step_changes(step: StepOut, form: Mapping[str, Any]) -> dict[str, Any]:
    """What the form changes of one step, as an entry of the API's batch body (``{stepId, ...}``;
    empty: nothing changed). A blank station clears it; the facility is sent whole when any of
    its inputs changed, keeping the numeric bonuses of one given without a named structure."""
    before = step_values(step)
    after = {
        name: value.strip() if isinstance(value := form.get(step_input(step.step_id, name)), str) else before[name]
        for name in STEP_INPUTS
    }
    entry: dict[str, Any] = {}
    for name in SETUP_INPUTS:
        if after[name] != before[name]:
            entry[name] = after[name] or None
    if any(after[name] != before[name] for name in FACILITY_INPUTS):
        facility = {name: after[name] for name in FACILITY_INPUTS if after[name]}
        if not after["structure"]:
            kept = msgspec.to_builtins(step.facility)
            facility.update({name: value for name, value in kept.items() if name.endswith("Bonus")})
        entry["facility"] = facility
    return {"stepId": step.step_id, **entry} if entry else {}


def on_step(refusal: Refusal, step_id: int) -> Refusal:
    """A refusal of one step's change, placed next to that step's input its field names (or on
    the step itself, when the field is none of its inputs)."""
    name = (refusal.field or "").rsplit(".", 1)[-1]
    name = INPUT_OF_FIELD.get(name, name)
    where = step_input(step_id, name) if name in STEP_INPUTS else f"step-{step_id}"
    return msgspec.structs.replace(refusal, field=where)


def in_batch(refusal: Refusal, step_ids: list[int]) -> Refusal:
    """A refusal of the batch: its ``steps[i].field`` is the i-th step sent."""
    entry = _BATCH_ENTRY.fullmatch(refusal.field or "")
    if entry is None or int(entry.group(1)) >= len(step_ids):
        return msgspec.structs.replace(refusal, field="steps")
    return on_step(msgspec.structs.replace(refusal, field=entry.group(2)), step_ids[int(entry.group(1))])


def event_words(kind: str) -> str:
    """An event's stored name as the history says it: ``PlanStepsUpdated`` -> ``Plan steps updated``."""
    spaced = _WORD_START.sub(" ", kind)
    return spaced[:1] + spaced[1:].lower()


def generate_body(values: Mapping[str, str]) -> Generate | Refusal:
    """The API's generate (and preview) body from the form; blank inputs are left out."""
    return api_body({name: value for name, value in values.items() if value}, Generate)


def form_text(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {name: value.strip() if isinstance(value := form.get(name), str) else "" for name in names}


def version_of(form: Mapping[str, Any]) -> int | None:
    """The plan version the form was made from (None: not said, so not checked)."""
    value = form.get("version")
    return int(value) if isinstance(value, str) and value.isdigit() else None


async def find_plan(
    request: Request[Any, Any, Any], system: Manufactory, holder: TokenHolder, plan_id: UUID
) -> PlanOut | None:
    """The user's plan now, or None: another user's id reads exactly as a missing one."""
    try:
        return await current_plan(system, request.app.state["catalog_cache"], holder.user_id, plan_id, None)
    except NotFound:
        return None


async def events_of_plan(
    system: Manufactory, holder: TokenHolder, plan_id: UUID, *, after: int, limit: int
) -> AuditTrail:
    """The API's audit of the plan as its user: the events after version ``after``, at most ``limit``."""
    trail = await anyio.to_thread.run_sync(
        lambda: audit(system.store, holder.user_id, plan_id, None, after=after, limit=limit)
    )
    assert isinstance(trail, AuditTrail)  # no version asked: the events
    return trail


def children_of(plan: PlanOut) -> dict[int | None, list[StepOut]]:
    """The step tree: each step's child steps, in the API's depth-first order."""
    tree: dict[int | None, list[StepOut]] = {}
    for step in plan.steps:
        tree.setdefault(step.parent_step_id, []).append(step)
    return tree


async def plans_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    values: Mapping[str, str] | None = None,
    refused: Refusal | None = None,
) -> Template:
    """The list, and the new-plan form with the items ``?search=`` found by name."""
    plans = await query_projection(system, "industry", None, list_plans, holder.user_id, None, SHOWN_PLANS, 0)
    asked = request.query_params.get("search")
    search = (values or {}).get("search") or (asked.strip() if isinstance(asked, str) else "")
    found = (
        await query_projection(system, "catalog", None, search_items, holder.user_id, search, FOUND_ITEMS, 0)
        if search
        else []
    )
    context = {
        "plans": plans,
        "search": search,
        "found": found,
        "values": dict(values or {}),
        "shown": SHOWN_PLANS,
    }
    return form_page(request, "plans.html", context, refused)


async def plan_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    plan: PlanOut,
    values: Mapping[str, str] | None = None,
    refused: Refusal | None = None,
) -> Template:
    """The step tree with its inputs (as submitted, when a change was refused) and the
    generate form."""
    filled = {step_input(step.step_id, name): value for step in plan.steps for name, value in step_values(step).items()}
    context = {
        "plan": plan,
        "tree": children_of(plan),
        "values": {**filled, **GENERATE_DEFAULTS, **(values or {})},
        "step_input": step_input,
        "material_key": material_key,
    }
    return form_page(request, "plan.html", context, refused)


async def preview_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    plan: PlanOut,
    values: Mapping[str, str],
    refused: Refusal | None = None,
) -> Template:
    """What generating would record now (jobs, merged steps, purchases, leftovers, hauls, costs,
    the run's length with 1..N characters), and the confirm; or the form with its refusal."""
    body = generate_body(values)
    previewed = None
    if not isinstance(body, Refusal):
        done = await carried_out(
            lambda: system.plans.preview(
                plan.id, body.quantity, holder.user_id, parallelism=body.parallelism, region_id=body.region_id
            )
        )
        if isinstance(done, Refusal):
            refused = refused or done
        else:
            previewed = await anyio.to_thread.run_sync(preview_out, system, done)
    else:
        refused = body
    names = (await user_catalog(system, request.app.state["catalog_cache"], holder.user_id, None)).names
    context = {"plan": plan, "values": values, "preview": previewed, "names": names}
    return form_page(request, "plan_preview.html", context, refused)


class PlanPages(ConsoleController):
    @get("/plans")
    async def plans(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The user's plans by name, and a new one for an item found by ``?search=``."""
        return await plans_page(request, system, holder)

    @post("/plans", guards=[csrf_checked], status_code=303)
    async def create(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Response[Any]:
        """A plan for the chosen item (``PlanService.create``, as ``POST /v1/industry/plans``):
        its steps proposed from the catalog's chain; its page next."""
        values = form_text(await request.form(), ("name", "productTypeId", "search"))
        body = api_body({name: values[name] for name in ("name", "productTypeId") if values[name]}, CreatePlan)
        done = (
            body
            if isinstance(body, Refusal)
            else await carried_out(
                lambda: system.plans.create(
                    body.name, body.product_type_id, body.defaults.setup(), body.transport, acting_as(holder)
                )
            )
        )
        if isinstance(done, Refusal):
            return await plans_page(request, system, holder, values, done)
        return Redirect(f"/plans/{done.aggregate.id}", status_code=303)

    @get("/plans/{plan_id:uuid}")
    async def plan(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        plan_id: PlanIdPath,
    ) -> Template:
        plan = await find_plan(request, system, holder, plan_id)
        if plan is None:
            return not_found(request, "plan")
        return await plan_page(request, system, holder, plan)

    @post("/plans/{plan_id:uuid}/steps", guards=[csrf_checked], status_code=303)
    async def save_steps(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        plan_id: PlanIdPath,
    ) -> Response[Any]:
        """Every step the form changed, as one batch (``PlanService.update_steps``, as ``PATCH
        .../steps``): all of them, one new version, or none with the refusal by its input."""
        plan = await find_plan(request, system, holder, plan_id)
        if plan is None:
            return not_found(request, "plan")
        form = await request.form()
        entries = [entry for step in plan.steps if (entry := step_changes(step, form))]
        if not entries:
            return Redirect(f"/plans/{plan_id}", status_code=303)
        inputs = tuple(step_input(step.step_id, name) for step in plan.steps for name in STEP_INPUTS)
        submitted = {key: value for key, value in form_text(form, inputs).items() if key in form}
        for entry in entries:
            if isinstance(checked := api_body(entry, StepChanges), Refusal):
                return await plan_page(request, system, holder, plan, submitted, on_step(checked, entry["stepId"]))
        body = api_body({"steps": entries}, UpdateSteps)
        step_ids = [entry["stepId"] for entry in entries]
        done = (
            body
            if isinstance(body, Refusal)
            else await carried_out(
                lambda: system.plans.update_steps(
                    plan_id,
                    [(change.step_id, change.changes()) for change in body.steps],
                    acting_as(holder),
                    version_of(form),
                )
            )
        )
        if isinstance(done, Refusal):
            return await plan_page(request, system, holder, plan, submitted, in_batch(done, step_ids))
        return Redirect(f"/plans/{plan_id}", status_code=303)

    @post("/plans/{plan_id:uuid}/steps/{step_id:int}/materials/{type_id:int}", guards=[csrf_checked], status_code=303)
    async def switch_source(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        plan_id: PlanIdPath,
        step_id: StepIdPath,
        type_id: TypeIdPath,
    ) -> Response[Any]:
        """Make the material (the chain below it proposed) or buy it (its steps go), as ``PUT
        .../steps/{stepId}/materials/{typeId}``."""
        plan = await find_plan(request, system, holder, plan_id)
        if plan is None:
            return not_found(request, "plan")
        form = await request.form()
        body = api_body(form_text(form, ("source",)), SetSource)
        done = (
            body
            if isinstance(body, Refusal)
            else await carried_out(
                lambda: system.plans.set_source(
                    plan_id, step_id, type_id, Source(body.source), acting_as(holder), version_of(form)
                )
            )
        )
        if isinstance(done, Refusal):
            refused = msgspec.structs.replace(done, field=material_key(step_id, type_id))
            return await plan_page(request, system, holder, plan, refused=refused)
        return Redirect(f"/plans/{plan_id}#step-{step_id}", status_code=303)

    @get("/plans/{plan_id:uuid}/preview")
    async def preview(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        plan_id: PlanIdPath,
    ) -> Template:
        """``?quantity=&parallelism=&regionId=``: what generating would record, nothing saved;
        a value not asked for is the plan page's default (one unit, every slot)."""
        plan = await find_plan(request, system, holder, plan_id)
        if plan is None:
            return not_found(request, "plan")
        asked = {name: value for name, value in request.query_params.items() if name in GENERATE_INPUTS}
        values = form_text({**GENERATE_DEFAULTS, **asked}, GENERATE_INPUTS)
        return await preview_page(request, system, holder, plan, values)

    @post("/plans/{plan_id:uuid}/generate", guards=[csrf_checked], status_code=303)
    async def generate(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        plan_id: PlanIdPath,
    ) -> Response[Any]:
        """The previewed run, recorded (``PlanService.generate``, as ``POST .../generate``) for
        the version previewed; its run page next. A plan changed since is previewed again."""
        plan = await find_plan(request, system, holder, plan_id)
        if plan is None:
            return not_found(request, "plan")
        form = await request.form()
        values = form_text(form, GENERATE_INPUTS)
        body = generate_body(values)
        done = (
            body
            if isinstance(body, Refusal)
            else await carried_out(
                lambda: system.plans.generate(
                    plan_id,
                    body.quantity,
                    acting_as(holder),
                    parallelism=body.parallelism,
                    expected_version=version_of(form),
                    region_id=body.region_id,
                )
            )
        )
        if isinstance(done, Refusal):
            return await preview_page(request, system, holder, plan, values, done)
        generated, _ = done
        return Redirect(f"/runs/{generated.run.id}", status_code=303)

    @get("/plans/{plan_id:uuid}/history")
    async def history(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        plan_id: PlanIdPath,
    ) -> Template:
        """The plan as of ``?version=`` (the latest unless said), replayed from its events as
        the API's ``?version=N``, and the ``SHOWN_EVENTS`` events around that version (who,
        when, what): a plan edited for years lists a page, not its whole history."""
        asked = request.query_params.get("version")
        try:
            latest = (await events_of_plan(system, holder, plan_id, after=0, limit=1)).version
            version = int(asked) if isinstance(asked, str) and asked.isdigit() and len(asked) < 10 else latest
            version = min(max(version, 1), latest)
            after = max(min(version + SHOWN_EVENTS // 2, latest) - SHOWN_EVENTS, 0)
            trail = await events_of_plan(system, holder, plan_id, after=after, limit=SHOWN_EVENTS)
            then = await anyio.to_thread.run_sync(plan_as_of, system, holder.user_id, plan_id, version)
        except NotFound:
            return not_found(request, "plan")
        context = {
            "trail": trail,
            "plan": then,
            "tree": children_of(then),
            "version": version,
            "holder": holder,
            "event_words": event_words,
        }
        return page(request, "plan_history.html", context)
