"""The console's small parts: how it writes times and numbers, and its forms' tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from interfaces.web.format import duration, moment, number, words
from interfaces.web.session import CsrfTokens


def test_durations_read_like_the_game_client() -> None:
    assert duration(None) == "-"
    assert duration(45) == "45 s"
    assert duration(5400) == "1 h 30 min"  # 1.5 h
    assert duration(32640) == "9 h 4 min"  # ten Rifter runs: 9 h 4 min
    assert duration(3 * 86_400 + 7_200 + 59) == "3 d 2 h"


def test_numbers_amounts_and_moments() -> None:
    assert number(None) == "-" and number(1234567) == "1,234,567" and number(12.0) == "12"
    assert number(1234.567) == "1,234.57"
    assert moment(datetime(2026, 12, 3, 0, 15, 42, tzinfo=UTC)) == "2026-12-03 00:15"
    assert words("in_progress") == "in progress" and words("auto-production") == "auto production"


def test_a_form_token_is_valid_only_as_signed_by_this_process() -> None:
    tokens, other = CsrfTokens(), CsrfTokens()
    token = tokens.issue()
    assert tokens.valid(token) and token != tokens.issue()
    assert not other.valid(token)  # signed by an earlier process: the next page replaces it
    nonce, _, signature = token.partition(".")
    assert not tokens.valid(nonce) and not tokens.valid(f"{nonce}x.{signature}") and not tokens.valid(None)
    assert not tokens.valid(f".{signature}")
