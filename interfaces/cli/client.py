"""A small HTTP client for CLI commands that act as a user through the server
(``MANUFACTORY_URL``, ``MANUFACTORY_TOKEN``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx


class CliError(Exception):
    """Shown to the user as one line, with a non-zero exit."""


class ApiClient:
    def __init__(self, base_url: str | None = None, token: str | None = None) -> None:
        self.base_url = (base_url or os.environ.get("MANUFACTORY_URL") or "http://127.0.0.1:8000").rstrip("/")
        token = token or os.environ.get("MANUFACTORY_TOKEN")
        if not token:
            raise CliError("set MANUFACTORY_TOKEN to your API token (see `manufactory users create`)")
        self._http = httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def request(self, method: str, path: str, json: Any = None) -> Any:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.HTTPError as error:
            raise CliError(f"cannot reach the server at {self.base_url}: {error}") from None
        return _checked(response)

    def stream(self, path: str) -> Iterator[tuple[str, str]]:
        """Yield (event, data) pairs of a Server-Sent Events stream."""
        try:
            with self._http.stream("GET", path, timeout=httpx.Timeout(30, read=None)) as response:
                if response.status_code >= 400:
                    response.read()
                    _checked(response)
                event, data = "message", []
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif not line and data:
                        yield event, "\n".join(data)
                        event, data = "message", []
        except httpx.HTTPError as error:
            raise CliError(f"lost the stream from {self.base_url}: {error}") from None


def _checked(response: httpx.Response) -> Any:
    if response.status_code < 400:
        return response.json()
    try:
        body = response.json()
        field = f" ({body['field']})" if body.get("field") else ""
        message = f"{body.get('error', 'error')}{field}: {body.get('detail', '')}"
    except (ValueError, AttributeError):
        message = response.text[:200]
    raise CliError(f"{response.status_code} {message}")
