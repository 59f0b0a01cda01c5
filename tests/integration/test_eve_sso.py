"""Linking EVE characters through the SSO, against the stand-in SSO served over real HTTP
(uvicorn in a thread), on SQLite and PostgreSQL."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar.testing import TestClient

from application.eve.links import EveLinkService
from application.eve.secrets import token_cipher
from application.eve.sso import (
    ReauthorizationRequired,
    SsoClient,
    SsoNotConfigured,
    SsoUnavailable,
    TokenRejected,
    TokenVerifier,
)
from application.settings import DEFAULT_EVE_SCOPES, Settings
from application.system import Manufactory
from domain.errors import InvalidInput
from domain.eve.links import links_id
from interfaces.eve_standin.app import fake_eve
from interfaces.eve_standin.sso import DEFAULT_CHARACTER_ID, DEFAULT_CHARACTER_NAME, StandInSso
from interfaces.http.eve import callback_page
from interfaces.web.session import SESSION_COOKIE
from tests.conftest import Api
from tests.support import free_port, serving_app

CLIENT_ID = "manufactory-test-client"
CALLBACK = "http://testserver.local/v1/eve/callback"


@pytest.fixture
def standin() -> Iterator[tuple[StandInSso, str]]:
    sso = StandInSso(client_id=CLIENT_ID)
    with serving_app(fake_eve(sso)) as url:
        yield sso, url


@pytest.fixture
def settings(database_url: str, standin: tuple[StandInSso, str]) -> Settings:
    """The system's settings pointing at the stand-in; on PostgreSQL the key comes from the
    setting (no key file under the tests' working directory)."""
    return Settings(
        database_url=database_url,
        consistency_timeout_sec=5.0,
        projection_poll_sec=0.05,
        eve_client_id=CLIENT_ID,
        eve_sso_url=standin[1],
        eve_callback_url=CALLBACK,
        secret_key=None if database_url.startswith("sqlite") else "a test secret",
    )


def link(api: Api) -> dict[str, Any]:
    """The whole dance: our login redirect → the SSO's authorize → back to our callback."""
    login = api.get("/v1/eve/login", follow_redirects=False)
    assert login.status_code == 302, login.text
    back = httpx.get(login.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    answer = api.client.get(f"{callback.path}?{callback.query}")  # the browser: no bearer token
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def authorized_callback(api: Api) -> tuple[str, str]:
    """Start a login and let the SSO approve it: the code and state it sends back."""
    login = api.get("/v1/eve/login", follow_redirects=False)
    back = httpx.get(login.headers["location"], follow_redirects=False)
    query = parse_qs(urlsplit(back.headers["location"]).query)
    return query["code"][0], query["state"][0]


def test_a_character_is_linked_through_the_sso_and_listed_for_its_user_only(
    alice: Api, bob: Api, standin: tuple[StandInSso, str]
) -> None:
    login = alice.get("/v1/eve/login", follow_redirects=False)
    query = parse_qs(urlsplit(login.headers["location"]).query)
    assert login.headers["location"].startswith(f"{standin[1]}/v2/oauth/authorize?")
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["scope"][0].split() == list(DEFAULT_EVE_SCOPES)

    linked = link(alice)
    assert linked["character"]["characterId"] == DEFAULT_CHARACTER_ID
    listed = alice.get("/v1/eve/characters").json()["characters"]
    assert listed == [
        {
            "characterId": DEFAULT_CHARACTER_ID,
            "name": DEFAULT_CHARACTER_NAME,
            "scopes": sorted(DEFAULT_EVE_SCOPES),
            "tokenState": "ok",
            "reason": None,
            "corporationId": None,
            "lastSync": None,
        }
    ]
    assert bob.get("/v1/eve/characters").json() == {"characters": []}
    missing = bob.delete(f"/v1/eve/characters/{DEFAULT_CHARACTER_ID}")
    assert missing.status_code == 404 and missing.json()["field"] == "characterId"
    assert alice.get("/v1/eve/login", headers={"Authorization": ""}, follow_redirects=False).status_code == 401


def test_a_login_state_is_used_once_and_expires(system: Manufactory, alice: Api, settings: Settings) -> None:
    code, state = authorized_callback(alice)
    assert alice.client.get("/v1/eve/callback", params={"code": code, "state": state}).status_code == 200
    again = alice.client.get("/v1/eve/callback", params={"code": code, "state": state})
    assert again.status_code == 400 and again.json()["field"] == "state"
    assert alice.client.get("/v1/eve/callback", params={"code": code, "state": "forged"}).status_code == 400

    hasty = EveLinkService(
        system.store,
        system.eve_sso,
        system.eve_vault,
        system.esi_cache,
        msgspec.structs.replace(settings, eve_login_ttl_sec=0.0),
        system.users,
    )
    url = hasty.start_login(alice.user_id)
    back = httpx.get(url, follow_redirects=False)
    expired_state = parse_qs(urlsplit(back.headers["location"]).query)
    with pytest.raises(InvalidInput, match="expired"):
        hasty.finish_login(expired_state["code"][0], expired_state["state"][0])


def test_a_code_with_another_logins_verifier_is_refused(alice: Api) -> None:
    code, _ = authorized_callback(alice)
    _, other_state = authorized_callback(alice)  # its verifier does not match the first code's challenge
    refused = alice.client.get("/v1/eve/callback", params={"code": code, "state": other_state})
    assert refused.status_code == 400 and refused.json()["field"] == "code"
    assert "code_verifier" in refused.json()["detail"]
    assert alice.get("/v1/eve/characters").json() == {"characters": []}


def published(url: str) -> dict[str, str]:
    """The stand-in's metadata document (which also tells it the address it is served at)."""
    return httpx.get(f"{url}/.well-known/oauth-authorization-server").json()  # type: ignore[no-any-return]


def test_tokens_signed_by_another_key_for_another_audience_or_expired_are_refused(
    standin: tuple[StandInSso, str],
) -> None:
    sso, url = standin
    metadata = published(url)
    verifier = TokenVerifier(metadata["jwks_uri"], metadata["issuer"], CLIENT_ID)
    character = (DEFAULT_CHARACTER_ID, "Pilot", ("esi-skills.read_skills.v1",))
    good = verifier.verify(sso.access_token(*character, client_id=CLIENT_ID))
    assert (good.character_id, good.scopes) == (DEFAULT_CHARACTER_ID, ("esi-skills.read_skills.v1",))
    host = urlsplit(url).netloc
    assert verifier.verify(sso.access_token(*character, client_id=CLIENT_ID, issuer=host)).name == "Pilot"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = {
        "another key": sso.access_token(*character, client_id=CLIENT_ID, key=stranger),
        "another audience": sso.access_token(*character, client_id="someone-else"),
        "not for EVE": sso.access_token(*character, client_id=CLIENT_ID, audience=[CLIENT_ID]),
        "expired": sso.access_token(*character, client_id=CLIENT_ID, expires_in=-60),
        "another issuer": sso.access_token(*character, client_id=CLIENT_ID, issuer="https://login.example.com"),
    }
    for why, token in wrong.items():
        with pytest.raises(TokenRejected):
            verifier.verify(token)
            pytest.fail(f"a token with {why} was accepted")


def test_a_new_signing_key_is_fetched_when_a_token_names_it(standin: tuple[StandInSso, str]) -> None:
    sso, url = standin
    metadata = published(url)
    verifier = TokenVerifier(metadata["jwks_uri"], metadata["issuer"], CLIENT_ID, jwks_refetch_cooldown_sec=0)
    character = (DEFAULT_CHARACTER_ID, "Pilot", ("esi-skills.read_skills.v1", "esi-assets.read_assets.v1"))
    before = sso.access_token(*character, client_id=CLIENT_ID)
    assert verifier.verify(before).scopes == character[2]
    sso.rotate_key()
    assert verifier.verify(sso.access_token(*character, client_id=CLIENT_ID)).character_id == DEFAULT_CHARACTER_ID
    with pytest.raises(TokenRejected):  # its key is no longer published
        verifier.verify(before)


def test_a_refresh_stores_the_rotated_token_and_records_nothing_new(
    system: Manufactory, alice: Api, standin: tuple[StandInSso, str]
) -> None:
    link(alice)
    first = system.eve_vault.tokens(alice.user_id, DEFAULT_CHARACTER_ID)
    assert first is not None
    assert system.eve_sso.access_token(alice.user_id, DEFAULT_CHARACTER_ID) == first.access_token  # still fresh
    versions = len(system.store.history(links_id(alice.user_id)))

    access = system.eve_sso.refresh(alice.user_id, DEFAULT_CHARACTER_ID)
    second = system.eve_vault.tokens(alice.user_id, DEFAULT_CHARACTER_ID)
    assert second is not None and second.refresh_token != first.refresh_token and second.access_token == access
    holder = standin[0].verify(access)
    assert holder is not None and holder.character_id == DEFAULT_CHARACTER_ID
    assert len(system.store.history(links_id(alice.user_id))) == versions  # same scopes: no event
    system.eve_sso.refresh(alice.user_id, DEFAULT_CHARACTER_ID)  # the rotated token works in turn
    assert alice.get("/v1/eve/characters").json()["characters"][0]["tokenState"] == "ok"


def test_a_revoked_refresh_token_asks_for_reauthorization_until_linked_again(
    system: Manufactory, alice: Api, standin: tuple[StandInSso, str]
) -> None:
    link(alice)
    standin[0].revoke(DEFAULT_CHARACTER_ID)
    with pytest.raises(ReauthorizationRequired, match="re-authorization"):
        system.eve_sso.refresh(alice.user_id, DEFAULT_CHARACTER_ID)
    (listed,) = alice.get("/v1/eve/characters").json()["characters"]
    assert listed["tokenState"] == "reauthorize" and "Invalid refresh token" in listed["reason"]
    with pytest.raises(ReauthorizationRequired):  # not asked again of the SSO
        system.eve_sso.access_token(alice.user_id, DEFAULT_CHARACTER_ID)
    link(alice)
    assert alice.get("/v1/eve/characters").json()["characters"][0]["tokenState"] == "ok"
    assert system.eve_sso.refresh(alice.user_id, DEFAULT_CHARACTER_ID)


def test_unlinking_erases_the_tokens(system: Manufactory, alice: Api) -> None:
    link(alice)
    assert system.eve_vault.tokens(alice.user_id, DEFAULT_CHARACTER_ID) is not None
    unlinked = alice.delete(f"/v1/eve/characters/{DEFAULT_CHARACTER_ID}")
    assert unlinked.status_code == 200 and unlinked.json()["status"] == "unlinked"
    assert system.eve_vault.tokens(alice.user_id, DEFAULT_CHARACTER_ID) is None
    assert alice.get("/v1/eve/characters").json() == {"characters": []}
    assert alice.delete(f"/v1/eve/characters/{DEFAULT_CHARACTER_ID}").status_code == 404


def test_no_token_reaches_the_event_store_the_audit_or_the_tokens_table_in_clear(
    system: Manufactory, alice: Api, standin: tuple[StandInSso, str]
) -> None:
    link(alice)
    secrets: list[str] = []
    for _ in range(2):
        tokens = system.eve_vault.tokens(alice.user_id, DEFAULT_CHARACTER_ID)
        assert tokens is not None and tokens.access_token is not None
        secrets += [tokens.refresh_token, tokens.access_token]
        system.eve_sso.refresh(alice.user_id, DEFAULT_CHARACTER_ID)
    standin[0].revoke()
    with pytest.raises(ReauthorizationRequired):
        system.eve_sso.refresh(alice.user_id, DEFAULT_CHARACTER_ID)
    assert secrets[0] not in repr(tokens)

    stored = b"".join(n.state for n in system.store.recorder.select_notifications(start=1, limit=100_000))
    assert DEFAULT_CHARACTER_NAME.encode() in stored  # the events are there...
    audit = alice.get(f"/v1/audit/{links_id(alice.user_id)}").text
    assert "EveReauthorizationNeeded" in audit
    with system.read_engine.connect() as connection:
        table = repr(connection.exec_driver_sql("SELECT * FROM eve_tokens").all())
    for secret in secrets:  # ...and no token, in any of them
        assert secret.encode() not in stored and secret not in audit and secret not in table


def test_the_key_file_is_created_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/db/manufactory.sqlite")
    sealed = token_cipher(settings).encrypt(b"refresh")
    mode = stat.S_IMODE(settings.secret_key_path.stat().st_mode)
    assert settings.secret_key_path == tmp_path / "db" / "secret.key" and mode == 0o600
    assert token_cipher(settings).decrypt(sealed) == b"refresh"  # the same key the next time
    assert (
        token_cipher(msgspec.structs.replace(settings, secret_key="s")).decrypt(
            token_cipher(msgspec.structs.replace(settings, secret_key="s")).encrypt(b"x")
        )
        == b"x"
    )


def test_an_unreachable_or_unconfigured_sso_says_so(system: Manufactory, alice: Api, settings: Settings) -> None:
    nowhere = msgspec.structs.replace(settings, eve_sso_url=f"http://127.0.0.1:{free_port()}")
    offline = SsoClient(nowhere, system.eve_vault, system.store)
    with pytest.raises(SsoUnavailable, match="metadata"):
        service_on(system, offline, nowhere).start_login(alice.user_id)
    unconfigured = SsoClient(msgspec.structs.replace(settings, eve_client_id=None), system.eve_vault, system.store)
    with pytest.raises(SsoNotConfigured, match="MANUFACTORY_EVE_CLIENT_ID"):
        service_on(system, unconfigured, nowhere).start_login(alice.user_id)


def service_on(system: Manufactory, sso: SsoClient, settings: Settings) -> EveLinkService:
    return EveLinkService(system.store, sso, system.eve_vault, system.esi_cache, settings, system.users)


# ------------------------------------------------------------------ the page a browser sees

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def assert_standalone_page(answer: httpx.Response) -> str:
    """An HTML page with its policy, fetching nothing: no script, no address but our login's."""
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == PAGE_POLICY
    page = answer.text
    assert "<script" not in page and "src=" not in page and "http" not in page
    assert page.count("href=") == page.count('href="/v1/eve/login"')
    return page


def test_a_browser_coming_back_gets_a_page_naming_the_character_and_its_scopes(
    alice: Api, standin: tuple[StandInSso, str]
) -> None:
    standin[0].name = "Ann <b>&</b> Co"
    code, state = authorized_callback(alice)
    answer = alice.client.get("/v1/eve/callback", params={"code": code, "state": state}, headers=BROWSER)
    assert answer.status_code == 200
    page = assert_standalone_page(answer)
    assert "Ann &lt;b&gt;&amp;&lt;/b&gt; Co" in page and f"({DEFAULT_CHARACTER_ID})" in page
    assert all(f"<code>{scope}</code>" in page for scope in DEFAULT_EVE_SCOPES)
    (listed,) = alice.get("/v1/eve/characters").json()["characters"]
    assert listed["name"] == "Ann <b>&</b> Co"

    code, state = authorized_callback(alice)  # a client asking for JSON first gets JSON, as before
    asked = {"Accept": "application/json, text/html;q=0.5"}
    answer = alice.client.get("/v1/eve/callback", params={"code": code, "state": state}, headers=asked)
    assert answer.status_code == 200 and answer.json()["character"]["characterId"] == DEFAULT_CHARACTER_ID


def test_a_browser_gets_what_went_wrong_in_plain_words_and_a_way_back(alice: Api) -> None:
    code, state = authorized_callback(alice)
    assert alice.client.get("/v1/eve/callback", params={"code": code, "state": state}).status_code == 200
    used = alice.client.get("/v1/eve/callback", params={"code": code, "state": state}, headers=BROWSER)
    assert used.status_code == 400 and "expired or was already used" in assert_standalone_page(used)

    _, state = authorized_callback(alice)
    declined = {"error": "access_denied", "error_description": "<script>alert(1)</script>", "state": state}
    page = alice.client.get("/v1/eve/callback", params=declined, headers=BROWSER)
    assert page.status_code == 400 and "You declined" in assert_standalone_page(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    as_json = alice.client.get("/v1/eve/callback", params=declined)
    assert as_json.status_code == 400 and as_json.json()["field"] == "code"
    assert "access_denied" in as_json.json()["detail"]

    code, _ = authorized_callback(alice)
    _, other_state = authorized_callback(alice)  # the code's verifier is another login's
    refused = alice.client.get("/v1/eve/callback", params={"code": code, "state": other_state}, headers=BROWSER)
    assert refused.status_code == 400 and "did not accept this login" in assert_standalone_page(refused)
    assert alice.get("/v1/eve/characters").json()["characters"][0]["characterId"] == DEFAULT_CHARACTER_ID

    unreachable = callback_page.failed(SsoUnavailable("the SSO could not be reached: ConnectError"))
    assert unreachable.status_code == 503 and "could not be reached" in str(unreachable.content)


# ------------------------------------------------------------- Log in with EVE Online


def sign_in_with_eve(client: TestClient[Any], accept: str = "text/html") -> httpx.Response:
    """The console's "Log in with EVE Online", as a browser: our redirect → the SSO's
    authorize → back to the callback, which answers the page that sets the session."""
    start = client.get("/sign-in/eve", follow_redirects=False)
    assert start.status_code == 303, start.text
    back = httpx.get(start.headers["location"], follow_redirects=False)
    callback = urlsplit(back.headers["location"])
    return client.get(f"{callback.path}?{callback.query}", headers={"Accept": accept})


def test_a_linked_character_signs_its_user_in_to_the_console(alice: Api, bob: Api) -> None:
    link(alice)
    browser = alice.client
    browser.cookies.clear()
    assert "Log in with EVE Online" in browser.get("/sign-in").text

    page = sign_in_with_eve(browser)
    assert page.status_code == 200 and "Signed in to Manufactory as <strong>alice</strong>" in page.text
    assert '<meta http-equiv="refresh" content="0; url=/">' in page.text  # on by a same-site navigation
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert browser.get("/", follow_redirects=False).status_code == 200  # the dashboard, signed in

    session_token = browser.cookies[SESSION_COOKIE]  # alice's own token: her characters, not bob's
    mine = browser.get("/v1/eve/characters", headers={"Authorization": f"Bearer {session_token}"})
    assert [c["characterId"] for c in mine.json()["characters"]] == [DEFAULT_CHARACTER_ID]
    assert bob.get("/v1/eve/characters").json() == {"characters": []}


def test_a_program_signing_in_gets_a_token_that_expires(alice: Api, settings: Settings) -> None:
    link(alice)
    answer = sign_in_with_eve(alice.client, accept="application/json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "alice" and body["userId"] == str(alice.user_id)
    assert body["character"]["characterId"] == DEFAULT_CHARACTER_ID and "set-cookie" not in answer.headers
    expires = datetime.fromisoformat(body["expiresAt"])
    ahead = expires - datetime.now(UTC)
    assert (
        timedelta(seconds=settings.console_session_ttl_sec - 60)
        < ahead
        <= timedelta(seconds=settings.console_session_ttl_sec)
    )
    mine = alice.client.get("/v1/eve/characters", headers={"Authorization": f"Bearer {body['token']}"})
    assert mine.status_code == 200


def test_a_character_nobody_linked_signs_nobody_in(alice: Api) -> None:
    page = sign_in_with_eve(alice.client)
    assert page.status_code == 400 and "Not signed in" in page.text
    assert "is not linked to an account it can sign in to" in page.text and "set-cookie" not in page.headers
    as_json = sign_in_with_eve(alice.client, accept="application/json")
    assert as_json.status_code == 400 and as_json.json()["field"] == "state"


def test_a_sold_character_does_not_sign_the_buyer_in_to_the_sellers_account(
    alice: Api, standin: tuple[StandInSso, str]
) -> None:
    link(alice)
    standin[0].sell(DEFAULT_CHARACTER_ID)  # a new owner logs in at the SSO with the same character
    page = sign_in_with_eve(alice.client)
    assert page.status_code == 400 and "set-cookie" not in page.headers


def test_a_character_two_accounts_linked_signs_neither_in(alice: Api, bob: Api) -> None:
    link(alice)
    link(bob)
    page = sign_in_with_eve(alice.client)
    assert page.status_code == 400 and "linked to more than one account" in page.text
