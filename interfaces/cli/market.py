"""``manufactory market import`` and ``manufactory economics update | run``: local commands on
a user's market data and on the stored economics rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from application.market import MarketImport, RecordedBatch, split
from application.market_sources import files_time, read_adjusted_prices, read_cost_indices, read_orders
from application.settings import Settings
from application.system import Manufactory
from domain.economics.settings import JobSite
from domain.errors import InvalidInput
from domain.events import CommandMeta
from interfaces.cli.catalog import user_id_of, user_option
from interfaces.cli.duties import run_elected

console = Console(stderr=True)
existing = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def market() -> None:
    """Market data: a region's prices, the game's adjusted prices and cost indices."""


@market.command("import")
@click.argument("orders", nargs=-1, type=existing)
@click.option("--region", type=int, required=True, help="The region the order files are from, e.g. 10000002")
@click.option("--prices", type=existing, help="Adjusted prices (ESI /markets/prices/)")
@click.option("--systems", type=existing, help="Cost indices (ESI /industry/systems/)")
@click.option("--job-system", type=int, help="Price this region's jobs at this solar system (NPC station rates)")
@click.option("--location", "locations", type=int, multiple=True, help="Only orders at this station or structure")
@click.option("--observed-at", help="When the files were fetched (ISO 8601 with offset); default: their mtime")
@click.option("--no-depth", is_flag=True, help="Skip the order-book depth (percentile prices become approximate)")
@click.option("--shared", is_flag=True, help="Record public market data everyone shares, as --user (an admin)")
@user_option
def import_(
    orders: tuple[Path, ...],
    region: int,
    prices: Path | None,
    systems: Path | None,
    job_system: int | None,
    locations: tuple[int, ...],
    observed_at: str | None,
    no_depth: bool,
    shared: bool,
    user_name: str,
) -> None:
    """Record ORDERS (a region's ESI /markets/{region}/orders/ pages: JSON arrays, JSON lines or
    .gz) with --prices and --systems, as batches of at most 50,000 entries (one event each): as
    --user's private prices, or with --shared as the public market data everyone shares (recorded
    as --user's, who must be an admin)."""
    files = [*orders, *(path for path in (prices, systems) if path)]
    if not files:
        raise click.UsageError("give order files, --prices or --systems")
    when = _time(observed_at) if observed_at else files_time(files)
    site = JobSite(solar_system_id=job_system) if job_system else None
    with Manufactory.open(Settings.from_env()) as system:
        meta = CommandMeta(user_id=user_id_of(system, user_name), correlation_id=str(uuid.uuid4()))
        if shared:  # before reading what may be a whole region's order book
            system.market.ensure_may_record_shared(meta.user_id)
        data = _read(orders, region, prices, systems, when, locations, not no_depth)
        with Progress(TextColumn("recording"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
            task = bar.add_task("record", total=len(split(data)))

            def recorded(_: RecordedBatch) -> None:
                bar.advance(task)

            results = system.market.record_all(region, data, site, _source(files), meta, when, recorded, shared=shared)
        report = system.economics_updater.update_pending(meta.user_id)
        regions = {view.region_id: view for view in system.economics.regions_of(meta.user_id)}
    new = sum(result.changed for result in results)
    click.echo(
        f"{new} of {len(results)} batches recorded ({len(results) - new} seen before); "
        f"economics: {report.computed} rows worked out, {report.changed} changed"
    )
    if regions[region].job_site is None:
        click.echo(f"region {region} has no job site, so job costs are unknown: pass --job-system SOLAR_SYSTEM_ID")


@click.group()
def economics() -> None:
    """The stored production economics rows (the updater runs in the server too)."""


@economics.command("update")
@click.option("--all", "everything", is_flag=True, help="Recompute every row, not only what changes made stale")
@click.option("--user", "user_name", default=None, help="Only this user's rows")
def update(everything: bool, user_name: str | None) -> None:
    """Recompute the rows that market, catalog and plan changes made stale (or every row), now."""
    with Manufactory.open(Settings.from_env()) as system:
        owner = user_id_of(system, user_name) if user_name else None
        updater = system.economics_updater
        report = updater.refresh(None, owner) if everything else updater.update_pending(owner)
    click.echo(
        f"{report.users} users, {report.regions} regions: {report.computed} rows worked out, "
        f"{report.changed} changed, {report.removed} removed in {report.seconds:.1f} s"
    )


@economics.command("run")
def run() -> None:
    """Keep the rows current in the foreground: changes as they come, stale rows every
    MANUFACTORY_ECONOMICS_INTERVAL_SEC (standing by while another process of the same
    database does)."""
    with Manufactory.open(Settings.from_env()) as system:
        running = f"economics updater running (full pass every {system.settings.economics_interval_sec:g} s)"
        run_elected(system, "economics", running)


def _read(
    orders: tuple[Path, ...],
    region: int,
    prices: Path | None,
    systems: Path | None,
    when: datetime,
    locations: tuple[int, ...],
    depth: bool,
) -> MarketImport:
    quotes = []
    if orders:
        columns = (TextColumn("reading"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("read", total=sum(path.stat().st_size for path in orders))
            quotes = read_orders(
                orders,
                region,
                observed_at=when,
                location_ids=locations or None,
                depth=depth,
                progress=lambda done: bar.advance(task, done),
            )
    data = MarketImport(
        quotes=quotes,
        adjusted=read_adjusted_prices(prices, observed_at=when) if prices else [],
        indices=read_cost_indices(systems, observed_at=when) if systems else [],
    )
    click.echo(
        f"read {len(data.quotes)} quotes, {len(data.adjusted)} adjusted prices, {len(data.indices)} cost indices",
        err=True,
    )
    return data


def _time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO 8601 time", "observed_at") from None
    if when.tzinfo is None:
        raise InvalidInput("give the time's UTC offset, e.g. 2026-03-01T12:00:00Z", "observed_at")
    return when


def _source(files: list[Path]) -> str:
    names = ", ".join(path.name for path in files)
    return names if len(names) <= 255 else f"{names[:250]}, ..."
