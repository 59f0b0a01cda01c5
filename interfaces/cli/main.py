"""``manufactory``: run the server and the projections, manage users, audit, and act on
manufacturing config. Errors are one readable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from application.connections import ConnectionLimitError, connections_per_process, fit_pools
from application.settings import Settings
from application.system import Manufactory
from domain.errors import DomainError
from domain.events import CommandMeta
from interfaces.cli.catalog import catalog, chains
from interfaces.cli.client import CliError
from interfaces.cli.crafting import crafting
from interfaces.cli.duties import run_elected
from interfaces.cli.eve import eve
from interfaces.cli.industry import characters, jobs, plans, runs
from interfaces.cli.manufacturing import manufacturing
from interfaces.cli.market import economics, market
from projections.dead_letters import DeadLetter
from projections.runtime import ProjectionError
from projections.users import list_tokens, list_users

console = Console(stderr=True)
LISTED_LETTERS = 100  # dead letters listed per projection (once an aggregate has one, its later events join it)


def _open() -> Manufactory:
    return Manufactory.open(Settings.from_env())


@click.group()
def cli() -> None:
    """Manufactory: event-sourced planning and running of game manufacturing."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-projections", is_flag=True, help="Leave the read models to `manufactory projections run`")
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="API processes on one port, each serving commands and queries (PostgreSQL only); "
    "each background duty runs in one of them at a time",
)
def serve(host: str, port: int, no_projections: bool, access_log: bool, workers: int) -> None:
    """Run the API server (embedded SQLite under ./var/ unless MANUFACTORY_DATABASE_URL is set)."""
    import uvicorn

    from interfaces.http.app import create_app
    from projections.collector import freeze_start_up_heap

    settings = Settings.from_env()
    if workers > 1 and settings.postgres_conninfo is None:
        raise CliError(
            f"--workers {workers} needs PostgreSQL (MANUFACTORY_DATABASE_URL=postgresql://...): "
            "an embedded SQLite database is served by one process"
        )
    settings = _pools_that_fit(settings, workers)
    system = Manufactory.open(settings)
    issued = system.ensure_local_user()
    if issued is not None:
        click.echo(f"Created user '{issued.name}'. Its API token (shown only this once):\n\n    {issued.token}\n")
        click.echo(f"    export MANUFACTORY_TOKEN={issued.token}\n")
    click.echo(
        f"Console: http://{host}:{port}/ (sign in with an API token); API reference: http://{host}:{port}/schema"
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": access_log,
        "timeout_graceful_shutdown": 3,  # open event streams must not hold up a shutdown
        "log_level": "info",
    }
    if workers > 1:
        system.close()  # the schema is migrated, once; each worker opens a system of its own
        os.environ["MANUFACTORY_DATABASE_POOL_SIZE"] = str(settings.database_pool_size)  # the workers' settings
        _serve_workers(workers, run_projections=not no_projections, **options)
        return
    try:
        app = create_app(system, run_projections=not no_projections)
        freeze_start_up_heap()
        uvicorn.run(app, **options)
    finally:
        system.close()


def _pools_that_fit(settings: Settings, processes: int) -> Settings:
    """The settings with connection pools that ``processes`` server processes can all fill
    within PostgreSQL's ``max_connections``; said when they are smaller than the default."""
    try:
        fitted = fit_pools(settings, processes, pool_size_set="MANUFACTORY_DATABASE_POOL_SIZE" in os.environ)
    except ConnectionLimitError as error:
        raise CliError(str(error)) from None
    if fitted.database_pool_size < settings.database_pool_size:
        each = connections_per_process(fitted.database_pool_size)
        click.echo(
            f"Database pools of {fitted.database_pool_size} in each server process (up to {each} PostgreSQL "
            f"connections each), so that {processes} fit max_connections; MANUFACTORY_DATABASE_POOL_SIZE sets them"
        )
    return fitted


def _serve_workers(workers: int, *, run_projections: bool, **options: Any) -> None:
    """Uvicorn's own supervisor: it binds the port once, spawns ``workers`` processes that
    accept on the shared socket (the kernel spreads the connections), pings them and replaces
    one that dies or hangs, and stops them all on Ctrl-C or SIGTERM. Each builds its app with
    ``worker_app`` (spawned, not forked: no connection or thread is inherited). Chosen over a
    supervisor of our own: it is the server's documented way to run workers, and restarting a
    dead worker is exactly what a home-made one would have to get right."""
    from functools import partial

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from interfaces.http.workers import worker_app

    # A busy worker may be slow to answer a ping; a dead one is seen at once all the same.
    config = uvicorn.Config(
        partial(worker_app, run_projections), factory=True, workers=workers, timeout_worker_healthcheck=30, **options
    )
    socket = config.bind_socket()
    socket.listen(config.backlog)  # at once: connections wait for the workers, never refused
    Multiprocess(config, sockets=[socket]).run()


@cli.command()
def migrate() -> None:
    """Bring the read-model schema up to date."""
    with _open():
        click.echo("read-model schema is up to date")


@cli.group()
def users() -> None:
    """Users, their API tokens, and who is an admin."""


class Duration(click.ParamType[timedelta]):
    """A lifetime such as 30d, 12h, 90m or 3600s."""

    name = "duration"
    _UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        text = str(value).strip().lower()
        unit = self._UNITS.get(text[-1:])
        if unit is None or not text[:-1].isdigit() or int(text[:-1]) <= 0:
            self.fail(f"{value!r} is not a lifetime such as 30d, 12h, 90m or 3600s", param, ctx)
        return timedelta(**{unit: int(text[:-1])})


expires_in_option = click.option(
    "--expires-in", type=Duration(), default=None, help="The token stops working after this, e.g. 30d (default: never)"
)


def _meta_of(user_id: UUID) -> CommandMeta:
    """The operator at the CLI acts as the user it changes."""
    return CommandMeta(user_id=user_id, correlation_id=str(uuid4()))


@users.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="An admin's token also sees the server's internals (GET /health)")
@expires_in_option
def users_create(name: str, admin: bool, expires_in: timedelta | None) -> None:
    """Create a user and print its API token (stored only as a hash)."""
    with _open() as system:
        issued = system.users.create_user(name, admin=admin, expires_in=expires_in)
        system.projections.catch_up("users")
    click.echo(issued.token)


@users.command("token")
@click.argument("name")
@expires_in_option
def users_token(name: str, expires_in: timedelta | None) -> None:
    """Issue another API token for an existing user."""
    with _open() as system:
        user_id = system.users.user_id(name)
        issued = system.users.issue_token(user_id, _meta_of(user_id), expires_in)
        system.projections.catch_up("users")
    click.echo(issued.token)


@users.command("tokens")
@click.argument("name")
def users_tokens(name: str) -> None:
    """A user's live tokens, newest first: id, when issued, last used (to the minute) and when they expire."""
    with _open() as system:
        user_id = system.users.user_id(name)
        system.projections.catch_up("users")
        with system.query_engine.connect() as connection:
            tokens = list_tokens(connection, user_id)
    click.echo(f"{'token id':<36}  {'issued':<16}  {'last used':<16}  expires")
    for token in tokens:
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        expires = f"{token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "never"
        click.echo(f"{token.token_id}  {token.issued_at:%Y-%m-%d %H:%M}  {used:<16}  {expires}")


@users.command("revoke")
@click.argument("name")
@click.argument("token_id", type=click.UUID)
def users_revoke(name: str, token_id: UUID) -> None:
    """Revoke one of a user's tokens: servers stop accepting it within MANUFACTORY_TOKEN_CACHE_TTL_SEC."""
    with _open() as system:
        user_id = system.users.user_id(name)
        system.users.revoke_token(user_id, token_id, _meta_of(user_id))
        system.projections.catch_up("users")
    click.echo(f"revoked token {token_id} of {name}")


@users.command("grant-admin")
@click.argument("name")
def users_grant_admin(name: str) -> None:
    """Make a user an admin (recorded as an event; servers see it within the token cache's lifetime)."""
    _set_admin(name, True)
    click.echo(f"{name} is an admin")


@users.command("revoke-admin")
@click.argument("name")
def users_revoke_admin(name: str) -> None:
    """Make an admin an ordinary user again."""
    _set_admin(name, False)
    click.echo(f"{name} is not an admin")


def _set_admin(name: str, admin: bool) -> None:
    with _open() as system:
        user_id = system.users.user_id(name)
        system.users.set_admin(user_id, admin, _meta_of(user_id))
        system.projections.catch_up("users")


@users.command("list")
def users_list() -> None:
    with _open() as system:
        system.projections.catch_up("users")
        with system.query_engine.connect() as connection:
            for user in list_users(connection):
                admin = "  admin" if user.admin else ""
                click.echo(f"{user.name:<24} {user.user_id}  since {user.created_at:%Y-%m-%d %H:%M}{admin}")


@cli.group()
def projections() -> None:
    """Read-model projections: status, running, blue/green rebuilds, dead letters."""


@projections.command("status")
def projections_status() -> None:
    """Each projection's position and lag behind the event log, then its dead letters."""
    with _open() as system:
        click.echo(f"{'projection':<16} {'gen':>4} {'position':>10} {'head':>10} {'lag':>8}  note")
        statuses = system.projections.status()
        for s in statuses:
            note = (
                f"rebuilding gen {s.rebuilding_generation} at {s.rebuilding_position}"
                if s.rebuilding_generation
                else ""
            )
            note = f"{note} error: {s.last_error}" if s.last_error else note
            click.echo(f"{s.name:<16} {s.generation:>4} {s.position:>10} {s.head:>10} {s.lag:>8}  {note}")
        letters = {s.name: system.projections.dead_letters(s.name, LISTED_LETTERS) for s in statuses if s.dead_letters}
    for s in statuses:
        if s.dead_letters:
            click.echo(f"\n{s.name}: {s.dead_letters} dead letters (`manufactory projections retry {s.name}`)")
            for letter in letters[s.name]:
                click.echo(f"  {_dead_letter_line(letter)}")
            if s.dead_letters > LISTED_LETTERS:
                click.echo(f"  ... the first {LISTED_LETTERS} listed")


@projections.command("retry")
@click.argument("name")
def projections_retry(name: str) -> None:
    """Apply a projection's dead letters again, in log order (after fixing their cause)."""
    with _open() as system:
        outcomes = system.projections.retry(name)
    for outcome in outcomes:
        click.echo(f"{outcome.result:<8} {_dead_letter_line(outcome.letter)}")
    applied = sum(outcome.result == "applied" for outcome in outcomes)
    click.echo(f"{name}: {applied} applied, {len(outcomes) - applied} still dead letters")


def _dead_letter_line(letter: DeadLetter) -> str:
    """Position, aggregate (and version), event type, user, attempts and error, on one line."""
    event_type = letter.topic.rpartition(":")[2]
    return (
        f"position {letter.position}  {event_type} {letter.originator_id} v{letter.originator_version}  "
        f"user {letter.user_id or '?'}  attempts {letter.attempts}  {letter.error}"
    )


@projections.command("run")
def projections_run() -> None:
    """Run every projection in the foreground until interrupted (standing by while another
    process of the same database runs them)."""
    with _open() as system:
        run_elected(system, "projections", "projections running")


@projections.command("rebuild")
@click.argument("name", required=False)
def projections_rebuild(name: str | None) -> None:
    """Rebuild one (or every) projection from event 1 into fresh tables, then swap them in."""
    with _open() as system:
        for each in [projection.name for projection in system.projections.selected(name)]:
            with Progress(
                TextColumn(f"[bold]{each}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
            ) as progress:
                task = progress.add_task(each, total=None)

                def advance(position: int, head: int, task: TaskID = task) -> None:
                    progress.update(task, completed=position, total=head)

                generation = system.projections.rebuild(each, advance)
            click.echo(f"{each}: rebuilt as generation {generation} and swapped in")


@cli.command()
@click.argument("aggregate_id", type=click.UUID)
@click.option("--version", type=int, default=None, help="Show the state as of this version")
@click.option(
    "--after", type=click.IntRange(min=0), default=0, show_default=True, help="List the events after this version"
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=1000, show_default=True, help="List at most this many events"
)
def audit(aggregate_id: UUID, version: int | None, after: int, limit: int) -> None:
    """A page of an aggregate's events (who, when, correlation id, payload; "version" is its
    newest), or its state at a version."""
    from application.audit import audit as audit_query

    with _open() as system:
        result = audit_query(system.store, None, aggregate_id, version, after=after, limit=limit)
    click.echo(msgspec.json.format(msgspec.json.encode(result), indent=2).decode())


@cli.group("auto-production")
def auto_production() -> None:
    """The runner that turns stockpile deficits into plan runs."""


@auto_production.command("tick")
def auto_production_tick() -> None:
    """Run one pass now and print what it did."""
    with _open() as system:
        report = system.auto_production.tick()
    click.echo(f"tick {report.tick_id}: {report.markers} enabled markers, {len(report.generated)} runs generated")
    for outcome in report.outcomes:
        run = f" run {outcome.run_id}" if outcome.run_id else ""
        detail = f": {outcome.detail}" if outcome.detail else ""
        click.echo(
            f"  plan {outcome.plan_id}: {outcome.action}{run} (gross {outcome.gross_deficit}, "
            f"pending {outcome.pending_output}, net {outcome.net_deficit}){detail}"
        )


@auto_production.command("run")
def auto_production_run() -> None:
    """Tick every MANUFACTORY_AUTO_PRODUCTION_INTERVAL_SEC in the foreground (not at start-up;
    standing by while another process of the same database ticks)."""
    with _open() as system:
        running = f"auto-production: first tick in {system.auto_production.interval_sec:g} s"
        run_elected(system, "auto-production", running)


cli.add_command(manufacturing)
cli.add_command(catalog)
cli.add_command(chains)
cli.add_command(crafting)
cli.add_command(market)
cli.add_command(economics)
cli.add_command(eve)
for group in (plans, runs, jobs, characters):
    cli.add_command(group)


def _option_named(field: str) -> str:
    """A domain error's field (a Python name) as the CLI's options spell it: ``expires_in`` ->
    ``expires-in`` (``--expires-in``)."""
    return field.replace("_", "-")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (CliError, DomainError, ProjectionError) as error:
        field = f" ({_option_named(error.field)})" if isinstance(error, DomainError) and error.field else ""
        click.echo(f"error{field}: {error}", err=True)
        sys.exit(1)
    except Exception as error:  # one readable line, never a traceback
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        click.echo(f"error: {type(error).__name__}: {message}", err=True)
        sys.exit(1)
