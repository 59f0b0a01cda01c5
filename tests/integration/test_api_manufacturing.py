"""The manufacturing config API, as a client sees it."""

from __future__ import annotations

import os
from typing import Any

import pytest
from click.testing import CliRunner

from application.system import Manufactory
from interfaces.cli import manufacturing as cli_manufacturing
from tests.conftest import Api

CONTAINERS = "/v1/manufacturing/containers"
CID = "parallel-mfg-X1-YZ19-abc123"
CONFIG = f"{CONTAINERS}/{CID}/config"
DEFAULTS = {
    "maxPipelines": 3,
    "maxWorkers": 5,
    "collectMinStartSupply": "ABUNDANT",
    "collectMinExecuteSupply": "HIGH",
    "acquireMinStartSupply": "MODERATE",
    "acquireMinExecuteSupply": "LIMITED",
    "minPurchasePrice": 0,
    "strategy": "prefer-fabricate",
    "minBalance": 0,
    "mode": "parallel_task_based",
}


def register(api: Api, container_id: str = CID, **extra: Any) -> dict[str, Any]:
    body = {"containerId": container_id, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate", **extra}
    response = api.post(CONTAINERS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def system_head(api: Api) -> int:
    """The log head (no longer in /health for an ordinary user): as new as every command so far."""
    return int(api.client.app.state.system.store.head())


def read(api: Api, path: str, position: int) -> dict[str, Any]:
    response = api.get(path, params={"minPosition": position})
    assert response.status_code == 200, response.text
    return response.json()


def test_register_then_list_and_show_with_status(alice: Api) -> None:
    created = register(alice, config={"maxPipelines": 4})
    assert created["container"]["config"] == {**DEFAULTS, "maxPipelines": 4}
    listing = read(alice, CONTAINERS, created["position"])
    assert [c["containerId"] for c in listing["containers"]] == [CID]
    shown = read(alice, f"{CONTAINERS}/{CID}", created["position"])
    assert shown["status"] == "STOPPED" and shown["systemSymbol"] == "X1-YZ19"
    assert shown["aggregateId"] == created["aggregateId"]


def test_config_defaults_are_the_specs_and_carry_an_etag(alice: Api) -> None:
    created = register(alice)
    response = alice.get(CONFIG, params={"minPosition": created["position"]})
    assert response.json() == {"containerId": CID, "containerStatus": "STOPPED", "version": 1, "config": DEFAULTS}
    assert response.headers["etag"] == '"1"'


def test_a_patch_changes_only_the_fields_sent_and_is_read_back(alice: Api) -> None:
    register(alice)
    response = alice.patch(CONFIG, json={"maxPipelines": 5, "collectMinStartSupply": "high"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["version"] == 2
    expected = {**DEFAULTS, "maxPipelines": 5, "collectMinStartSupply": "HIGH"}
    assert body["currentConfig"] == expected
    assert read(alice, CONFIG, body["position"])["config"] == expected


def test_min_balance_and_mode_are_kept_changed_and_audited_like_every_setting(alice: Api) -> None:
    created = register(alice, config={"minBalance": 500_000})
    assert created["container"]["config"] == {**DEFAULTS, "minBalance": 500_000}
    body = alice.patch(CONFIG, json={"minBalance": 2**63 - 1, "mode": "sequential_task_based"}).json()
    expected = {**DEFAULTS, "minBalance": 2**63 - 1, "mode": "sequential_task_based"}
    assert body["currentConfig"] == expected
    assert read(alice, CONFIG, body["position"])["config"] == expected
    entries = read(alice, f"{CONFIG}/history", body["position"])["entries"]
    assert entries[0]["changes"]["minBalance"] == {"old": None, "new": 500_000}
    assert entries[1]["changes"] == {
        "minBalance": {"old": 500_000, "new": 2**63 - 1},
        "mode": {"old": "parallel_task_based", "new": "sequential_task_based"},
    }


def test_a_patch_that_changes_nothing_records_nothing(alice: Api) -> None:
    register(alice)
    body = alice.patch(CONFIG, json={"maxPipelines": 3}).json()
    assert (body["changed"], body["version"], body["message"]) == (False, 1, "Configuration unchanged")


def test_history_lists_every_change_with_old_and_new_values_who_and_when(alice: Api) -> None:
    register(alice)
    alice.patch(CONFIG, json={"maxWorkers": 8}, headers={"X-Correlation-ID": "ticket-42"})
    last = alice.put(f"{CONTAINERS}/{CID}/status", json={"status": "running"}).json()
    entries = read(alice, f"{CONFIG}/history", last["position"])["entries"]
    assert [e["kind"] for e in entries] == ["registered", "config", "status"]
    assert entries[1]["changes"] == {"maxWorkers": {"old": 5, "new": 8}}
    assert entries[1]["correlationId"] == "ticket-42"
    assert entries[1]["changedBy"] == str(alice.user_id)
    assert entries[2]["changes"] == {"status": {"old": "STOPPED", "new": "RUNNING"}}
    assert entries[0]["changedAt"] <= entries[1]["changedAt"] <= entries[2]["changedAt"]


def test_history_is_read_a_page_at_a_time_oldest_first(alice: Api) -> None:
    register(alice)
    for workers in range(6, 11):  # versions 2-6
        last = alice.patch(CONFIG, json={"maxWorkers": workers}).json()
    pages = [
        alice.get(f"{CONFIG}/history", params={"limit": 2, "offset": offset, "minPosition": last["position"]}).json()
        for offset in (0, 2, 4, 6)
    ]
    assert [[entry["version"] for entry in page["entries"]] for page in pages] == [[1, 2], [3, 4], [5, 6], []]
    default = read(alice, f"{CONFIG}/history", last["position"])["entries"]
    assert [entry["version"] for entry in default] == [1, 2, 3, 4, 5, 6]
    for query, field in (("limit=0", "limit"), ("limit=10001", "limit"), ("offset=-1", "offset")):
        refused = alice.get(f"{CONFIG}/history?{query}")
        assert refused.status_code == 400 and field in refused.text, refused.text


def test_audit_lists_a_page_of_events_after_a_version(alice: Api) -> None:
    aggregate = register(alice)["aggregateId"]
    for workers in range(6, 10):  # versions 2-5
        alice.patch(CONFIG, json={"maxWorkers": workers})
    pages = [alice.get(f"/v1/audit/{aggregate}", params={"limit": 2, "offset": after}).json() for after in (0, 2, 4)]
    assert [[event["version"] for event in page["events"]] for page in pages] == [[1, 2], [3, 4], [5]]
    assert {page["version"] for page in pages} == {5}, "the newest version, whichever page"
    assert len(alice.get(f"/v1/audit/{aggregate}").json()["events"]) == 5
    refused = alice.get(f"/v1/audit/{aggregate}", params={"limit": 10_001})
    assert refused.status_code == 400 and "limit" in refused.text


def test_the_cli_prints_the_whole_history_reading_it_a_page_at_a_time(
    alice: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(alice)
    for workers in range(6, 10):  # versions 2-5
        last = alice.patch(CONFIG, json={"maxWorkers": workers}).json()
    read(alice, CONFIG, last["position"])
    asked: list[str] = []

    class Client:  # the CLI's client, answered by the app
        def request(self, method: str, path: str) -> Any:
            asked.append(path)
            return alice.get(path).json()

    monkeypatch.setattr(cli_manufacturing, "ApiClient", Client)
    monkeypatch.setattr(cli_manufacturing, "HISTORY_PAGE", 2)
    printed = CliRunner().invoke(cli_manufacturing.manufacturing, ["config", "history", "--container", CID])
    assert printed.exit_code == 0, printed.output
    assert [line.split()[0] for line in printed.output.splitlines()] == ["v1", "v2", "v3", "v4", "v5"]
    assert [path.rsplit("?", 1)[1] for path in asked] == ["limit=2&offset=0", "limit=2&offset=2", "limit=2&offset=4"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"collectMinStartSupply": "PLENTY"}, 400, "collectMinStartSupply"),
        ({"maxPipelines": "five"}, 400, "maxPipelines"),
        ({"maxPipelines": None}, 400, "maxPipelines"),
        ({"maxPipelines": 2.5}, 400, "maxPipelines"),
        ({"maxPipelines": 1, "maxPipeline": 2}, 400, "maxPipeline"),
        ({"maxPipelines": 0}, 422, "maxPipelines"),
        ({"maxWorkers": -1}, 422, "maxWorkers"),
        ({"maxWorkers": 100000}, 422, "maxWorkers"),
        ({"minPurchasePrice": -5}, 422, "minPurchasePrice"),
        ({"strategy": ""}, 400, "strategy"),
        ({"collectMinStartSupply": "LIMITED"}, 422, "collectMinStartSupply"),
        ({"maxWorkers": 9, "acquireMinStartSupply": "SCARCE"}, 422, "acquireMinStartSupply"),
        ({"minBalance": -1}, 422, "minBalance"),
        ({"minBalance": 2**63}, 400, "minBalance"),  # beyond its column: refused at the boundary
        ({"minBalance": 1.5}, 400, "minBalance"),
        ({"mode": "turbo"}, 400, "mode"),
        ({"mode": 1}, 400, "mode"),
    ],
)
def test_a_bad_update_is_refused_with_its_field_and_changes_nothing(
    alice: Api, body: dict[str, Any], status: int, field: str
) -> None:
    created = register(alice)
    before = read(alice, CONFIG, created["position"])
    response = alice.patch(CONFIG, json=body)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["field"] == field and error["detail"] and error["error"]
    head = system_head(alice)
    assert read(alice, CONFIG, head) == before
    assert len(read(alice, f"{CONFIG}/history", head)["entries"]) == 1


def test_an_unknown_supply_level_lists_the_valid_ones(alice: Api) -> None:
    register(alice)
    detail = alice.patch(CONFIG, json={"acquireMinExecuteSupply": "meh"}).json()["detail"]
    assert "SCARCE, LIMITED, MODERATE, HIGH, ABUNDANT" in detail


def test_malformed_json_is_a_400(alice: Api) -> None:
    register(alice)
    response = alice.patch(CONFIG, content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()) >= {"error", "detail", "field"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"containerId": "has space", "systemSymbol": "X1", "strategy": "s"}, "containerId"),
        ({"containerId": "ok", "systemSymbol": "X1 Y", "strategy": "s"}, "systemSymbol"),
        ({"containerId": "ok", "systemSymbol": "X1"}, "strategy"),
        ({"containerId": "ok", "systemSymbol": "X1", "strategy": "s", "config": {"maxWorkers": 0}}, "maxWorkers"),
    ],
)
def test_a_bad_registration_is_refused_and_creates_nothing(alice: Api, body: dict[str, Any], field: str) -> None:
    response = alice.post(CONTAINERS, json=body)
    assert response.status_code in (400, 422) and response.json()["field"] == field
    assert read(alice, CONTAINERS, system_head(alice)) == {"containers": []}


def test_status_changes_accept_known_statuses_only(alice: Api) -> None:
    register(alice)
    refused = alice.put(f"{CONTAINERS}/{CID}/status", json={"status": "PAUSED"})
    assert refused.status_code == 400 and refused.json()["field"] == "status"
    assert "RUNNING" in refused.json()["detail"]
    accepted = alice.put(f"{CONTAINERS}/{CID}/status", json={"status": "running"}).json()
    assert read(alice, f"{CONTAINERS}/{CID}", accepted["position"])["status"] == "RUNNING"


def test_registering_a_container_twice_is_a_409(alice: Api) -> None:
    register(alice)
    response = alice.post(CONTAINERS, json={"containerId": CID, "systemSymbol": "X1", "strategy": "s"})
    assert response.status_code == 409


def test_if_match_makes_an_update_conditional(alice: Api) -> None:
    register(alice)
    accepted = alice.patch(CONFIG, json={"maxWorkers": 6}, headers={"If-Match": '"1"'})
    assert accepted.status_code == 200
    stale = alice.patch(CONFIG, json={"maxWorkers": 7}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json()["currentVersion"] == 2
    assert alice.patch(CONFIG, json={"maxWorkers": 7}, headers={"If-Match": "two"}).status_code == 400
    assert read(alice, CONFIG, accepted.json()["position"])["config"]["maxWorkers"] == 6


def test_another_users_container_is_a_404_on_every_route(alice: Api, bob: Api) -> None:
    created = register(alice)
    read(alice, CONFIG, created["position"])
    aggregate = created["aggregateId"]
    attempts = [
        bob.get(f"{CONTAINERS}/{CID}"),
        bob.get(CONFIG),
        bob.get(f"{CONFIG}/history"),
        bob.get(f"{CONFIG}/stream"),
        bob.patch(CONFIG, json={"maxWorkers": 9}),
        bob.put(f"{CONTAINERS}/{CID}/status", json={"status": "RUNNING"}),
        bob.get(f"/v1/audit/{aggregate}"),
        bob.get(f"/v1/audit/{aggregate}", params={"version": 1}),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert bob.get(CONTAINERS).json() == {"containers": []}
    assert read(alice, CONFIG, created["position"])["version"] == 1


def test_requests_without_a_valid_token_are_401(client: Any, alice: Api) -> None:
    register(alice)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        for response in (client.get(CONFIG, headers=headers), client.patch(CONFIG, json={}, headers=headers)):
            assert response.status_code == 401
            assert response.json()["field"] == "Authorization"


def test_audit_lists_events_and_shows_state_as_of_a_version(alice: Api) -> None:
    created = register(alice)
    alice.patch(CONFIG, json={"maxPipelines": 9}, headers={"X-Correlation-ID": "deploy-7", "X-Causation-ID": "evt-1"})
    trail = alice.get(f"/v1/audit/{created['aggregateId']}").json()
    assert trail["aggregateType"] == "Container" and trail["version"] == 2
    first, second = trail["events"]
    assert (first["version"], first["type"], second["type"]) == (1, "ContainerRegistered", "ConfigChanged")
    assert second["userId"] == str(alice.user_id)
    assert (second["correlationId"], second["causationId"]) == ("deploy-7", "evt-1")
    assert second["payload"]["changes"] == {"maxPipelines": {"old": 3, "new": 9}}
    then = alice.get(f"/v1/audit/{created['aggregateId']}", params={"version": 1}).json()
    assert then["state"]["config"]["maxPipelines"] == 3
    assert alice.get(f"/v1/audit/{created['aggregateId']}", params={"version": 3}).status_code == 404


def test_a_query_waits_for_its_write_and_gives_up_with_503(alice: Api, system: Any) -> None:
    created = register(alice)
    assert read(alice, CONFIG, created["position"])["version"] == 1
    system.settings = type(system.settings)(database_url=system.settings.database_url, consistency_timeout_sec=0.3)
    system.projections.stop()
    changed = alice.patch(CONFIG, json={"maxPipelines": 4}).json()
    response = alice.get(CONFIG, params={"minPosition": changed["position"]})
    assert response.status_code == 503
    assert response.json()["field"] == "minPosition"


def test_openapi_health_and_version_are_served(system: Manufactory, client: Any) -> None:
    spec = client.get("/schema/openapi.json").json()
    assert f"{CONTAINERS}/{{container_id}}/config" in spec["paths"]
    assert client.get("/schema").status_code == 200
    assert client.get("/health").json() == {"status": "ok"}  # the details need an admin's token
    admin = system.users.create_user("root", admin=True)
    system.projections.catch_up("users")
    health = client.get("/health", headers={"Authorization": f"Bearer {admin.token}"}).json()
    assert health["status"] == "ok"
    assert {p["name"] for p in health["projections"]} == {
        "users",
        "manufacturing",
        "catalog",
        "industry",
        "stockpiles",
        "market",
        "economics",
        "blueprints",
        "universe",
    }
    # the only process on its database runs every background duty (game sync only when set)
    assert health["process"] == {
        "pid": os.getpid(),
        "duties": ["auto-production", "economics", "notifications", "projections"],
    }
    assert client.get("/v1/version").json()["name"] == "manufactory"
