"""A catalog import's progress in a real browser: the file chosen and sent from the catalog
page, its step shown while it runs, and its outcome arriving live when it ends (no reload).
The tests' own app served in this process (no server process to start), so the reader can be
held at a step while the page is looked at."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from application.catalog import SAMPLE_CATALOG
from interfaces.web import catalog
from tests.conftest import Api
from tests.e2e.test_browser_console import live_wait, refused, shows, sign_in
from tests.support import serving_app, sqlite_database_url  # noqa: F401 - the module's database_url


def test_an_imports_progress_shows_and_its_outcome_arrives_live(
    alice: Api, client: TestClient[Any], browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, read = threading.Event(), threading.Event()

    def read_slowly(path: Path, progress: Any) -> Any:
        progress(512, 2048)  # a quarter of the file read; the page shows it until the test lets go
        read.set()
        assert held.wait(10)
        return catalog_reader(path, progress)

    catalog_reader = catalog.read_catalog
    monkeypatch.setattr(catalog, "read_catalog", read_slowly)
    with serving_app(client.app, lifespan="off") as url:
        sign_in(browser, url, alice.token)
        browser.find_element(By.LINK_TEXT, "Catalog").click()
        WebDriverWait(browser, 10).until(lambda page: page.find_elements(By.ID, "file"))
        browser.find_element(By.ID, "file").send_keys(str(SAMPLE_CATALOG))
        browser.find_element(By.CSS_SELECTOR, "#import button[type=submit]").click()

        assert read.wait(10)
        shows(browser, "import", "Reading the file: 512 of 2,048")
        live_wait(browser).until(lambda page: page.find_element(By.TAG_NAME, "progress").get_attribute("value") == "25")
        held.set()
        shows(browser, "import", "Your catalog is now version 1")
        live_wait(browser).until(lambda page: not page.find_elements(By.TAG_NAME, "progress"))
        assert refused(browser) == []
