"""``manufactory eve fake-server``: the stand-in SSO and ESI as their own process, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx

from interfaces.eve_standin.world import ANN
from tests.support import standin_game


def test_the_fake_server_serves_the_seeded_game_in_esi_s_shapes(tmp_path: Path) -> None:
    with standin_game(tmp_path) as url:
        prices = httpx.get(f"{url}/markets/prices/", timeout=2)
        assert prices.status_code == 200 and prices.json()[0]["type_id"] == 34
        assert {"etag", "expires", "last-modified", "x-esi-error-limit-remain"} <= set(prices.headers)
        token = {"Authorization": f"Bearer {logged_in_token(url)}"}
        jobs = httpx.get(f"{url}/characters/{ANN.character_id}/industry/jobs/", headers=token, timeout=2)
        assert {job["blueprint_type_id"] for job in jobs.json()} >= {691}
        again = httpx.get(f"{url}/markets/prices/", headers={"If-None-Match": prices.headers["etag"]}, timeout=2)
        assert again.status_code == 304
        assert httpx.get(f"{url}/characters/{ANN.character_id}/assets/", timeout=2).status_code == 401


def logged_in_token(url: str) -> str:
    """An access token the way a client gets one: authorize (auto-approved for Ann) with PKCE,
    then the code exchanged at the token endpoint."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": "tests",
        "redirect_uri": "http://127.0.0.1/callback",
        "scope": "esi-industry.read_character_jobs.v1",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    approved = httpx.get(f"{url}/v2/oauth/authorize", params=query, timeout=2)
    code = parse_qs(urlparse(approved.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "client_id": "tests"}
    answer = httpx.post(f"{url}/v2/oauth/token", data=form, timeout=2)
    return str(answer.json()["access_token"])
