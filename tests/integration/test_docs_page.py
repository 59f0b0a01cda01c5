"""The API reference is served from the package: a pinned Scalar bundle and no third-party
origin, under a Content-Security-Policy that lets only this origin's scripts run."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from litestar.testing import TestClient

from interfaces.http.docs import SCALAR

# sha256 of @scalar/api-reference 1.76.0's dist/browser/standalone.js from the npm registry
SCALAR_SHA256 = "dcb027152bf20bf2f6dcd66e8f9fb073c1a9e274cf0b94b939a7d99ab8947060"


def test_the_reference_page_loads_only_what_the_package_ships(client: TestClient[Any]) -> None:
    page = client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "<script>" not in page.text and "<style" not in page.text  # nothing inline for the policy to allow
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    bundle = client.get(SCALAR)
    assert bundle.status_code == 200 and hashlib.sha256(bundle.content).hexdigest() == SCALAR_SHA256


def test_static_files_need_no_token_and_stay_inside_their_directory(client: TestClient[Any]) -> None:
    assert client.get("/static/docs.css").status_code == 200
    assert client.get("/static/../__init__.py").status_code == 404
    assert client.get("/static/%2e%2e/__init__.py").status_code == 404
    assert client.get("/schema/swagger").status_code == 404  # Swagger UI came from a CDN: gone


def test_json_answers_carry_no_page_policy_but_are_not_sniffed(client: TestClient[Any]) -> None:
    answer = client.get("/health")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers
