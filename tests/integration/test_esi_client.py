"""The ESI client against the stand-in ESI over real HTTP: caching (Expires, ETag/304, kept
in the database across client instances), pagination (a snapshot published mid-walk), the
error limit, 5xx storms, Retry-After, timeouts, and payloads with surprises."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from application.eve.esi import Bearer, EsiClient, EsiError, EsiThrottled
from application.eve.esi_routes import EsiRoutes, IndustryJob
from application.settings import DEFAULT_EVE_SCOPES, Settings
from interfaces.eve_standin.app import fake_eve
from interfaces.eve_standin.sso import StandInSso
from interfaces.eve_standin.world import (
    ANN,
    ANN_CONTAINER,
    BOB,
    CAT,
    CORPORATION_CONTAINER,
    CORPORATION_ID,
    MARKET_HUB,
    PERIMETER,
    PRIVATE_STRUCTURE,
    THE_FORGE,
)
from projections.database import create_read_engine
from projections.esi_cache import SqlResponseCache
from tests.support import serving_app

SSO = StandInSso(access_ttl_sec=24 * 3600)  # signs the tokens the stand-in ESI trusts, for the whole run


def bearer(character_id: int, name: str, scopes: tuple[str, ...] = DEFAULT_EVE_SCOPES) -> Bearer:
    return Bearer(character_id, SSO.access_token(character_id, name, scopes))


KEEP_SEC = Settings().esi_cache_keep_sec
ANN_TOKEN = bearer(ANN.character_id, ANN.name)
ASSETS = f"/characters/{ANN.character_id}/assets/"
JOBS = f"/characters/{ANN.character_id}/industry/jobs/"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = create_read_engine(Settings(database_url=sqlite_url).sqlalchemy_url())
    yield engine
    engine.dispose()


@pytest.fixture
def standin() -> Iterator[str]:
    with serving_app(fake_eve(SSO)) as url:
        yield url


def client_of(engine: Engine, url: str, **options: Any) -> EsiClient:
    options = {"timeout_sec": 2.0, "retry_base_sec": 0.01, "max_wait_sec": 10.0, **options}
    return EsiClient(
        SqlResponseCache(engine, KEEP_SEC),
        base_url=url,
        compatibility_date="2025-08-26",
        user_agent="mf-tests",
        **options,
    )


@pytest.fixture
def esi(engine: Engine, standin: str) -> Iterator[EsiClient]:
    with client_of(engine, standin) as client:
        yield client


def knobs(url: str, **values: Any) -> None:
    httpx.patch(f"{url}/_standin/knobs", json=values).raise_for_status()


def seen(url: str) -> list[dict[str, Any]]:
    return [r for r in httpx.get(f"{url}/_standin/requests").json()]


def test_requests_carry_the_compatibility_date_the_user_agent_and_the_token(esi: EsiClient, standin: str) -> None:
    esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    [request] = seen(standin)
    assert request["compatibility_date"] == "2025-08-26"
    assert request["user_agent"] == "mf-tests"
    assert request["authorized"] is True


def test_a_second_call_before_expires_is_answered_from_the_cache_and_sends_nothing(
    esi: EsiClient, standin: str
) -> None:
    first = esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    second = esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    assert len(seen(standin)) == 1
    assert (first.stats.requests, first.unchanged) == (1, False)
    assert (second.stats.requests, second.stats.cache_hits, second.unchanged) == (0, 1, True)
    assert second.data == first.data and len(first.data) == 4
    assert second.expires_at > time.time() + 200  # the stand-in's 300 s


def test_after_expires_the_etag_is_sent_and_a_304_reuses_the_stored_body(esi: EsiClient, standin: str) -> None:
    knobs(standin, cache_sec=1)
    first = esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    time.sleep(1.2)
    second = esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    requests = seen(standin)
    assert [r["status"] for r in requests] == [200, 304]
    assert requests[1]["if_none_match"] is not None
    assert (second.stats.not_modified, second.unchanged, second.data) == (1, True, first.data)


def test_a_changed_answer_is_reported_changed(esi: EsiClient, standin: str) -> None:
    knobs(standin, cache_sec=1)
    esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    httpx.put(f"{standin}/_standin/data/characters/{ANN.character_id}/industry/jobs", json=[]).raise_for_status()
    time.sleep(1.2)
    answer = esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    assert (answer.data, answer.unchanged, answer.stats.not_modified) == ([], False, 0)


def test_the_cache_outlives_the_client(standin: str, database_url: str) -> None:
    """On SQLite and PostgreSQL: a new client (another process, a restart) polls no earlier."""
    engine = create_read_engine(Settings(database_url=database_url).sqlalchemy_url())
    try:
        with client_of(engine, standin) as first:
            fetched = EsiRoutes(first).market_prices()
        with client_of(engine, standin) as second:
            again = EsiRoutes(second).market_prices()
    finally:
        engine.dispose()
    assert len(seen(standin)) == 1
    assert (again.stats.cache_hits, again.data) == (1, fetched.data)


def test_a_character_s_cached_answer_is_not_served_to_another(esi: EsiClient, standin: str) -> None:
    esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    with pytest.raises(EsiError) as refused:
        esi.get_pages(JOBS, IndustryJob, bearer=bearer(BOB.character_id, BOB.name))
    assert refused.value.status == 403
    assert [r["status"] for r in seen(standin)] == [200, 403]  # a 4xx is not retried


def test_a_corporation_route_answers_only_a_member_holding_its_role_as_esi_does(esi: EsiClient) -> None:
    routes = EsiRoutes(esi)
    cat = bearer(CAT.character_id, CAT.name)  # the factory manager: the jobs, not the blueprints
    assert routes.corporation_jobs(CORPORATION_ID, cat).data
    with pytest.raises(EsiError, match=r"403 Character does not have required role\(s\)"):
        routes.corporation_blueprints(CORPORATION_ID, cat)
    with pytest.raises(EsiError, match=r"403 Character does not have required role\(s\)"):
        routes.corporation_jobs(CORPORATION_ID, bearer(BOB.character_id, BOB.name))
    with pytest.raises(EsiError, match="403 Character is not in the corporation"):
        routes.corporation_jobs(98000042, ANN_TOKEN)


def test_corporation_assets_answer_a_director_whose_token_carries_the_scope_paged_and_revalidated(
    esi: EsiClient, standin: str
) -> None:
    routes = EsiRoutes(esi)
    cat = bearer(CAT.character_id, CAT.name)  # the factory manager: not the assets
    with pytest.raises(EsiError, match=r"403 Character does not have required role\(s\)"):
        routes.corporation_assets(CORPORATION_ID, cat)
    without_scope = tuple(scope for scope in DEFAULT_EVE_SCOPES if scope != "esi-assets.read_corporation_assets.v1")
    with pytest.raises(EsiError, match="403 token not valid for scope"):
        routes.corporation_assets(CORPORATION_ID, bearer(ANN.character_id, ANN.name, without_scope))

    knobs(standin, page_size=4, cache_sec=1)
    first = routes.corporation_assets(CORPORATION_ID, ANN_TOKEN)
    assert (len(first.data), first.stats.pages) == (6, 2)
    assert {asset.location_flag for asset in first.data} >= {"OfficeFolder", "CorpSAG1", "CorpSAG2", "CorpSAG3"}
    time.sleep(1.2)
    again = routes.corporation_assets(CORPORATION_ID, ANN_TOKEN)
    # Each page revalidated once per walk. On a loaded machine more than the stand-in's 1 s
    # cache time can pass between the two pages: page 2 then comes from a new snapshot (a new
    # Last-Modified, the same body) and the walk starts over, as the client must.
    walks = 1 + again.stats.restarts
    assert (again.unchanged, again.stats.not_modified, again.data) == (True, 2 * walks, first.data)
    pages = [
        r for r in seen(standin) if r["path"].startswith(f"/corporations/{CORPORATION_ID}/assets") and r["status"] < 400
    ]
    answered = [(r["query"], r["status"]) for r in pages]
    assert answered[:2] == [("", 200), ("page=2", 200)]
    # Then only revalidations: each page once per walk of either call (the first call's walk too
    # may start over on a loaded machine), plus what such a machine made the client send again
    # (an answer slower than its 2 s timeout is retried, and the stand-in logged both). Every
    # request sent is in the calls' stats.
    assert len(answered) == first.stats.requests + again.stats.requests
    assert set(answered[2:]) == {("", 304), ("page=2", 304)}


def test_asset_names_answer_only_the_owner_s_items_and_structures_only_who_may_dock(esi: EsiClient) -> None:
    routes = EsiRoutes(esi)
    named = routes.character_asset_names(ANN_TOKEN, [ANN_CONTAINER, 1_000_000_000_001])
    assert [(n.item_id, n.name) for n in named.data] == [(ANN_CONTAINER, "Ann's minerals"), (1_000_000_000_001, "None")]
    assert named.stats.requests == 1
    corporation = routes.corporation_asset_names(CORPORATION_ID, ANN_TOKEN, [CORPORATION_CONTAINER])
    assert [(n.item_id, n.name) for n in corporation.data] == [(CORPORATION_CONTAINER, "Reaction fuel")]
    with pytest.raises(EsiError, match="404 Invalid IDs in the request"):
        routes.character_asset_names(ANN_TOKEN, [CORPORATION_CONTAINER])  # the corporation's, not hers
    with pytest.raises(EsiError, match="400"):
        routes.character_asset_names(ANN_TOKEN, [ANN_CONTAINER] * 1001)

    hub = routes.structure(MARKET_HUB, ANN_TOKEN).data
    assert (hub.name, hub.solar_system_id) == ("Perimeter - Standin Market Hub", PERIMETER)
    with pytest.raises(EsiError, match="403 Forbidden"):
        routes.structure(PRIVATE_STRUCTURE, ANN_TOKEN)
    with pytest.raises(EsiError, match="403 token not valid for scope"):
        routes.structure(MARKET_HUB, bearer(CAT.character_id, CAT.name, ("esi-assets.read_assets.v1",)))  # may dock


def test_pages_are_walked_in_parallel_into_one_list(esi: EsiClient, standin: str) -> None:
    knobs(standin, page_size=2)
    answer = EsiRoutes(esi).character_assets(ANN_TOKEN)
    assert len(answer.data) == 6
    assert (answer.stats.pages, answer.stats.requests, answer.stats.restarts) == (3, 3, 0)
    assert sorted(r["query"] for r in seen(standin)) == ["", "page=2", "page=3"]


def test_a_snapshot_published_mid_walk_restarts_the_walk(esi: EsiClient, standin: str) -> None:
    knobs(standin, page_size=2, change_after_page=1)
    answer = EsiRoutes(esi).character_assets(ANN_TOKEN)
    assert answer.stats.restarts == 1
    assert len(answer.data) == 6 and len({asset.item_id for asset in answer.data}) == 6
    assert answer.stats.pages == 3
    assert answer.stats.requests == 6  # the first walk, then every page again (revalidated)


def test_the_client_stops_before_the_error_budget_runs_out_and_waits_for_the_reset(
    engine: Engine, standin: str
) -> None:
    knobs(standin, error_limit=12, error_window_sec=2, failures=3)
    with client_of(engine, standin, error_limit_floor=10) as esi:
        answer = EsiRoutes(esi).market_prices()
    requests = seen(standin)
    assert [r["status"] for r in requests] == [503, 503, 503, 200]
    # two errors brought the budget to the floor (10): the third try waited for the reset
    assert requests[2]["at"] - requests[1]["at"] >= 1.0
    assert answer.stats.retries == 3 and answer.data


def test_after_a_420_nothing_is_sent_until_the_reset(esi: EsiClient, standin: str) -> None:
    knobs(standin, error_limit=3, error_window_sec=2)
    while httpx.get(f"{standin}{ASSETS}").status_code != 420:  # someone else spent the budget
        pass
    httpx.delete(f"{standin}/_standin/requests")
    answer = esi.get_pages(JOBS, IndustryJob, bearer=ANN_TOKEN)
    requests = seen(standin)
    assert [r["status"] for r in requests] == [420, 200]
    assert requests[1]["at"] - requests[0]["at"] >= 0.9
    assert len(answer.data) == 4


def test_a_wait_longer_than_the_client_waits_is_reported_with_when_to_come_back(engine: Engine, standin: str) -> None:
    knobs(standin, failures=1, failure_status=429, retry_after_sec=30)
    with client_of(engine, standin, max_wait_sec=5) as esi, pytest.raises(EsiThrottled) as throttled:
        EsiRoutes(esi).market_prices()
    assert throttled.value.retry_at >= time.time() + 25


def test_retry_after_is_honoured(esi: EsiClient, standin: str) -> None:
    knobs(standin, failures=1, failure_status=429, retry_after_sec=1)
    EsiRoutes(esi).market_prices()
    requests = seen(standin)
    assert [r["status"] for r in requests] == [429, 200]
    assert requests[1]["at"] - requests[0]["at"] >= 0.9


def test_a_few_5xx_are_retried(esi: EsiClient, standin: str) -> None:
    knobs(standin, failures=2, failure_status=502)
    answer = EsiRoutes(esi).industry_systems()
    assert answer.stats.retries == 2 and len(answer.data) == 2


def test_a_5xx_storm_is_retried_then_reported_as_a_clear_error(esi: EsiClient, standin: str) -> None:
    knobs(standin, failures=1000)
    with pytest.raises(EsiError, match=r"GET /markets/prices/: 503 .*unavailable \(gave up after 4 attempts\)"):
        EsiRoutes(esi).market_prices()
    assert len(seen(standin)) == 4


def test_timeouts_are_retried_then_reported(engine: Engine, standin: str) -> None:
    knobs(standin, delay_sec=1.0)
    with client_of(engine, standin, timeout_sec=0.2, attempts=2) as esi:
        with pytest.raises(EsiError, match=r"timed out .*gave up after 2 attempts"):
            EsiRoutes(esi).market_prices()
        knobs(standin, delay_sec=0.0)
        assert EsiRoutes(esi).market_prices().data


def test_unknown_fields_are_ignored_and_missing_optional_fields_are_none(esi: EsiClient, standin: str) -> None:
    knobs(standin, extra_fields=True, drop_optional=True)
    jobs = EsiRoutes(esi).character_jobs(ANN_TOKEN).data
    assert len(jobs) == 4
    assert all(job.product_type_id is None and job.station_id is None and job.cost is None for job in jobs)
    prices = EsiRoutes(esi).market_prices().data
    assert prices and all(price.adjusted_price is None for price in prices)


def test_a_payload_of_another_shape_is_a_clear_error(esi: EsiClient, standin: str) -> None:
    httpx.put(f"{standin}/_standin/data/markets/prices", json=[{"adjusted_price": 1.0}]).raise_for_status()
    with pytest.raises(EsiError, match="not in the expected shape.*type_id"):
        EsiRoutes(esi).market_prices()


def test_every_route_decodes_the_seeded_game(esi: EsiClient) -> None:
    routes = EsiRoutes(esi)
    jobs = routes.character_jobs(ANN_TOKEN).data
    assert {job.blueprint_type_id for job in jobs} >= {691, 24699}
    assert any(job.successful_runs == 1 for job in jobs)
    corporation_jobs = routes.corporation_jobs(ANN.corporation_id, ANN_TOKEN).data
    assert (
        corporation_jobs[0].activity_id == 11 and corporation_jobs[0].location_id and not corporation_jobs[0].station_id
    )
    assert routes.character(ANN.character_id).data.corporation_id == CORPORATION_ID
    assert routes.character_roles(ANN_TOKEN).data.roles == ["Director"]
    assets = routes.character_assets(ANN_TOKEN).data
    assert any(asset.location_type == "item" for asset in assets)  # inside a container
    skills = routes.character_skills(ANN_TOKEN).data
    assert any(skill.active_skill_level < skill.trained_skill_level for skill in skills.skills)
    blueprints = routes.character_blueprints(ANN_TOKEN).data
    assert {(bp.type_id, bp.quantity) for bp in blueprints} == {(691, -1), (24699, -2), (11372, -2)}
    assert routes.corporation_blueprints(ANN.corporation_id, ANN_TOKEN).data
    orders = routes.market_orders(THE_FORGE).data
    assert any(order.is_buy_order for order in orders) and any(not order.is_buy_order for order in orders)
    systems = routes.industry_systems().data
    assert {index.activity for index in systems[0].cost_indices} >= {"manufacturing", "invention", "reaction"}


def test_each_answer_is_dated_once_to_the_second_it_was_served(standin: str) -> None:
    """The client reads ``Expires`` against ``Date``: a second, older ``Date`` (the server's
    once-a-second one) would keep an answer fresh past its time."""
    before = time.time()
    answer = httpx.get(f"{standin}/markets/prices/")
    (date,) = answer.headers.get_list("Date")
    assert int(before) <= parsedate_to_datetime(date).timestamp() <= time.time()
