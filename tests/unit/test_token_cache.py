"""The token cache: holders within the TTL come from memory; past half of it, one caller at a
time reads the holder again while the cached one still answers; a token the read no longer
finds (revoked) is forgotten; a revocation in this process clears the cache at once."""

from __future__ import annotations

import uuid

from interfaces.http.context import TokenCache
from projections.users import TokenHolder

ALICE = TokenHolder(user_id=uuid.uuid4(), token_id=uuid.uuid4(), expires_at=None, admin=False)
ADMIN = TokenHolder(user_id=ALICE.user_id, token_id=ALICE.token_id, expires_at=None, admin=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def cache_holding_alice() -> tuple[TokenCache, Clock]:
    clock = Clock()
    cache = TokenCache(ttl_sec=10.0, clock=clock)
    cache.put("h", ALICE, cache.stamp())
    return cache, clock


def test_a_holder_read_within_half_the_ttl_comes_from_memory_with_nothing_to_refresh() -> None:
    cache, clock = cache_holding_alice()
    clock.now += 4.9
    assert cache.get("h") == (ALICE, None)
    assert cache.get("unknown") == (None, None)


def test_past_half_the_ttl_one_caller_refreshes_while_the_cached_holder_still_answers() -> None:
    cache, clock = cache_holding_alice()
    clock.now += 6
    holder, stamp = cache.get("h")
    assert holder == ALICE and stamp is not None
    assert cache.get("h") == (ALICE, None)  # the read is under way: nobody else starts one
    cache.put("h", ADMIN, stamp)
    clock.now += 9  # 15 s after the first read, 9 after the refresh: served, and due again
    holder, again = cache.get("h")
    assert holder == ADMIN and again is not None


def test_a_refresh_that_no_longer_finds_the_token_forgets_it() -> None:
    cache, clock = cache_holding_alice()
    clock.now += 6
    _, stamp = cache.get("h")
    assert stamp is not None
    cache.put("h", None, stamp)  # revoked in another process
    assert cache.get("h") == (None, None)


def test_past_the_ttl_the_holder_is_not_served_from_memory() -> None:
    cache, clock = cache_holding_alice()
    clock.now += 10
    assert cache.get("h") == (None, None)


def test_a_refresh_begun_before_a_revocation_here_does_not_bring_the_holder_back() -> None:
    cache, clock = cache_holding_alice()
    clock.now += 6
    _, stamp = cache.get("h")
    assert stamp is not None
    cache.clear()  # this process revoked a token
    cache.put("h", ALICE, stamp)
    assert cache.get("h") == (None, None)


def test_a_failed_refresh_lets_the_next_caller_try_again() -> None:
    cache, clock = cache_holding_alice()
    clock.now += 6
    _, first = cache.get("h")
    cache.refresh_failed("h")
    holder, second = cache.get("h")
    assert first is not None and (holder, second) == (ALICE, first)
