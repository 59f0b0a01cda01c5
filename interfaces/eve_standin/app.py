"""The whole stand-in game on one address: its SSO and its ESI, the ESI trusting the tokens
the SSO signs (as the real ESI trusts the real SSO's)."""

from __future__ import annotations

from litestar import Litestar

from interfaces.eve_standin.esi import EsiStandin, Knobs, esi_routes
from interfaces.eve_standin.sso import StandInSso, sso_router
from interfaces.eve_standin.world import StandinWorld, seed_world


def fake_eve(sso: StandInSso | None = None, world: StandinWorld | None = None, knobs: Knobs | None = None) -> Litestar:
    """The stand-in SSO and ESI; ``app.state.sso`` and ``app.state.standin`` are their states."""
    sso = sso or StandInSso()
    standin = EsiStandin(world or seed_world(), sso.verify, knobs)
    app = Litestar(route_handlers=[sso_router(sso), *esi_routes(standin)], openapi_config=None, logging_config=None)
    app.state.sso = sso
    app.state.standin = standin
    return app
