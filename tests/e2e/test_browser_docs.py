"""The API reference in a real browser: the shipped Scalar bundle renders every operation
under the page's Content-Security-Policy, and the browser reports nothing it refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.support.ui import WebDriverWait

from tests.support import serving


def test_the_reference_renders_offline_under_its_policy(tmp_path: Path, browser: Any) -> None:
    with serving(tmp_path) as server:
        browser.get(server.url + "/schema")
        WebDriverWait(browser, 30).until(lambda page: "GenerateRun" in page.page_source)
        refused = [
            entry["message"]
            for entry in browser.get_log("browser")
            if "Content Security Policy" in entry["message"] or entry["level"] == "SEVERE"
        ]
        assert refused == []
