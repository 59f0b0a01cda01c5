"""``manufactory crafting ...``: local commands on crafting worlds (the server's ticker does the
same work continuously; these are for operators and scripts)."""

from __future__ import annotations

import click

from application.settings import Settings
from application.system import LOCAL_USER, Manufactory
from domain.crafting_world import World
from interfaces.cli.catalog import user_id_of


@click.group()
def crafting() -> None:
    """Crafting worlds: timed production from recipes, inventories and managers."""


@crafting.command("tick")
def tick() -> None:
    """Complete every job due by now in every world, once, and save the records."""
    with Manufactory.open(Settings.from_env()) as system:
        caught_up = system.crafting.tick()
    click.echo(f"caught up {caught_up} world(s)")


@crafting.command("worlds")
@click.option("--user", "user_name", default=LOCAL_USER, show_default=True, help="Whose worlds")
def worlds(user_name: str) -> None:
    """A user's worlds: managers, running jobs and when the next one ends (Unix seconds)."""

    def line(world: World, now: float) -> str:
        managers = world.managers
        running = sum(manager.job_count() for manager in managers)
        due = world.next_due()
        next_due = f"{due - now:+.1f}s" if due is not None else "-"
        return f"{world.id}  {world.name:<24} {len(managers):>8} {running:>8}  {next_due}"

    with Manufactory.open(Settings.from_env()) as system:
        user_id = user_id_of(system, user_name)
        click.echo(f"{'world':<36}  {'name':<24} {'managers':>8} {'running':>8}  next due")
        for world_id in system.crafting.world_ids(user_id):
            click.echo(system.crafting.read(world_id, user_id, line))
