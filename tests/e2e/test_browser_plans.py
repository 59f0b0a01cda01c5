"""The plans pages in a real browser: a player signs in, finds the Rifter of the sample catalog
by name and plans it, types a bad ME and reads the API's own words next to that input, previews
a run and generates it (landing on the run), steps back through the plan's history with the
version slider by keyboard, and in a Wolf's plan switches the Rifter it needs to bought."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_browser_console import RIFTER, refused, sign_in
from tests.support import serving

WOLF = 11371  # the Tech II Rifter: its plan makes a Rifter


def plan_id_of(browser: Any) -> str:
    found = re.search(r"/plans/([0-9a-f-]{36})$", browser.current_url)
    assert found is not None, browser.current_url
    return found.group(1)


def create_plan(browser: Any, search: str, type_id: int, name: str) -> str:
    """Through the new-plan form, by keyboard: find the item, pick it, name the plan, Enter."""
    browser.find_element(By.LINK_TEXT, "Plans").click()
    WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith("/plans"))
    browser.find_element(By.ID, "search").send_keys(search + Keys.ENTER)
    item = WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, f"item-{type_id}"))
    item.send_keys(Keys.SPACE)  # a radio button, chosen by keyboard
    named = browser.find_element(By.ID, "name")
    named.clear()
    named.send_keys(name + Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda page: re.search(r"/plans/[0-9a-f-]{36}$", page.current_url))
    return plan_id_of(browser)


def typed(browser: Any, element_id: str, text: str) -> None:
    """Replaces an input's text and submits its form with Enter."""
    element = browser.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(text + Keys.ENTER)


def test_plan_the_rifter_see_a_refusal_preview_generate_and_step_back_in_history(tmp_path: Path, browser: Any) -> None:
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        sign_in(browser, server.url, token)

        plan_id = create_plan(browser, "Rifter", RIFTER, "Rifters")
        plan = api.get(f"/v1/industry/plans/{plan_id}").json()
        assert (plan["name"], plan["productTypeId"]) == ("Rifters", RIFTER)
        [root] = [step["stepId"] for step in plan["steps"]]
        assert "Tritanium" in browser.find_element(By.ID, f"material-{root}-34").text  # bought: no recipe makes it

        typed(browser, f"step-{root}-meLevel", "11")  # a bad ME, saved with Enter
        error = WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, f"step-{root}-meLevel-error"))
        said = api.patch(f"/v1/industry/plans/{plan_id}/steps", json={"steps": [{"stepId": root, "meLevel": 11}]})
        assert said.status_code == 400 and said.json()["field"] == "steps[0].me"
        assert error.text == said.json()["detail"] + "."  # the API's own words, next to the ME input
        assert browser.find_element(By.ID, f"step-{root}-meLevel").get_attribute("aria-invalid") == "true"
        browser.get_log("browser")  # the refused form's 400 is the page's answer, not a fault

        typed(browser, f"step-{root}-meLevel", "9")
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith(f"/plans/{plan_id}"))
        WebDriverWait(browser, 10).until(lambda page: "ME 9" in page.find_element(By.ID, f"step-{root}").text)
        assert api.get(f"/v1/industry/plans/{plan_id}").json()["steps"][0]["meLevel"] == 9

        typed(browser, "quantity", "2")  # the preview, by keyboard
        jobs = WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "preview-jobs"))
        assert "Rifter" in jobs.text and "Tritanium" in browser.find_element(By.ID, "preview-bought").text
        assert api.get("/v1/industry/plans/runs").json() == []  # a preview records nothing
        browser.find_element(By.ID, "generate-run").click()
        WebDriverWait(browser, 10).until(lambda page: "/runs/" in page.current_url)
        [run] = api.get("/v1/industry/plans/runs").json()
        assert browser.current_url.endswith(f"/runs/{run['id']}") and run["quantity"] == 2
        assert "Rifters" in browser.find_element(By.TAG_NAME, "h1").text

        browser.get(f"{server.url}/plans/{plan_id}")
        browser.find_element(By.LINK_TEXT, "History").click()
        latest = api.get(f"/v1/audit/{plan_id}").json()["version"]  # created, ME 9, the run generated
        slider = WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "version"))
        assert slider.get_attribute("value") == str(latest)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")) == latest
        for version in range(latest - 1, 0, -1):  # back one version at a time, by arrow key
            browser.find_element(By.ID, "version").send_keys(Keys.ARROW_LEFT)
            WebDriverWait(browser, 10).until(lambda page, v=version: page.current_url.endswith(f"version={v}"))
        assert "ME 10" in browser.find_element(By.ID, f"step-{root}").text  # as planned at first
        browser.find_element(By.ID, "newer").click()
        WebDriverWait(browser, 10).until(lambda page: "ME 9" in page.find_element(By.ID, f"step-{root}").text)

        wolf_id = create_plan(browser, "Wolf", WOLF, "Wolves")
        wolf = api.get(f"/v1/industry/plans/{wolf_id}").json()
        top = wolf["steps"][0]["stepId"]
        rifter_step = next(s["stepId"] for s in wolf["steps"] if s["productTypeId"] == RIFTER)
        assert browser.find_elements(By.ID, f"step-{rifter_step}")  # made, so its step is in the tree
        browser.find_element(By.XPATH, "//button[text()='Collapse all']").send_keys(Keys.ENTER)  # the tree folds
        assert not browser.find_element(By.ID, f"step-{rifter_step}").is_displayed()
        browser.find_element(By.XPATH, "//button[text()='Expand all']").send_keys(Keys.ENTER)
        assert browser.find_element(By.ID, f"switch-{top}-{RIFTER}").is_displayed()
        browser.find_element(By.ID, f"switch-{top}-{RIFTER}").send_keys(Keys.ENTER)  # "Buy instead"
        WebDriverWait(browser, 10).until(lambda page: not page.find_elements(By.ID, f"step-{rifter_step}"))
        assert "Make instead" in browser.find_element(By.ID, f"material-{top}-{RIFTER}").text
        sources = {
            m["typeId"]: m["source"] for m in api.get(f"/v1/industry/plans/{wolf_id}").json()["steps"][0]["materials"]
        }
        assert sources[RIFTER] == "buy"

        browser.set_window_size(390, 844)  # a phone: the step tree fits
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)
        assert refused(browser) == []
