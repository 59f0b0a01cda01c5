"""The jobs board: the user's job queue by status (planned, active, ready, completed,
cancelled) and, within each, by character, filtered by status, character, run and activity;
a job's page with its materials and, while it is planned, the edit form.

Read through the API's own query (``list_jobs``, ``find_job``: what ``GET /v1/industry/jobs``
and ``.../jobs/{id}`` answer). Start, Complete and Cancel call the services of ``POST
/v1/industry/jobs/{id}/start|complete|cancel`` with their bodies empty (a start keeps the
job's own character); the edit form posts ``PATCH /v1/industry/jobs/{id}``'s fields, read
into the API's own body (``EditJob``), and a refused value comes back next to its input. The
board is live as the dashboard is: ``console.js`` reads ``/jobs/sections`` again whenever
``/dashboard/stream`` says the read models moved on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from application.system import Manufactory
from domain.catalog.model import ActivityKind
from domain.limits import GameId
from interfaces.http.catalog.queries import user_catalog
from interfaces.http.context import query_projection
from interfaces.http.industry.queries import CharacterIdQuery, JobStatusQuery
from interfaces.http.industry.schemas import EditJob
from interfaces.web.acting import Refusal, acting_as, api_body, carried_out
from interfaces.web.asked import QueryReader
from interfaces.web.pages import ConsoleController, form_page, not_found, page
from interfaces.web.session import csrf_checked
from projections.industry.characters import list_characters
from projections.industry.jobs import JobView, find_job, list_jobs
from projections.industry.runs import RunView, list_runs
from projections.users import TokenHolder

JobId = Annotated[UUID, PathParameter(description="The job's id")]
Action = Annotated[str, PathParameter(description="start, complete or cancel")]
JobStatus = Literal["planned", "active", "ready", "completed", "cancelled"]
STATUSES: tuple[JobStatus, ...] = ("planned", "active", "ready", "completed", "cancelled")
SHOWN_JOBS = 200  # per status: the newest history stays reachable by the API's paging
SHOWN_RUNS = 200  # the runs offered by the filter
PROJECTION = "industry"
# The edit form's inputs, named as PATCH /v1/industry/jobs/{id} names its fields.
EDIT_FIELDS = ("runs", "meLevel", "teLevel", "stationId", "characterId", "notes")
CLEARED_BY_BLANK = ("stationId", "characterId")  # blank: no station, nobody (others blank: left as they are)
FILTER = QueryReader(
    status=(JobStatusQuery, None),
    characterId=(CharacterIdQuery, None),
    runId=(UUID | None, None),
    activity=(ActivityKind | None, None),
)


class JobFilter(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Which jobs the board shows (None: any), as the filter form and the page's address say."""

    status: JobStatus | None = None
    character_id: GameId | None = None
    run_id: UUID | None = None
    activity: ActivityKind | None = None

    def fields(self) -> dict[str, str]:
        """The filter's inputs that are set, as a form or an address names them."""
        return {name: str(value) for name, value in msgspec.to_builtins(self).items() if value is not None}

    def query(self) -> str:
        """The board's address query for this filter ('' for none)."""
        return urlencode(self.fields())


class CharacterJobs(msgspec.Struct, frozen=True, kw_only=True):
    character_id: int | None  # None: nobody assigned yet
    name: str
    jobs: list[JobView]


class StatusJobs(msgspec.Struct, frozen=True, kw_only=True):
    status: JobStatus
    count: int
    more: bool  # SHOWN_JOBS reached: older ones are the API's next page
    characters: list[CharacterJobs]


class JobsBoard(msgspec.Struct, frozen=True, kw_only=True):
    chosen: JobFilter
    statuses: list[StatusJobs]
    characters: dict[int, str]  # the roster: id -> name
    runs: dict[UUID, RunView]  # the newest runs, for the filter and the jobs' run links

    @property
    def empty(self) -> bool:
        return not any(group.count for group in self.statuses)


def by_character(jobs: list[JobView], names: Mapping[int, str]) -> list[CharacterJobs]:
    """The jobs per character, in the roster's order (characters the roster no longer has
    after it, nobody last), each in the queue's order: deepest dependencies first."""
    grouped: dict[int | None, list[JobView]] = {}
    for job in jobs:
        grouped.setdefault(job.character_id, []).append(job)
    roster = list(names)

    def place(character_id: int | None) -> tuple[int, int]:
        if character_id is None:
            return (2, 0)
        return (0, roster.index(character_id)) if character_id in names else (1, character_id)

    return [
        CharacterJobs(
            character_id=character_id,
            name="Nobody assigned" if character_id is None else names.get(character_id, f"character {character_id}"),
            jobs=grouped[character_id],
        )
        for character_id in sorted(grouped, key=place)
    ]


async def jobs_board(system: Manufactory, holder: TokenHolder, chosen: JobFilter) -> JobsBoard:
    roster = await query_projection(system, PROJECTION, None, list_characters, holder.user_id)
    names = {character.character_id: character.name for character in roster}
    runs = await query_projection(system, PROJECTION, None, list_runs, holder.user_id, None, SHOWN_RUNS, 0)
    statuses = []
    for status in (chosen.status,) if chosen.status else STATUSES:
        jobs = await query_projection(
            system,
            PROJECTION,
            None,
            list_jobs,
            holder.user_id,
            status=status,
            character_id=chosen.character_id,
            plan_run_id=chosen.run_id,
            activity=chosen.activity.value if chosen.activity else None,
            limit=SHOWN_JOBS,
        )
        group = StatusJobs(
            status=status, count=len(jobs), more=len(jobs) >= SHOWN_JOBS, characters=by_character(jobs, names)
        )
        statuses.append(group)
    return JobsBoard(chosen=chosen, statuses=statuses, characters=names, runs={run.id: run for run in runs})


def filter_of(request: Request[Any, Any, Any]) -> JobFilter | Refusal:
    """The filter the address asks for (blank: any), read as the API reads its job list's
    ``status`` and ``characterId``."""
    _, asked = FILTER.read(request)
    if isinstance(asked, Refusal):
        return asked
    return JobFilter(
        status=asked["status"], character_id=asked["characterId"], run_id=asked["runId"], activity=asked["activity"]
    )


def edit_of(values: Mapping[str, str]) -> EditJob | Refusal:
    """The API's PATCH body from the edit form: blank runs, ME or TE are left as they are,
    a blank station or character clears it (nobody: unassigned), notes are always said."""
    body: dict[str, Any] = {}
    for name in EDIT_FIELDS:
        value = values.get(name, "")
        if value or name == "notes":
            body[name] = value
        elif name in CLEARED_BY_BLANK:
            body[name] = None
    return api_body(body, EditJob)


def form_values(job: JobView) -> dict[str, str]:
    """The edit form as the job fills it."""
    values = {
        "runs": job.runs,
        "meLevel": job.me_level,
        "teLevel": job.te_level,
        "stationId": job.station_id,
        "characterId": job.character_id,
        "notes": job.notes,
    }
    return {name: "" if value is None else str(value) for name, value in values.items()}


def submitted(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: value.strip() if isinstance(value := form.get(name), str) else "" for name in EDIT_FIELDS}


async def board_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    template: str,
    chosen: JobFilter | Refusal,
    refused: tuple[UUID, Refusal] | None = None,
) -> Template:
    """The board (or its sections alone); a filter refused shows the whole board with the
    reason next to its input, a refused command its reason next to its job."""
    filter_refused = chosen if isinstance(chosen, Refusal) else None
    shown = JobFilter() if isinstance(chosen, Refusal) else chosen
    context = {
        "board": await jobs_board(system, holder, shown),
        "chosen": shown,
        "refused": refused,
        "filter_refused": filter_refused,
        "activities": [kind.value for kind in ActivityKind],
        "statuses": STATUSES,
    }
    status = filter_refused.status if filter_refused else refused[1].status if refused else 200
    return page(request, template, context, status_code=status)


async def find(system: Manufactory, holder: TokenHolder, job_id: UUID) -> JobView | None:
    return await query_projection(system, PROJECTION, None, find_job, holder.user_id, job_id)


async def job_page(
    request: Request[Any, Any, Any],
    system: Manufactory,
    holder: TokenHolder,
    job: JobView,
    values: Mapping[str, str] | None = None,
    refused: Refusal | None = None,
) -> Template:
    """A job's facts and materials (named by the user's catalog), its actions and, while it is
    planned, the edit form (as submitted, with what was refused next to its input)."""
    roster = await query_projection(system, PROJECTION, None, list_characters, holder.user_id)
    catalog_cache = request.app.state["catalog_cache"]
    names = (await user_catalog(system, catalog_cache, holder.user_id, None)).names
    context = {
        "job": job,
        "values": dict(values or form_values(job)),
        "characters": {character.character_id: character.name for character in roster},
        "names": names,
        "field_names": EDIT_FIELDS,
        "chosen": JobFilter(),
    }
    return form_page(request, "job.html", context, refused)


class JobPages(ConsoleController):
    @get("/jobs")
    async def jobs(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The board, filtered by ``?status=&characterId=&runId=&activity=``."""
        return await board_page(request, system, holder, "jobs.html", filter_of(request))

    @get("/jobs/sections")
    async def sections(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
    ) -> Template:
        """The board's sections alone: what ``console.js`` swaps in when the stream says so."""
        return await board_page(request, system, holder, "jobs_sections.html", filter_of(request))

    @get("/jobs/{job_id:uuid}")
    async def job(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        job_id: JobId,
    ) -> Template:
        job = await find(system, holder, job_id)
        if job is None:
            return not_found(request, "job")
        return await job_page(request, system, holder, job)

    @post("/jobs/{job_id:uuid}", guards=[csrf_checked], status_code=303)
    async def edit(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        job_id: JobId,
    ) -> Response[Any]:
        """Edits the planned job (``JobService.edit``, as ``PATCH /v1/industry/jobs/{id}``);
        its page again, with the refusal next to its input when refused."""
        job = await find(system, holder, job_id)
        if job is None:
            return not_found(request, "job")
        values = submitted(await request.form())
        edit = edit_of(values)
        done = (
            edit
            if isinstance(edit, Refusal)
            else await carried_out(lambda: system.jobs.edit(job_id, edit, acting_as(holder), None))
        )
        if isinstance(done, Refusal):
            if done.status == 404:
                return not_found(request, "job")
            return await job_page(request, system, holder, job, values, done)
        return Redirect(f"/jobs/{job_id}", status_code=303)

    @post("/jobs/{job_id:uuid}/{action:str}", guards=[csrf_checked], status_code=303)
    async def act(
        self,
        request: Request[Any, Any, Any],
        system: NamedDependency[Manufactory],
        holder: NamedDependency[TokenHolder],
        job_id: JobId,
        action: Action,
    ) -> Response[Any]:
        """Start, Complete or Cancel (``JobService.start|complete|cancel``, as ``POST
        /v1/industry/jobs/{id}/start|complete|cancel`` with an empty body); back to the board
        as it was filtered, or to the job's page when the form was on it."""
        meta = acting_as(holder)
        commands = {
            "start": lambda: system.jobs.start(job_id, None, None, None, meta, None),
            "complete": lambda: system.jobs.complete(job_id, None, meta, None),
            "cancel": lambda: system.jobs.cancel(job_id, meta, None),
        }
        command = commands.get(action)
        if command is None:
            return not_found(request, "job action")
        form = await request.form()
        done = await carried_out(command)
        on_job = form.get("from") == "job"
        chosen = filter_of(request)
        if isinstance(done, Refusal):
            if done.status == 404:
                return not_found(request, "job")
            job = await find(system, holder, job_id) if on_job else None
            if job is not None:
                return await job_page(request, system, holder, job, refused=done)
            return await board_page(request, system, holder, "jobs.html", chosen, refused=(job_id, done))
        if on_job:
            return Redirect(f"/jobs/{job_id}", status_code=303)
        query = chosen.query() if isinstance(chosen, JobFilter) else ""
        return Redirect(f"/jobs?{query}" if query else "/jobs", status_code=303)
