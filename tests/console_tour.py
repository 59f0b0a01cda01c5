"""A tour of the console: data that every page has something to show for, and the path of
every page with its ids filled in. The page-load benchmark (``bench.console_pages``) and the
screenshots (``tests/e2e/test_browser_screenshots.py``) walk the same pages."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import httpx
from litestar.handlers import HTTPRouteHandler

import interfaces.http.app  # noqa: F401 - imports every page's controller
from interfaces.web.pages import ConsoleController

RIFTER = 587  # in the local user's sample catalog
NOT_PAGES = ("/stream", "/sections", "/sign-in")  # live feeds, fragments, the signed-out form
ADMIN_PAGES = ("/projections",)  # the not-found page for anyone else (the tour's user is not an admin)
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def console_paths(admin: bool = False) -> Iterator[str]:
    """Every GET route of the console's controllers that answers a page (to an admin: also
    the admins' pages)."""
    controllers: list[type[ConsoleController]] = []
    pending: list[type[ConsoleController]] = [ConsoleController]
    while pending:
        controller = pending.pop()
        controllers.append(controller)
        pending.extend(controller.__subclasses__())
    seen = set()
    hidden = NOT_PAGES if admin else NOT_PAGES + ADMIN_PAGES
    for controller in controllers:
        prefix = vars(controller).get("path", "")  # a controller without its own path has none
        for handler in vars(controller).values():
            if not isinstance(handler, HTTPRouteHandler) or "GET" not in handler.http_methods:
                continue
            for path in handler.paths:
                full = (prefix.rstrip("/") + path) or "/"
                if full not in seen and not any(marker in full for marker in hidden):
                    seen.add(full)
                    yield full


def seeded(api: httpx.Client) -> dict[str, str]:
    """A plan for the Rifter, a run of it and a marker wanting Rifters: the ids pages name."""
    plan = api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER})
    plan.raise_for_status()
    plan_id = plan.json()["aggregateId"]
    run = api.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 5})
    run.raise_for_status()
    run_id = run.json()["run"]["id"]
    marker = api.post(
        "/v1/stockpiles",
        json={"typeId": RIFTER, "locationId": 60003760, "desiredQuantity": 10, "planId": plan_id},
    )
    marker.raise_for_status()
    jobs = api.get("/v1/industry/jobs").json()
    container_id = "parallel-mfg-X1-YZ19-bench"
    api.post(
        "/v1/manufacturing/containers",
        json={"containerId": container_id, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"},
    ).raise_for_status()
    world = api.post("/v1/crafting/worlds", json={"name": "Bench"})
    world.raise_for_status()
    world_base = f"/v1/crafting/worlds/{world.json()['world']['id']}"
    sword = {"id": "iron_sword", "inputs": [{"item": "iron_ingot", "quantity": 3}], "duration": 3600}
    for path, body in (
        ("/recipes", {**sword, "outputs": [{"item": "iron_sword", "quantity": 1}]}),
        ("/inventories", {"inventoryId": "inv", "items": {"iron_ingot": 30}}),
        ("/managers", {"managerId": "forge_1"}),
        ("/managers/forge_1/jobs", {"recipeId": "iron_sword", "owner": "smith", "inventoryId": "inv"}),
    ):
        api.post(world_base + path, json=body).raise_for_status()
    return {
        "plan_id": plan_id,
        "run_id": run_id,
        "marker_id": marker.json()["marker"]["id"],
        "type_id": str(RIFTER),
        "job_id": jobs[0]["id"] if jobs else "",
        "aggregate_id": plan_id,
        "container_id": container_id,
        "world_id": world.json()["world"]["id"],
    }


def filled(path: str, ids: Mapping[str, str]) -> str | None:
    """The path with its ids, or None when the data has none of that kind."""
    names = PARAMETER.findall(path)
    if any(not ids.get(name) for name in names):
        return None
    return PARAMETER.sub(lambda found: ids[found.group(1)], path)
