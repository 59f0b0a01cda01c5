"""The console's live pages in a real browser: a container's config changed in one tab arrives
in a second tab as it happens (the config stream), an edit in progress there is kept; a crafting
job's progress bar moves on and its completion shows, without a reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_browser_console import live_wait, refused, shows, sign_in
from tests.support import serving

CID = "parallel-mfg-X1-YZ19-abc123"


def value(browser: Any, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).get_attribute("value"))


def test_a_config_changed_in_one_tab_arrives_live_in_another(tmp_path: Path, browser: Any) -> None:
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        registered = api.post(
            "/v1/manufacturing/containers",
            json={"containerId": CID, "systemSymbol": "X1-YZ19", "strategy": "prefer-fabricate"},
        )
        assert registered.status_code == 201, registered.text
        sign_in(browser, server.url, token)
        browser.get_log("browser")  # what an earlier test's pages logged as their server went away
        browser.find_element(By.LINK_TEXT, "Coordinators").click()
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.LINK_TEXT, CID))
        browser.find_element(By.LINK_TEXT, CID).click()
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, "maxWorkers"))
        first = browser.current_window_handle

        browser.switch_to.new_window("tab")
        second = browser.current_window_handle
        browser.get(f"{server.url}/coordinators/{CID}")
        shows(browser, "live-status", "Updates live.")
        browser.find_element(By.ID, "maxPipelines").send_keys(Keys.BACKSPACE + "7")  # an edit in progress here

        browser.switch_to.window(first)
        workers = browser.find_element(By.ID, "maxWorkers")
        workers.clear()
        workers.send_keys("9" + Keys.ENTER)
        live_wait(browser).until(lambda page: page.find_element(By.ID, "container-version").text == "2")
        assert refused(browser) == []

        browser.switch_to.window(second)
        WebDriverWait(browser, 10).until(lambda page: value(page, "maxWorkers") == "9")
        assert value(browser, "version") == "2" and browser.find_element(By.ID, "container-version").text == "2"
        assert value(browser, "maxPipelines") == "7", "the edit in progress is kept"
        shows(browser, "history-entries", "maxWorkers 5 → 9")
        assert "you" in browser.find_element(By.ID, "change-2").text
        browser.find_element(By.ID, "maxPipelines").send_keys(Keys.ENTER)  # saved onto version 2
        live_wait(browser).until(lambda page: page.find_element(By.ID, "container-version").text == "3")
        assert api.get(f"/v1/manufacturing/containers/{CID}/config").json()["config"]["maxPipelines"] == 7
        assert api.get(f"/v1/manufacturing/containers/{CID}/config").json()["config"]["maxWorkers"] == 9
        browser.set_window_size(390, 844)  # a phone: the form and the history fit (wide tables scroll inside)
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)
        assert refused(browser) == []
        browser.close()
        browser.switch_to.window(first)


def test_a_crafting_jobs_progress_bar_moves_on_and_its_completion_shows(tmp_path: Path, browser: Any) -> None:
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        world = api.post("/v1/crafting/worlds", json={"name": "Smithy"}).json()["world"]
        base = f"/v1/crafting/worlds/{world['id']}"
        sword = {"id": "iron_sword", "inputs": [{"item": "iron_ingot", "quantity": 3}], "duration": 4}
        for path, body in (
            ("/recipes", {**sword, "outputs": [{"item": "iron_sword", "quantity": 1}]}),
            ("/inventories", {"inventoryId": "inv", "items": {"iron_ingot": 3}}),
            ("/managers", {"managerId": "forge_1"}),
        ):
            assert api.post(base + path, json=body).status_code == 201
        sign_in(browser, server.url, token)
        browser.get_log("browser")  # what an earlier test's pages logged as their server went away
        browser.find_element(By.LINK_TEXT, "Crafting").click()
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.LINK_TEXT, "Smithy"))
        browser.find_element(By.LINK_TEXT, "Smithy").click()
        shows(browser, "live-status", "Updates live.")
        shows(browser, "jobs", "No jobs running")

        started = api.post(
            base + "/managers/forge_1/jobs", json={"recipeId": "iron_sword", "owner": "smith", "inventoryId": "inv"}
        )
        assert started.status_code == 201, started.text
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, "progress-forge_1#1"))
        first = float(value(browser, "progress-forge_1#1"))
        live_wait(browser).until(lambda page: float(value(page, "progress-forge_1#1")) > first)
        shows(browser, "jobs", "No jobs running", timeout=15)
        shows(browser, "inventories", "iron_sword × 1")
        browser.set_window_size(390, 844)  # a phone: the world fits (wide tables scroll inside)
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)
        assert refused(browser) == []
