"""The in-memory configuration (``memory://``) behaves as the embedded SQLite store does for
what unit tests do: commands, read-your-writes queries, optimistic concurrency, audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.settings import MEMORY_URL, Settings
from application.system import Manufactory
from domain.errors import Conflict
from domain.events import CommandMeta
from tests.conftest import Api

CONTAINERS = "/v1/manufacturing/containers"
CID = "mfg-1"


def test_a_command_is_read_back_through_the_projections(alice: Api, system: Manufactory) -> None:
    assert system.settings.in_memory
    created = alice.post(
        CONTAINERS, json={"containerId": CID, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"}
    )
    assert created.status_code == 201, created.text
    changed = alice.patch(f"{CONTAINERS}/{CID}/config", json={"maxPipelines": 5}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    config = alice.get(f"{CONTAINERS}/{CID}/config", params={"minPosition": changed.json()["position"]}).json()
    assert (config["version"], config["config"]["maxPipelines"]) == (2, 5)
    history = alice.get(f"{CONTAINERS}/{CID}/config/history").json()["entries"]
    assert [entry["kind"] for entry in history] == ["registered", "config"]
    assert history[1]["changes"] == {"maxPipelines": {"old": 3, "new": 5}}


def test_a_stale_version_is_a_conflict(system: Manufactory) -> None:
    user = system.users.create_user("ann").user_id
    meta = CommandMeta(user_id=user, correlation_id="spec")
    system.containers.register(CID, "X1-YZ19", "prefer-fabricate", {}, meta)
    system.containers.change_config(CID, {"max_workers": 6}, meta, 1)
    with pytest.raises(Conflict):
        system.containers.change_config(CID, {"max_workers": 7}, meta, 1)


def test_each_system_in_memory_is_a_store_of_its_own_and_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=MEMORY_URL)
    with Manufactory.open(settings) as first, Manufactory.open(settings) as second:
        first.users.create_user("ann")
        first.projections.catch_up()
        assert first.store.head() > 0 and second.store.head() == 0
        assert first.projections.position("users") == first.store.head()
    assert list(tmp_path.iterdir()) == []
