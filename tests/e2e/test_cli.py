"""The command line: admin commands on the local database; errors are one line, no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from projections.registry import all_projections
from tests.support import run_cli


def test_users_create_prints_a_token_and_refuses_a_duplicate_in_one_line(tmp_path: Path, sqlite_url: str) -> None:
    created = run_cli("users", "create", "alice", cwd=tmp_path, database_url=sqlite_url)
    assert created.returncode == 0 and created.stdout.startswith("mf_")
    again = run_cli("users", "create", "alice", cwd=tmp_path, database_url=sqlite_url)
    assert again.returncode == 1
    assert again.stderr == "error: user 'alice' already exists\n"
    listed = run_cli("users", "list", cwd=tmp_path, database_url=sqlite_url)
    assert listed.stdout.startswith("alice ")


def test_errors_are_one_readable_line(tmp_path: Path, sqlite_url: str) -> None:
    for args, env in [
        (("projections", "rebuild", "nope"), {}),
        (("audit", "6f1d3c52-6a59-4d8e-9c55-0e8f1f7c2a10"), {}),
        (
            ("manufacturing", "config", "show", "--container", "x"),
            {"MANUFACTORY_TOKEN": "t", "MANUFACTORY_URL": "http://127.0.0.1:9"},
        ),
        (("manufacturing", "config", "show", "--container", "x"), {}),
        (("migrate",), {"MANUFACTORY_DATABASE_URL": "mysql://nope"}),
    ]:
        result = run_cli(*args, cwd=tmp_path, database_url=sqlite_url, **env)
        assert result.returncode != 0, args
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error"), (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout


def test_projections_status_rebuild_and_audit(tmp_path: Path, sqlite_url: str) -> None:
    created = run_cli("users", "create", "alice", cwd=tmp_path, database_url=sqlite_url)
    assert created.returncode == 0
    rebuilt = run_cli("projections", "rebuild", cwd=tmp_path, database_url=sqlite_url)
    assert rebuilt.returncode == 0
    assert "users: rebuilt as generation 2 and swapped in" in rebuilt.stdout
    status = run_cli("projections", "status", cwd=tmp_path, database_url=sqlite_url)
    # a new user is two events: the user, and the claim on its name
    assert [line.split()[:5] for line in status.stdout.splitlines()[1:]] == [
        [projection.name, "2", "2", "2", "0"] for projection in all_projections()
    ]
    user_id = run_cli("users", "list", cwd=tmp_path, database_url=sqlite_url).stdout.split()[1]
    trail = run_cli("audit", user_id, cwd=tmp_path, database_url=sqlite_url)
    events = json.loads(trail.stdout)["events"]
    assert [e["type"] for e in events] == ["UserRegistered"]
    later = json.loads(run_cli("audit", user_id, "--after", "1", cwd=tmp_path, database_url=sqlite_url).stdout)
    assert (later["version"], later["events"]) == (1, [])


def test_catalog_import_is_versioned_and_chains_show_prints_the_tree(tmp_path: Path, sqlite_url: str) -> None:
    from application.catalog import SAMPLE_CATALOG

    assert run_cli("users", "create", "alice", cwd=tmp_path, database_url=sqlite_url).returncode == 0
    first = run_cli("catalog", "import", str(SAMPLE_CATALOG), "--user", "alice", cwd=tmp_path, database_url=sqlite_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("catalog version 1 (") and "items +93" in first.stdout
    again = run_cli("catalog", "import", str(SAMPLE_CATALOG), "--user", "alice", cwd=tmp_path, database_url=sqlite_url)
    assert again.stdout.startswith("unchanged")
    shown = run_cli("chains", "show", "587", "--user", "alice", cwd=tmp_path, database_url=sqlite_url)
    assert "Rifter (587)" in shown.stdout and "32000 × Tritanium (34)" in shown.stdout
    missing = run_cli("chains", "show", "34", "--user", "alice", cwd=tmp_path, database_url=sqlite_url)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1


def test_an_admin_imports_the_shared_catalog_others_follow_it_and_equal_private_ones_move_onto_it(
    tmp_path: Path, sqlite_url: str
) -> None:
    from application.catalog import SAMPLE_CATALOG

    def cli(*args: str) -> Any:
        return run_cli(*args, cwd=tmp_path, database_url=sqlite_url)

    for name, admin in (("root", ("--admin",)), ("alice", ()), ("bob", ())):
        assert cli("users", "create", name, *admin).returncode == 0
    refused = cli("catalog", "import", str(SAMPLE_CATALOG), "--shared", "--user", "alice")
    assert (
        refused.returncode == 1
        and refused.stderr == "error (shared): the shared catalog is read-only: only an admin imports it\n"
    )
    assert cli("catalog", "import", str(SAMPLE_CATALOG), "--user", "alice").returncode == 0
    shared = cli("catalog", "import", str(SAMPLE_CATALOG), "--shared", "--user", "root")
    assert shared.returncode == 0 and shared.stdout.startswith("catalog version 1 ("), shared.stderr
    shown = cli("chains", "show", "587", "--user", "bob")
    assert "Rifter (587)" in shown.stdout, "bob, without a catalog, follows the shared one"
    moved = cli("catalog", "follow-shared", "--user", "alice")
    assert moved.returncode == 0 and moved.stdout == "alice follows the shared catalog\n", moved.stderr
    assert "Rifter (587)" in cli("chains", "show", "587", "--user", "alice").stdout
    again = cli("catalog", "follow-shared", "--user", "alice")
    assert again.returncode == 1 and "already follows" in again.stderr
