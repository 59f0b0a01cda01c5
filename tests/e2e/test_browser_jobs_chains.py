"""The jobs board and the chains page in a real browser: a job started through the API moves
to Active live (no reload), Complete on the board delivers it; the Rifter is found by name,
its chain opened and its multibuy text copied in one click. Under the pages'
Content-Security-Policy, with nothing refused in the browser's log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_browser_console import RIFTER, refused, shows, sign_in
from tests.support import serving


def test_complete_a_job_on_the_board_and_watch_it_move(tmp_path: Path, browser: Any) -> None:
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        plan = api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER})
        assert plan.status_code == 201, plan.text
        run = api.post(f"/v1/industry/plans/{plan.json()['aggregateId']}/generate", json={"quantity": 2})
        assert run.status_code == 201, run.text
        job_id = next(job["id"] for job in run.json()["created"] if job["productTypeId"] == RIFTER)
        sign_in(browser, server.url, token)

        browser.find_element(By.LINK_TEXT, "Jobs").click()
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith("/jobs"))
        shows(browser, "jobs-planned", "Rifter")  # read through shows(): the live board swaps its sections
        shows(browser, "jobs-active", "Nothing running")
        WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "live-status").text == "Updates live.")

        started = api.post(f"/v1/industry/jobs/{job_id}/start", json={})  # in the game, say
        assert started.status_code == 200, started.text
        shows(browser, "jobs-active", "Rifter", timeout=15)  # live: the stream said, the board was read again
        shows(browser, "jobs-planned", "Nothing planned")

        def press_complete(page: Any) -> bool:
            page.find_element(By.ID, f"complete-{job_id}").send_keys(Keys.ENTER)  # by keyboard
            return True

        # the live board may swap its sections between finding the button and pressing it
        WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(press_complete)
        shows(browser, "jobs-completed", "Rifter")
        shows(browser, "jobs-active", "Nothing running")
        assert api.get(f"/v1/industry/jobs/{job_id}").json()["status"] == "completed"
        browser.set_window_size(390, 844)  # a phone: the page never scrolls sideways (wide tables do, inside)
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)
        assert refused(browser) == []
        browser.get("about:blank")  # the live board's stream ends here, not when the server stops


def test_search_the_rifter_open_its_chain_and_copy_the_multibuy(tmp_path: Path, browser: Any) -> None:
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        sign_in(browser, server.url, token)
        browser.get_log("browser")  # what a page of an earlier test logged as its server stopped is not this one's

        browser.find_element(By.LINK_TEXT, "Chains").click()
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith("/chains"))
        browser.find_element(By.ID, "search").send_keys("rift" + Keys.ENTER)
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, "items"))
        browser.find_element(By.LINK_TEXT, "Rifter").click()
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith(f"/chains/{RIFTER}"))

        root = browser.find_element(By.CSS_SELECTOR, "#tree details")
        assert root.get_attribute("open") is not None and "Tritanium" in root.text
        root.find_element(By.TAG_NAME, "summary").click()  # folds the chain
        assert root.get_attribute("open") is None
        root.find_element(By.TAG_NAME, "summary").send_keys(Keys.ENTER)  # and opens it by keyboard
        assert root.get_attribute("open") is not None

        runs = browser.find_element(By.ID, "runs")
        runs.clear()
        runs.send_keys("10")
        browser.find_element(By.ID, "me").clear()
        browser.find_element(By.ID, "me").send_keys("10" + Keys.ENTER)
        WebDriverWait(browser, 10).until(lambda page: "runs=10" in page.current_url)
        assert "Materials for 10 runs" in browser.find_element(By.ID, "materials").text

        browser.find_element(By.ID, "copy-multibuy").click()
        WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "copy-status").text != "")
        status = browser.find_element(By.ID, "copy-status").text
        box = browser.find_element(By.ID, "multibuy")
        copied = box.get_property("value")
        expected = api.get(
            f"/v1/production/chains/{RIFTER}/shopping-list", params={"runs": 10, "me": 10, "format": "multibuy"}
        )
        assert expected.status_code == 200 and copied == expected.text and "Tritanium\t" in copied
        if status != "Copied.":  # the clipboard refused: the text is selected in its box for Ctrl+C
            assert status.startswith("Selected") and box.get_property("selectionEnd") == len(copied)
        browser.set_window_size(390, 844)  # a phone: the page never scrolls sideways (wide tables do, inside)
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)
        assert refused(browser) == []
