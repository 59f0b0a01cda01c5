"""The console in a real browser: sign in (by keyboard) with the token the first start prints,
see the dashboard, watch a run generated through the API arrive live (Server-Sent Events, no
reload), fit a phone's width, sign out; under the pages' Content-Security-Policy, with nothing
refused in the browser's log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from selenium.common.exceptions import WebDriverException
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


def shows(browser: Any, element_id: str, text: str, timeout: float = 10) -> None:
    """Waits until the element shows the text; a live page may swap the element out between
    finding it and reading it (stale, or "does not belong to the document"): looked for again."""
    live_wait(browser, timeout).until(lambda page: text in page.find_element(By.ID, element_id).text)


def live_wait(browser: Any, timeout: float = 10) -> WebDriverWait[Any]:
    """A wait on a page whose sections are swapped in live: an element gone between finding
    and reading it is looked for again."""
    return WebDriverWait(browser, timeout, ignored_exceptions=[WebDriverException])


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
        shows(browser, "runs", "No runs in progress")
        assert browser.get_cookies() and all(cookie["httpOnly"] for cookie in browser.get_cookies())
        assert browser.execute_script("return document.cookie") == ""  # no script can read the session
        WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "live-status").text == "Updates live.")

        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        plan = api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER})
        assert plan.status_code == 201, plan.text
        run = api.post(f"/v1/industry/plans/{plan.json()['aggregateId']}/generate", json={"quantity": 2})
        assert run.status_code == 201, run.text
        shows(browser, "runs", "Rifters", timeout=15)

        browser.set_window_size(390, 844)  # a phone: the page never scrolls sideways (wide tables do, inside)
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)

        browser.find_element(By.CSS_SELECTOR, ".sign-out button").click()
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith("/sign-in"))
        assert refused(browser) == []


def sign_in(browser: Any, url: str, token: str) -> None:
    browser.delete_all_cookies()
    browser.get(url + "/sign-in")
    browser.find_element(By.ID, "token").send_keys(token + Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, "dashboard"))


def test_add_a_stockpile_with_auto_production_through_the_form(tmp_path: Path, browser: Any) -> None:
    """The plan selector offers the Rifter's plan once its type id is typed (read by
    ``console.js`` from the page's own route), the form saves, the list shows the marker with
    its deficit and plan, and the runs page lists the run generated through the API."""
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        plan = api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER})
        assert plan.status_code == 201, plan.text
        plan_id = plan.json()["aggregateId"]
        run = api.post(f"/v1/industry/plans/{plan_id}/generate", json={"quantity": 1})
        assert run.status_code == 201, run.text
        sign_in(browser, server.url, token)

        browser.find_element(By.LINK_TEXT, "Runs").click()
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith("/runs"))
        assert "Rifters" in browser.find_element(By.ID, "runs").text
        assert "pending" in browser.find_element(By.ID, "runs").text

        browser.find_element(By.LINK_TEXT, "Stockpiles").click()
        WebDriverWait(browser, 10).until(lambda page: page.current_url.endswith("/stockpiles"))
        assert "No stockpiles yet" in browser.find_element(By.ID, "stockpiles").text
        browser.find_element(By.ID, "typeId").send_keys(str(RIFTER))
        WebDriverWait(browser, 10).until(
            lambda page: page.find_elements(By.CSS_SELECTOR, f'#planId option[value="{plan_id}"]')
        )
        browser.find_element(By.CSS_SELECTOR, f'#planId option[value="{plan_id}"]').click()
        browser.find_element(By.ID, "locationId").send_keys("60003760")
        browser.find_element(By.ID, "desiredQuantity").send_keys("5")
        browser.find_element(By.ID, "autoProductionEnabled").send_keys(Keys.SPACE)  # ticked by keyboard
        browser.find_element(By.ID, "desiredQuantity").send_keys(Keys.ENTER)  # submitted by keyboard
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.CSS_SELECTOR, "#stockpiles tbody tr"))
        listed = browser.find_element(By.CSS_SELECTOR, "#stockpiles tbody tr").text
        assert all(part in listed for part in ("Rifter", "Jita IV - Moon 4", "Rifters", "active")), listed
        assert browser.find_element(By.CSS_SELECTOR, "#stockpiles td.deficit").text == "5"
        markers = api.get("/v1/stockpiles").json()
        assert [(marker["planId"], marker["autoProductionEnabled"]) for marker in markers] == [(plan_id, True)]

        browser.find_element(By.ID, "desiredQuantity").send_keys("many" + Keys.ENTER)  # a bad value
        error = WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "desiredQuantity-error"))
        assert "Expected `int`" in error.text
        browser.get_log("browser")  # the refused form's 400 is the page's answer, not a fault

        browser.set_window_size(390, 844)  # a phone: the form and the list fit
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)
        assert refused(browser) == []


def test_an_items_economics_chart_and_an_objects_history_stepped_back(tmp_path: Path, browser: Any) -> None:
    """The Rifter priced twice in The Forge: the opportunities list it, its page draws the
    price history (inline SVG from the server, nothing fetched) and names the best region; a
    plan changed once shows its events, and its state steps back a version by keyboard."""
    minerals = {34: 4.0, 35: 10.0, 36: 50.0, 37: 100.0}
    with serving(tmp_path) as server:
        token = server.printed_token
        assert token, server.output
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        for when, rifter in (("2026-03-01T12:00:00Z", 450_000), ("2026-03-02T12:00:00Z", 440_000)):
            batch = {
                "regionId": 10000002,
                "observedAt": when,
                "quotes": [
                    *({"typeId": t, "lowestSell": p, "highestBuy": p * 0.9} for t, p in minerals.items()),
                    {"typeId": RIFTER, "lowestSell": rifter, "highestBuy": rifter * 0.9},
                ],
                "adjustedPrices": [{"typeId": t, "adjustedPrice": p} for t, p in minerals.items()],
                "costIndices": [{"solarSystemId": 30000142, "activity": "manufacturing", "costIndex": 0.05}],
                "jobSite": {"solarSystemId": 30000142},
            }
            recorded = api.post("/v1/market/prices", json=batch)
            assert recorded.status_code == 201, recorded.text
        position = recorded.json()["position"]
        ranked = api.get(
            "/v1/production/economics/opportunities", params={"region_id": 10000002, "minPosition": position}
        )
        assert [item["typeId"] for item in ranked.json()["items"]][:1] == [RIFTER], ranked.text
        plan = api.post("/v1/industry/plans", json={"name": "Rifters", "productTypeId": RIFTER})
        assert plan.status_code == 201, plan.text
        plan_id, step = plan.json()["aggregateId"], plan.json()["plan"]["steps"][0]["stepId"]
        changed = api.patch(f"/v1/industry/plans/{plan_id}/steps/{step}", json={"meLevel": 5})
        assert changed.status_code == 200, changed.text
        latest = api.get(f"/v1/audit/{plan_id}").json()["version"]
        assert latest >= 2, changed.text
        sign_in(browser, server.url, token)

        browser.find_element(By.LINK_TEXT, "Economics").click()
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, f"item-{RIFTER}"))
        browser.find_element(By.CSS_SELECTOR, f"#item-{RIFTER} a").click()
        chart = WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "price-chart"))
        assert chart.is_displayed() and chart.size["width"] > 300 and chart.size["height"] > 100
        assert len(chart.find_elements(By.CSS_SELECTOR, "circle.series-sell")) == 2
        assert "The Forge" in browser.find_element(By.ID, "best-region").text
        assert "440,000" in browser.find_element(By.ID, "costs").text

        browser.find_element(By.LINK_TEXT, "Audit").click()
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, "objects"))
        browser.find_element(By.LINK_TEXT, "Rifters").click()
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, "timeline"))
        assert browser.find_element(By.ID, "state-version").text == str(latest)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#timeline li")) == latest
        browser.find_element(By.ID, "earlier").send_keys(Keys.ENTER)  # by keyboard
        WebDriverWait(browser, 10).until(lambda page: page.find_element(By.ID, "state-version").text == str(latest - 1))
        chosen = browser.find_element(By.CSS_SELECTOR, "#timeline li.chosen")
        assert chosen.get_attribute("id") == f"v{latest - 1}"
        browser.set_window_size(390, 844)  # a phone: the timeline's nested fields scroll inside, not the page
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.get(f"{server.url}/economics/{RIFTER}")
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.set_window_size(1280, 900)
        assert refused(browser) == []
