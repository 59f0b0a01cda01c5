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
    """Serve a stand-in ESI seeded from the sample catalog (point MANUFACTORY_ESI_BASE_URL at it).

    Knobs for misbehaviour: PATCH /_standin/knobs; what it was asked: GET /_standin/requests."""
    import uvicorn

    from interfaces.eve_standin.esi import character_number_tokens, esi_standin

    click.echo(f"stand-in ESI on http://{host}:{port} (export MANUFACTORY_ESI_BASE_URL=http://{host}:{port})")
    uvicorn.run(esi_standin(character_number_tokens), host=host, port=port, log_level="info", access_log=False)
