"""``manufactory manufacturing ...``: containers and their live config, through the server."""

from __future__ import annotations

import json
from typing import Any

import click

from interfaces.cli.client import ApiClient

HISTORY_PAGE = 1000  # changes asked for at a time (the API's default page)

SUPPLY_FLAGS = {
    "collect_start_supply": "collectMinStartSupply",
    "collect_execute_supply": "collectMinExecuteSupply",
    "acquire_start_supply": "acquireMinStartSupply",
    "acquire_execute_supply": "acquireMinExecuteSupply",
}
container_option = click.option("--container", "container", required=True, help="Container ID")
player_option = click.option(
    "--player-id",
    type=int,
    default=None,
    hidden=True,
    help="Accepted for compatibility; the player is your token's user",
)


def _path(container: str, suffix: str = "") -> str:
    return f"/v1/manufacturing/containers/{container}{suffix}"


def render_config(container: dict[str, Any]) -> str:
    """The report laid out as in the coordinator spec."""
    config = container["config"]
    return "\n".join(
        [
            "Manufacturing Coordinator Configuration",
            "=======================================",
            f"Container:     {container['containerId']}",
            f"Status:        {container['status']}",
            f"System:        {container['systemSymbol']}",
            "",
            "Pipeline Settings:",
            f"  Max Pipelines:        {config['maxPipelines']}",
            f"  Max Workers:          {config['maxWorkers']}",
            "",
            "Collection Thresholds (COLLECT_SELL tasks):",
            f"  Min Start Supply:     {config['collectMinStartSupply']}",
            f"  Min Execute Supply:   {config['collectMinExecuteSupply']}",
            "",
            "Acquisition Thresholds (ACQUIRE_DELIVER tasks):",
            f"  Min Start Supply:     {config['acquireMinStartSupply']}",
            f"  Min Execute Supply:   {config['acquireMinExecuteSupply']}",
            "",
            "Other Settings:",
            f"  Min Purchase Price:   {config['minPurchasePrice']}",
            f"  Strategy:             {config['strategy']}",
            f"  Min Balance:          {config['minBalance']}",
            f"  Mode:                 {config['mode']}",
        ]
    )


@click.group()
def manufacturing() -> None:
    """Manufacturing coordinator containers and their runtime configuration."""


@manufacturing.group()
def containers() -> None:
    """Register and list coordinator containers."""


@containers.command("register")
@container_option
@click.option("--system", "system_symbol", required=True, help="System symbol, e.g. X1-YZ19")
@click.option("--strategy", required=True, help="Coordinator strategy, e.g. prefer-fabricate")
def register(container: str, system_symbol: str, strategy: str) -> None:
    """Register a container with the default configuration."""
    body = {"containerId": container, "systemSymbol": system_symbol, "strategy": strategy}
    result = ApiClient().request("POST", "/v1/manufacturing/containers", body)
    click.echo(f"registered {result['container']['containerId']} (aggregate {result['aggregateId']})")


@containers.command("list")
def list_() -> None:
    """List your containers with their status."""
    result = ApiClient().request("GET", "/v1/manufacturing/containers")
    for item in result["containers"]:
        click.echo(f"{item['containerId']:<40} {item['status']:<8} {item['systemSymbol']:<12} v{item['version']}")


@manufacturing.group()
def config() -> None:
    """Show, change, watch and audit a container's configuration."""


@config.command("show")
@container_option
@player_option
def show(container: str, player_id: int | None) -> None:
    """Show the current configuration."""
    click.echo(render_config(ApiClient().request("GET", _path(container))))


@config.command("set")
@container_option
@player_option
@click.option("--max-pipelines", type=int, help="Maximum concurrent pipelines")
@click.option("--max-workers", type=int, help="Maximum concurrent workers")
@click.option("--collect-start-supply", help="Min supply to START collect tasks")
@click.option("--collect-execute-supply", help="Min supply to EXECUTE collect tasks")
@click.option("--acquire-start-supply", help="Min supply to START acquire tasks")
@click.option("--acquire-execute-supply", help="Min supply to EXECUTE acquire tasks")
@click.option("--min-purchase-price", type=int, help="Minimum purchase price")
@click.option("--strategy", help="Coordinator strategy")
@click.option("--min-balance", type=int, help="Credits to keep in reserve (0 or more)")
@click.option("--mode", help="parallel_task_based or sequential_task_based")
def set_(container: str, player_id: int | None, **flags: Any) -> None:
    """Change only the given settings. Valid supply levels: SCARCE, LIMITED, MODERATE, HIGH, ABUNDANT."""
    names = {
        **SUPPLY_FLAGS,
        "max_pipelines": "maxPipelines",
        "max_workers": "maxWorkers",
        "min_purchase_price": "minPurchasePrice",
        "strategy": "strategy",
        "min_balance": "minBalance",
        "mode": "mode",
    }
    body = {names[flag]: value for flag, value in flags.items() if value is not None}
    if not body:
        raise click.UsageError("give at least one setting to change, e.g. --max-pipelines 5")
    client = ApiClient()
    result = client.request("PATCH", _path(container, "/config"), body)
    click.echo(f"{result['message']} (version {result['version']})")
    click.echo(render_config(client.request("GET", _path(container) + f"?minPosition={result['position']}")))


@config.command("history")
@container_option
def history(container: str) -> None:
    """Every change: old and new values, who, when (read a page at a time, oldest first)."""
    client, offset = ApiClient(), 0
    while True:
        page = client.request("GET", _path(container, f"/config/history?limit={HISTORY_PAGE}&offset={offset}"))
        for entry in page["entries"]:
            changes = ", ".join(f"{name} {c['old']} -> {c['new']}" for name, c in entry["changes"].items())
            click.echo(
                f"v{entry['version']:<4} {entry['changedAt']}  {entry['kind']:<10} by {entry['changedBy']}  {changes}"
            )
        if len(page["entries"]) < HISTORY_PAGE:
            return
        offset += HISTORY_PAGE


@config.command("watch")
@container_option
def watch(container: str) -> None:
    """Print each new configuration as it changes (Ctrl-C to stop)."""
    for _event, data in ApiClient().stream(_path(container, "/config/stream")):
        click.echo(json.dumps(json.loads(data)))
