"""``manufactory plans|runs|jobs|characters ...``: production plans, their runs and the job
queue, through the server (``MANUFACTORY_URL``, ``MANUFACTORY_TOKEN``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import click

from interfaces.cli.client import ApiClient, CliError

F = TypeVar("F", bound=Callable[..., Any])


def paged(command: F) -> F:
    """``--limit`` and ``--offset`` of a list command: the page of the API's list query (its
    default page, the first 1,000, unless said)."""
    command = click.option("--offset", type=click.IntRange(min=0), default=None, help="Skip this many first")(command)
    limit = click.IntRange(min=1, max=10_000)
    return click.option("--limit", type=limit, default=None, help="At most this many (default 1000)")(command)


def _query(**params: Any) -> str:
    """A query string of the parameters given (those None left out)."""
    given = {name: value for name, value in params.items() if value is not None}
    return "?" + urlencode(given) if given else ""


def _table(rows: list[list[Any]], header: list[str]) -> None:
    widths = [max(len(str(v)) for v in column) for column in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        click.echo("  ".join(str(value).ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())


def _summary(run: dict[str, Any]) -> str:
    s = run["jobSummary"]
    return (
        f"{s['completed']}/{s['total']} done, {s['active']} active, {s['planned']} planned, {s['cancelled']} cancelled"
    )


@click.group()
def plans() -> None:
    """Production plans: a product and the tree of steps that builds it."""


@plans.command("list")
@paged
def list_plans(limit: int | None, offset: int | None) -> None:
    rows = ApiClient().request("GET", "/v1/industry/plans" + _query(limit=limit, offset=offset))
    _table(
        [[p["id"], p["name"], p["productName"] or p["productTypeId"], p["stepCount"], p["version"]] for p in rows],
        ["ID", "NAME", "PRODUCT", "STEPS", "VERSION"],
    )


@plans.command("create")
@click.argument("type_id", type=int)
@click.option("--name", required=True)
@click.option("--me", "me_level", type=int, default=10, show_default=True)
@click.option("--te", "te_level", type=int, default=20, show_default=True)
@click.option("--station", "station_id", type=int, default=None)
def create_plan(type_id: int, name: str, me_level: int, te_level: int, station_id: int | None) -> None:
    """A plan for TYPE_ID, every material made down to raw materials."""
    defaults = {"meLevel": me_level, "teLevel": te_level, "stationId": station_id}
    body = {"name": name, "productTypeId": type_id, "defaults": defaults}
    result = ApiClient().request("POST", "/v1/industry/plans", body)
    click.echo(f"plan {result['aggregateId']} created with {result['plan']['stepCount']} steps")


@plans.command("show")
@click.argument("plan_id")
def show_plan(plan_id: str) -> None:
    """The step tree, each material marked make or buy."""
    plan = ApiClient().request("GET", f"/v1/industry/plans/{plan_id}")
    click.echo(f"{plan['name']} (v{plan['version']}): {plan['productName'] or plan['productTypeId']}")
    for step in plan["steps"]:
        bought = [m["name"] or str(m["typeId"]) for m in step["materials"] if m["source"] == "buy"]
        click.echo(
            f"{'  ' * step['depth']}#{step['stepId']} {step['productName'] or step['productTypeId']}"
            f" ME{step['meLevel']} TE{step['teLevel']} station {step['stationId'] or '-'}"
            + (f"  buys: {', '.join(bought)}" if bought else "")
        )


@plans.command("generate")
@click.argument("plan_id")
@click.argument("quantity", type=int)
@click.option("--parallelism", type=int, default=0, show_default=True, help="Character slots to use (0 = all)")
def generate(plan_id: str, quantity: int, parallelism: int) -> None:
    """Record a run of QUANTITY units and queue its jobs."""
    body = {"quantity": quantity, "parallelism": parallelism}
    result = ApiClient().request("POST", f"/v1/industry/plans/{plan_id}/generate", body)
    click.echo(f"run {result['run']['id']}: {len(result['created'])} jobs, {len(result['transportJobs'])} hauls")
    for skipped in result["skipped"]:
        click.echo(f"  buy {skipped['quantity']} x {skipped['typeId']} ({skipped['reason']})")


@plans.command("delete")
@click.argument("plan_id")
def delete_plan(plan_id: str) -> None:
    ApiClient().request("DELETE", f"/v1/industry/plans/{plan_id}")
    click.echo(f"plan {plan_id} deleted; its jobs stay in the queue")


@click.group()
def runs() -> None:
    """Plan runs and their derived status."""


@runs.command("list")
@click.option("--plan", "plan_id", default=None)
@paged
def list_runs(plan_id: str | None, limit: int | None, offset: int | None) -> None:
    path = f"/v1/industry/plans/{plan_id}/runs" if plan_id else "/v1/industry/plans/runs"
    rows = ApiClient().request("GET", path + _query(limit=limit, offset=offset))
    _table(
        [[r["id"], r["planName"], r["quantity"], r["status"], _summary(r), r["createdAt"]] for r in rows],
        ["ID", "PLAN", "QUANTITY", "STATUS", "JOBS", "CREATED"],
    )


@runs.command("cancel")
@click.argument("run_id")
def cancel_run(run_id: str) -> None:
    """Cancel the run's planned jobs."""
    result = ApiClient().request("POST", f"/v1/industry/plans/runs/{run_id}/cancel")
    click.echo(f"{result['jobsCancelled']} planned jobs cancelled")


@click.group()
def jobs() -> None:
    """The job queue."""


@jobs.command("list")
@click.option("--status", type=click.Choice(["planned", "active", "ready", "completed", "cancelled"]), default=None)
@click.option("--character", "character_id", type=int, default=None)
@paged
def list_jobs(status: str | None, character_id: int | None, limit: int | None, offset: int | None) -> None:
    query = _query(status=status, characterId=character_id, limit=limit, offset=offset)
    rows = ApiClient().request("GET", "/v1/industry/jobs" + query)
    _table(
        [
            [
                j["id"],
                j["status"],
                j["productName"] or j["productTypeId"],
                j["runs"],
                j["characterId"] or "-",
                j["sortOrder"],
            ]
            for j in rows
        ],
        ["ID", "STATUS", "PRODUCT", "RUNS", "CHARACTER", "ORDER"],
    )


@jobs.command("start")
@click.argument("job_id")
@click.option("--esi-job-id", type=int, default=None)
@click.option("--character", "character_id", type=int, default=None)
def start_job(job_id: str, esi_job_id: int | None, character_id: int | None) -> None:
    body = {"esiJobId": esi_job_id, "characterId": character_id}
    result = ApiClient().request("POST", f"/v1/industry/jobs/{job_id}/start", body)
    click.echo(f"job {job_id} is {result['job']['status']}")


@jobs.command("complete")
@click.argument("job_id")
def complete_job(job_id: str) -> None:
    result = ApiClient().request("POST", f"/v1/industry/jobs/{job_id}/complete", {})
    click.echo(f"job {job_id} is {result['job']['status']}")


@jobs.command("cancel")
@click.argument("job_id")
def cancel_job(job_id: str) -> None:
    result = ApiClient().request("POST", f"/v1/industry/jobs/{job_id}/cancel")
    click.echo(f"job {job_id} is {result['job']['status']}")


@jobs.command("sync")
@click.argument("character_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def sync_jobs(character_id: int, path: Path) -> None:
    """Match a character's in-game jobs (ESI's JSON list, saved to PATH) to the queue."""
    try:
        game_jobs = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CliError(f"cannot read {path}: {error}") from None
    body = {"characterId": character_id, "jobs": game_jobs}
    result = ApiClient().request("POST", "/v1/industry/jobs/sync", body)
    click.echo(
        f"{len(result['started'])} started, {len(result['completed'])} completed, "
        f"{len(result['cancelled'])} cancelled, {len(result['unmatched'])} game jobs unmatched"
    )


@click.group()
def characters() -> None:
    """Your characters and their job slots."""


@characters.command("set")
@click.argument("character_id", type=int)
@click.option("--name", required=True)
@click.option("--skill", "skills", multiple=True, help="name=level, e.g. massProduction=4")
def set_character(character_id: int, name: str, skills: tuple[str, ...]) -> None:
    levels: dict[str, int] = {}
    for skill in skills:
        key, _, level = skill.partition("=")
        if not level.isdigit():
            raise CliError(f"--skill {skill!r}: write name=level, e.g. massProduction=4")
        levels[key] = int(level)
    result = ApiClient().request("PUT", f"/v1/industry/characters/{character_id}", {"name": name, "skills": levels})
    mine = next(c for c in result["characters"] if c["characterId"] == character_id)
    click.echo(f"{mine['name']}: {mine['manufacturingSlots']} manufacturing, {mine['reactionSlots']} reaction slots")


@characters.command("list")
@paged
def list_characters(limit: int | None, offset: int | None) -> None:
    rows = ApiClient().request("GET", "/v1/industry/characters" + _query(limit=limit, offset=offset))
    _table(
        [[c["characterId"], c["name"], c["manufacturingSlots"], c["reactionSlots"], c["scienceSlots"]] for c in rows],
        ["ID", "NAME", "MANUFACTURING", "REACTIONS", "SCIENCE"],
    )
