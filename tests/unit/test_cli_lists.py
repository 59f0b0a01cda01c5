"""The CLI's list commands ask the API for the page they are given (``--limit``, ``--offset``):
a list longer than the API's default page is read a page at a time, never cut short unseen."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from interfaces.cli import industry
from interfaces.cli.main import cli


@pytest.mark.parametrize(
    ("args", "asked"),
    [
        (["plans", "list"], "/v1/industry/plans"),
        (["plans", "list", "--limit", "5", "--offset", "10"], "/v1/industry/plans?limit=5&offset=10"),
        (["runs", "list", "--plan", "p1", "--offset", "2"], "/v1/industry/plans/p1/runs?offset=2"),
        (["runs", "list", "--limit", "7"], "/v1/industry/plans/runs?limit=7"),
        (["jobs", "list", "--status", "planned", "--limit", "3"], "/v1/industry/jobs?status=planned&limit=3"),
        (["characters", "list", "--offset", "1000"], "/v1/industry/characters?offset=1000"),
    ],
)
def test_a_list_asks_for_the_page_it_is_given(args: list[str], asked: str, monkeypatch: pytest.MonkeyPatch) -> None:
    paths: list[str] = []

    class Client:
        def request(self, method: str, path: str) -> Any:
            paths.append(path)
            return []

    monkeypatch.setattr(industry, "ApiClient", Client)
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert paths == [asked]


def test_a_page_beyond_the_api_s_bounds_is_refused_before_asking() -> None:
    for args in (
        ["plans", "list", "--limit", "0"],
        ["jobs", "list", "--limit", "10001"],
        ["runs", "list", "--offset", "-1"],
    ):
        refused = CliRunner().invoke(cli, args)
        assert refused.exit_code == 2 and "Invalid value" in refused.output
