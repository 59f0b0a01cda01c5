"""``manufactory catalog ...`` and ``manufactory chains ...``: local commands on a user's catalog."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.tree import Tree

from application.catalog_sources import read_catalog
from application.settings import Settings
from application.system import LOCAL_USER, Manufactory
from domain.catalog.chains import ChainNode
from domain.catalog.model import RecipeChoice
from domain.errors import NotFound
from domain.events import CommandMeta
from projections.catalog import catalog_snapshot

user_option = click.option("--user", "user_name", default=LOCAL_USER, show_default=True, help="Whose catalog")
console = Console(stderr=True)


@click.group()
def catalog() -> None:
    """Import the static data of your game as your catalog."""


@catalog.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@user_option
@click.option(
    "--shared",
    is_flag=True,
    help="Import the shared catalog everyone without a private one follows, as --user (an admin)",
)
def import_(path: Path, user_name: str, shared: bool) -> None:
    """Import PATH: an SDE folder (YAML or JSON lines), a CSV dump folder, or our JSON format,
    as --user's private catalog, or with --shared as the shared catalog (recorded as --user's
    import, who must be an admin: `manufactory users grant-admin NAME`)."""
    if shared:  # before reading what may be a whole SDE
        with Manufactory.open(Settings.from_env()) as system:
            system.catalogs.ensure_may_import_shared(user_id_of(system, user_name))
    with Progress(TextColumn("reading"), BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("read", total=None)
        data = read_catalog(path, lambda done, total: bar.update(task, completed=done, total=total))
    click.echo(f"read {len(data.items)} items and {len(data.recipes)} recipes; recording...", err=True)
    with Manufactory.open(Settings.from_env()) as system:
        user_id = user_id_of(system, user_name)
        meta = CommandMeta(user_id=user_id, correlation_id=str(uuid.uuid4()))
        if shared:
            result = system.catalogs.import_shared(data, str(path), meta)
        else:
            result = system.catalogs.import_catalog(data, str(path), meta)
        system.projections.catch_up("catalog")
    summary = result.summary
    if summary is None:
        click.echo("unchanged: this data is already the current catalog version")
        return
    click.echo(
        f"catalog version {summary.catalog_version} ({summary.content_hash}): "
        f"items +{summary.items_added} ~{summary.items_changed} -{summary.items_removed}, "
        f"recipes +{summary.recipes_added} ~{summary.recipes_changed} -{summary.recipes_removed}"
    )


@catalog.command("follow-shared")
@user_option
def follow_shared(user_name: str) -> None:
    """Move --user's private catalog onto the shared one, if it holds the very same data (the
    shared catalog's current content hash); their bought marks move to their overlay. A
    catalog that differs stays private (and this says so); a later import makes it private again."""
    with Manufactory.open(Settings.from_env()) as system:
        user_id = user_id_of(system, user_name)
        meta = CommandMeta(user_id=user_id, correlation_id=str(uuid.uuid4()))
        system.catalogs.move_to_shared(user_id, meta)
        system.projections.catch_up("catalog")
    click.echo(f"{user_name} follows the shared catalog")


@catalog.group("own")
def own() -> None:
    """Items and recipes of --user's own, on their overlay of their catalog (nobody else's)."""


@own.command("add")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@user_option
def own_add(path: Path, user_name: str) -> None:
    """Add the items and recipes of PATH (our JSON catalog format, read as an import is) as
    --user's own: one with a catalog recipe's id replaces it for them (a private variant)."""
    data = read_catalog(path)
    with Manufactory.open(Settings.from_env()) as system:
        user_id = user_id_of(system, user_name)
        result = system.overlays.add_own(data.items, data.recipes, _meta(user_id))
        system.projections.catch_up("catalog")
    overlay = result.aggregate
    click.echo(f"{user_name} has {len(overlay.items)} items and {len(overlay.recipes)} recipes of their own")


@own.command("remove")
@click.option("--item", "type_ids", type=int, multiple=True, help="An item of their own to take back")
@click.option("--recipe", "recipe_ids", type=int, multiple=True, help="A recipe of their own to take back")
@user_option
def own_remove(type_ids: tuple[int, ...], recipe_ids: tuple[int, ...], user_name: str) -> None:
    """Take items and recipes of --user's own back (the catalog's of the same ids are theirs again)."""
    with Manufactory.open(Settings.from_env()) as system:
        user_id = user_id_of(system, user_name)
        for type_id in type_ids:
            system.overlays.remove_own_item(type_id, _meta(user_id))
        for recipe_id in recipe_ids:
            system.overlays.remove_own_recipe(recipe_id, _meta(user_id))
        system.projections.catch_up("catalog")
    click.echo(f"taken back: {len(type_ids)} items, {len(recipe_ids)} recipes")


@catalog.command("choose")
@click.argument("choices", nargs=-1)
@user_option
def choose(choices: tuple[str, ...], user_name: str) -> None:
    """Build each item with the chosen recipe in --user's chains: CHOICES are TYPE_ID:RECIPE_ID,
    replacing their previous choices (none: every item built by its default recipe again)."""
    try:
        chosen = [RecipeChoice(type_id=int(t), recipe_id=int(r)) for t, r in (c.split(":") for c in choices)]
    except ValueError:
        raise click.BadParameter("each choice is TYPE_ID:RECIPE_ID", param_hint="CHOICES") from None
    with Manufactory.open(Settings.from_env()) as system:
        system.overlays.choose(chosen, _meta(user_id_of(system, user_name)))
        system.projections.catch_up("catalog")
    click.echo(f"{user_name} chose {len(chosen)} recipes")


def _meta(user_id: uuid.UUID) -> CommandMeta:
    return CommandMeta(user_id=user_id, correlation_id=str(uuid.uuid4()))


@click.group()
def chains() -> None:
    """Production chains of your catalog's items."""


@chains.command("show")
@click.argument("type_id", type=int)
@user_option
def show(type_id: int, user_name: str) -> None:
    """Print the chain of TYPE_ID down to raw materials, quantities per parent run."""
    with Manufactory.open(Settings.from_env()) as system:
        user_id = user_id_of(system, user_name)
        system.projections.catch_up("catalog")
        with system.query_engine.connect() as connection:
            snapshot = catalog_snapshot(connection, user_id)
        if not snapshot.graph.alternatives(type_id):
            raise NotFound(f"no recipe in {user_name}'s catalog builds item {type_id}", "type_id")
    Console().print(_render(snapshot.graph.tree(type_id), snapshot.names))


def user_id_of(system: Manufactory, name: str) -> uuid.UUID:
    try:
        return system.users.user_id(name)
    except NotFound:
        raise NotFound(f"no user named {name!r}; create one with `manufactory users create {name}`", "user") from None


def _render(root: ChainNode, names: Mapping[int, str]) -> Tree:
    def label(node: ChainNode) -> str:
        made = f"  [dim]recipe {node.recipe_id}, {node.units_per_run}/run[/dim]" if node.recipe_id else ""
        return f"{node.quantity} × {names.get(node.type_id, node.type_id)} ({node.type_id}){made}"

    tree = Tree(f"[bold]{names.get(root.type_id, root.type_id)}[/bold] ({root.type_id})")
    stack = [(tree, child) for child in reversed(root.children)]
    while stack:
        parent, node = stack.pop()
        branch = parent.add(label(node))
        stack.extend((branch, child) for child in reversed(node.children))
    return tree
