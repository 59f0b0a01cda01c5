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
    uvicorn.run(fake_eve(), host=host, port=port, log_level="info", access_log=False)
