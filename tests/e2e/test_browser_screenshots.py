"""The README's screenshots, taken by the test run: each main page of the console in headless
Chromium, on a real server with the tour's data (a Rifter plan and its run, a stockpile, a
coordinator, a crafting world). Each page must also render its heading and have nothing
refused by its Content-Security-Policy. They are saved to the test's temporary directory, and
to ``docs/screenshots/`` (the README's) only when ``MANUFACTORY_UPDATE_SCREENSHOTS=1``: a
plain test run leaves the checkout's files as they were."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.console_tour import filled, seeded
from tests.e2e.test_browser_console import refused, sign_in
from tests.support import serving

README_SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
MAIN_PAGES = {  # the file's name: the page
    "dashboard": "/",
    "plans": "/plans",
    "plan": "/plans/{plan_id}",
    "plan-preview": "/plans/{plan_id}/preview?quantity=5&parallelism=2",
    "plan-history": "/plans/{plan_id}/history",
    "runs": "/runs",
    "run": "/runs/{run_id}",
    "jobs": "/jobs",
    "stockpiles": "/stockpiles",
    "chains": "/chains/{type_id}",
    "catalog": "/catalog",
    "economics": "/economics",
    "coordinator": "/coordinators/{container_id}",
    "crafting": "/crafting/{world_id}",
    "audit": "/audit/{aggregate_id}",
}


def test_every_main_page_renders_and_is_photographed_for_the_readme(tmp_path: Path, browser: Any) -> None:
    updating = os.environ.get("MANUFACTORY_UPDATE_SCREENSHOTS") == "1"
    screenshots = README_SCREENSHOTS if updating else tmp_path / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        ids = seeded(httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30))
        sign_in(browser, server.url, token)
        browser.set_window_size(1280, 900)
        for name, route in MAIN_PAGES.items():
            path = filled(route, ids)
            assert path is not None, route
            browser.get(server.url + path)
            heading = WebDriverWait(browser, 10).until(lambda page: page.find_element(By.CSS_SELECTOR, "main h1"))
            assert heading.text.strip(), name
            assert refused(browser) == [], name
            shot = screenshots / f"{name}.png"
            assert browser.save_screenshot(str(shot)), name
            assert shot.stat().st_size > 10_000, name  # a page, not a blank
