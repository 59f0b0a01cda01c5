"""``manufactory eve``: the game connection (EVE Online), and a local stand-in of the game's
servers to try it against."""

from __future__ import annotations

import click


@click.group()
def eve() -> None:
    """EVE Online: the game's API (ESI) and login (SSO)."""


@eve.command("fake-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=int)
def fake_server(host: str, port: int) -> None:
    """Serve a stand-in of the game's SSO and ESI, seeded from the sample catalog (point
    MANUFACTORY_EVE_SSO_URL and MANUFACTORY_ESI_BASE_URL at it).

    Knobs for misbehaviour: PATCH /_standin/knobs; what it was asked: GET /_standin/requests."""
    import uvicorn

    from interfaces.eve_standin.app import fake_eve

    address = f"http://{host}:{port}"
    click.echo(
        f"stand-in EVE on {address} (export MANUFACTORY_EVE_SSO_URL={address} MANUFACTORY_ESI_BASE_URL={address})"
    )
    uvicorn.run(fake_eve(), host=host, port=port, log_level="info", access_log=False, date_header=False)


@eve.command("sync")
@click.option("--user", "user_name", help="Whose characters (default: every user with a linked character)")
@click.option("--character", "character_id", type=int, help="Only this linked character (and no region)")
@click.option(
    "--corporation", "corporation_id", type=int, help="Only this corporation of a linked character (and no region)"
)
@click.option("--what", help="Only this step: jobs, assets, skills, blueprints, market (or one added since)")
def sync(user_name: str | None, character_id: int | None, corporation_id: int | None, what: str | None) -> None:
    """Sync with the game now, due or not, and show each step's outcome (a failure is shown
    and the others go on). The server's loop does this on its own when each step is due."""
    from application.settings import Settings
    from application.system import Manufactory
    from interfaces.cli.catalog import user_id_of

    with Manufactory.open(Settings.from_env()) as system:
        system.eve_sync.ensure_step(what)
        users = [user_id_of(system, user_name)] if user_name else system.eve_sync.users()
        for user_id in users:
            for status in system.eve_sync.sync_now(user_id, character_id, what, corporation_id):
                outcome = f"error: {status.last_error}" if status.last_error else f"{status.changes} changed"
                click.echo(
                    f"{status.subject} {status.subject_id} {status.what}: {outcome}"
                    f" ({status.requests} requests, {status.pages} pages, {status.cache_hits} from the cache)"
                )
