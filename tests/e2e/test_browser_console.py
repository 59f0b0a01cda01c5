"""The console in a real browser: sign in (by keyboard) with the token the first start prints,
see the dashboard, watch a run generated through the API arrive live (Server-Sent Events, no
reload), fit a phone's width, sign out; under the pages' Content-Security-Policy, with nothing
refused in the browser's log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import serving

RIFTER = 587  # in the local user's sample catalog


def refused(browser: Any) -> list[str]:
    """What the page's policy refused, and any other error the browser logged."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or entry["level"] == "SEVERE"
    ]


def test_sign_in_see_the_dashboard_and_a_run_arrive_live(tmp_path: Path, browser: Any) -> None:
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        assert f"Console: {server.url}/ (sign in with an API token)" in server.output
        browser.delete_all_cookies()
        browser.get(server.url + "/")
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith("/sign-in"))

        browser.find_element(By.ID, "token").send_keys("mf_wrong")
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        error = WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "token-error"))
        assert "Unknown or invalid token" in error.text
        browser.get_log("browser")  # the refused sign-in's 401 is the page's answer, not a fault

        browser.find_element(By.ID, "token").send_keys(token + Keys.ENTER)  # by keyboard alone
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, "runs"))
        assert "No runs in progress" in browser.find_element(By.ID, "runs").text
        assert browser.get_cookies() and all(cookie["httpOnly"] for cookie in browser.get_cookies())
        assert browser.execute_script("return document.cookie") == ""  # no script can read the session
        WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "live-status").text == "Updates live.")

        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        plan = api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER})
        assert plan.status_code == 201, plan.text
        run = api.post(f"/v1/industry/plans/{plan.json()['aggregateId']}/generate", json={"quantity": 2})
        assert run.status_code == 201, run.text
        WebDriverWait(browser, 15).until(lambda page: "Rifters" in page.find_element(By.ID, "runs").text)

        browser.set_window_size(390, 844)  # a phone: the page never scrolls sideways (wide tables do, inside)
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)

        browser.find_element(By.CSS_SELECTOR, ".sign-out button").click()
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith("/sign-in"))
        assert refused(browser) == []
